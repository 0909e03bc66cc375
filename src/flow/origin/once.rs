//! One fetch per key per isolate, however many requests want it: the first request fetches, the
//! others look for its outcome on their own timer, since workerd lets no request wait on another's
//! I/O (a request whose only pending work is another's promise is cancelled as hung). A missing
//! or refused original is remembered for `ORIGIN_MISS_TTL_S`.

use super::types::{Behind, Copies, Deadline, Outcome, Pending};
use super::{copy, remote};
use crate::error::Error;
use crate::flow::ports::Store;
use std::rc::Rc;

/// How often a request that waits for another's fetch looks for its outcome.
const POLL_MS: u32 = 10;

/// What the origin has under `key`: fetched by the first request that asks, the others wait.
/// `bytes`: a remote original's body is needed, not only whether it changed.
pub async fn found<S: Store>(inner: &S, deadline: &Deadline, behind: &Behind, key: &str, bytes: bool) -> Outcome {
    let copies = &behind.copies;
    if let Some((until, refusal)) = copies.refused.borrow().get(key) {
        if *until > behind.clock.now_ms() {
            return Err(refusal.clone());
        }
    }
    loop {
        let waiting = copies.under_way.borrow().get(key).cloned();
        let Some(pending) = waiting else {
            // (A remote source was counted by the flow before its download.)
            if let (Some(limit), false) = (&behind.client_limit, crate::url::remote::is_remote(key)) {
                limit.admit().await?;
            }
            return lead(inner, deadline, behind, key, bytes).await;
        };
        match wait(behind, &pending).await {
            // A revalidation answered without the body this request needs: it fetches.
            Some(Ok(found)) if bytes && found.bytes.is_none() && crate::url::remote::is_remote(key) => {}
            Some(outcome) => return outcome,
            // The request that fetched went away (its client left): this one fetches instead.
            None => {}
        }
        if copies.under_way.borrow().contains_key(key) {
            behind.clock.sleep(POLL_MS).await;
        }
    }
}

/// Fetches `key` from the origin and, with `ORIGIN_COPY`, writes it into R2 where nothing is;
/// the outcome is left for the requests that wait for it.
async fn lead<S: Store>(inner: &S, deadline: &Deadline, behind: &Behind, key: &str, bytes: bool) -> Outcome {
    let copies = &behind.copies;
    let pending = Rc::new(Pending::default());
    copies.under_way.borrow_mut().insert(key.to_string(), pending.clone());
    let _leaving = Leaving { copies, key, pending: &pending };
    let outcome = match crate::url::remote::is_remote(key) {
        true => remote::fetch(behind, key, bytes).await,
        false => copy::fetch_and_copy(inner, deadline, behind, key).await,
    };
    if let Err(e) = &outcome {
        // A missing or refused original stays so for a while; a failing or slow origin may not.
        let lasting = matches!(e, Error::NotFound) || e.is_refusal();
        if lasting && behind.settings.miss_ttl_s > 0 {
            let now = behind.clock.now_ms();
            let until = now + behind.settings.miss_ttl_s as f64 * 1000.0;
            copies.refused.borrow_mut().insert(key.to_string(), (until, e.clone()), |(until, _)| *until <= now);
        }
    }
    *pending.0.borrow_mut() = Some(outcome.clone());
    outcome
}

/// Another request's outcome, looked for every [`POLL_MS`]; `None` when that request is gone
/// without one. Bounded by the fetch's own timeout.
async fn wait(behind: &Behind, pending: &Rc<Pending>) -> Option<Outcome> {
    let deadline = behind.clock.now_ms() + behind.settings.timeout_ms as f64 + 1000.0;
    loop {
        if let Some(outcome) = pending.0.borrow().clone() {
            return Some(outcome);
        }
        // Only this wait and the map hold it: the request that fetched dropped its side.
        if Rc::strong_count(pending) == 1 {
            return None;
        }
        if behind.clock.now_ms() > deadline {
            return Some(Err(Error::GatewayTimeout("the origin did not answer in time (ORIGIN_TIMEOUT_S)".into())));
        }
        behind.clock.sleep(POLL_MS).await;
    }
}

/// Takes a finished (or abandoned) fetch off the list, on every path out of [`lead`].
struct Leaving<'a> {
    copies: &'a Copies,
    key: &'a str,
    pending: &'a Rc<Pending>,
}

impl Drop for Leaving<'_> {
    fn drop(&mut self) {
        let mut under_way = self.copies.under_way.borrow_mut();
        if under_way.get(self.key).is_some_and(|p| Rc::ptr_eq(p, self.pending)) {
            under_way.remove(self.key);
        }
    }
}
