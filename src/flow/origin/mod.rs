//! Originals from elsewhere, behind the originals' store. Those R2 does not have yet come from `ORIGIN_URL` (the old bucket, a CDN, any web
//! server), served on the same URL and copied into R2 as they are read, so a team can switch DNS
//! before its bucket is copied. [`Sourced`] is the originals' store with the origin behind it:
//! the flow does not know which answered, and `head` finds an original the origin has as `get`
//! does (R2 Sippy copies on `get` only).
//!
//! What holds: one fetch per key per isolate however many requests want it ([`Copies`]: the
//! first request fetches, the others look for its outcome on their own timer, since workerd
//! lets no request wait on another's I/O); an
//! original the origin does not have, or one we refuse, is remembered for `ORIGIN_MISS_TTL_S`;
//! the copy is written only where nothing is stored yet (R2's `onlyIf`), so an upload that came
//! meanwhile wins; the bytes in R2 are the origin's, unchanged.
//!
//! A key that is an absolute URL (`/cdn-cgi/image/…/https://…`, on `REMOTE_HOSTS`) is a remote
//! original ([`remote`]): fetched under the same rules, never written into R2, its metadata
//! trusted for its `Cache-Control` (at least `REMOTE_MIN_TTL_S`), then revalidated.

mod fetch;
mod remote;
mod sigv4;

pub use fetch::MAX_REDIRECTS;

use super::gate::Gate;
use super::ports::{Clock, Meta, OnlyIf, Origin, PutMeta, Store, Stored};
use crate::config::{Limits, OriginSettings};
use crate::error::{Error, Result};
use crate::http::range::Ranged;
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

/// The originals' store, with an origin behind it when `ORIGIN_URL` is set.
pub struct Sourced<S> {
    inner: Rc<S>,
    behind: Option<Behind>,
}

/// The origin, and what this isolate knows of it.
#[derive(Clone)]
pub struct Behind {
    pub origin: Rc<dyn Origin>,
    pub clock: Rc<dyn Clock>,
    pub settings: OriginSettings,
    pub copies: Rc<Copies>,
    /// An origin's body is held in memory while it is read and copied: it takes its share of
    /// the isolate's in-flight budget, as an upload does.
    pub gate: &'static Gate,
    pub limits: Limits,
}

/// This isolate's fetches from the origin: those under way, and the keys refused lately.
#[derive(Default)]
pub struct Copies {
    under_way: RefCell<HashMap<String, Rc<Pending>>>,
    refused: RefCell<HashMap<String, (f64, Error)>>,
    /// Remote originals' metadata, while it is fresh.
    known: RefCell<HashMap<String, remote::Known>>,
    /// Fetches started since the isolate began.
    pub fetches: Cell<u32>,
}

/// A fetch under way: its outcome, once the request that makes it has it.
#[derive(Default)]
struct Pending(RefCell<Option<Outcome>>);

/// How often a request that waits for another's fetch looks for its outcome.
const POLL_MS: u32 = 10;

/// At most this many refusals are remembered; past it, the expired ones are dropped, then all.
const MAX_REMEMBERED: usize = 10_000;

type Outcome = Result<Rc<Found>>;

/// An original the origin had.
struct Found {
    /// R2's metadata once copied; else made from the origin's answer.
    meta: Meta,
    /// The bytes, when they were not copied (`ORIGIN_COPY=false`, or R2 is served instead).
    bytes: Option<Rc<Vec<u8>>>,
}

/// A body from R2, or one the origin just sent and R2 does not keep.
pub enum SourcedBody<B> {
    Stored(B),
    Fetched {
        bytes: Rc<Vec<u8>>,
        offset: usize,
        length: usize,
    },
    /// A remote original whose metadata is fresh, not fetched until it is read (a persisted
    /// variant or a 304 may answer first): read it with `Store::read`, never stream it.
    Remote {
        source: String,
        etag: String,
    },
}

impl<S: Store> Sourced<S> {
    /// The store alone (the variants' store, or no `ORIGIN_URL`).
    pub fn plain(inner: Rc<S>) -> Sourced<S> {
        Sourced { inner, behind: None }
    }

    /// `behind` serves remote originals (absolute-URL keys), and keys R2 does not have when
    /// `ORIGIN_URL` is set.
    pub fn new(inner: Rc<S>, behind: Option<Behind>) -> Sourced<S> {
        Sourced { inner, behind }
    }

    /// The origin behind R2's keys, when `ORIGIN_URL` is set.
    fn fallback(&self) -> Option<&Behind> {
        self.behind.as_ref().filter(|b| b.settings.url.is_some())
    }

    pub fn inner(&self) -> &S {
        &self.inner
    }
}

impl<S: Store + 'static> Sourced<S> {
    /// What the origin has under `key`: fetched by the first request that asks, the others wait.
    /// `bytes`: a remote original's body is needed, not only whether it changed.
    async fn found(&self, behind: &Behind, key: &str, bytes: bool) -> Outcome {
        let copies = &behind.copies;
        if let Some((until, refusal)) = copies.refused.borrow().get(key) {
            if *until > behind.clock.now_ms() {
                return Err(refusal.clone());
            }
        }
        loop {
            let waiting = copies.under_way.borrow().get(key).cloned();
            let Some(pending) = waiting else { return lead(&*self.inner, behind, key, bytes).await };
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
}

/// Fetches `key` from the origin and, with `ORIGIN_COPY`, writes it into R2 where nothing is;
/// the outcome is left for the requests that wait for it.
async fn lead<S: Store>(inner: &S, behind: &Behind, key: &str, bytes: bool) -> Outcome {
    let copies = &behind.copies;
    let pending = Rc::new(Pending::default());
    copies.under_way.borrow_mut().insert(key.to_string(), pending.clone());
    let _leaving = Leaving { copies, key, pending: &pending };
    copies.fetches.set(copies.fetches.get() + 1);
    let outcome = match crate::url::remote::is_remote(key) {
        true => remote::fetch(behind, key, bytes).await,
        false => fetch_and_copy(inner, behind, key).await,
    };
    if let Err(e) = &outcome {
        // A missing or refused original stays so for a while; a failing or slow origin may not.
        let lasting = matches!(e, Error::NotFound) || e.is_refusal();
        if lasting && behind.settings.miss_ttl_s > 0 {
            let now = behind.clock.now_ms();
            let mut refused = copies.refused.borrow_mut();
            if refused.len() >= MAX_REMEMBERED {
                refused.retain(|_, (until, _)| *until > now);
                if refused.len() >= MAX_REMEMBERED {
                    refused.clear();
                }
            }
            refused.insert(key.to_string(), (now + behind.settings.miss_ttl_s as f64 * 1000.0, e.clone()));
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

async fn fetch_and_copy<S: Store>(inner: &S, behind: &Behind, key: &str) -> Outcome {
    let (fetched, slot) = fetch::from_origin(behind, key).await?;
    if !behind.settings.copy {
        let meta = fetched.meta(behind.clock.now_ms());
        return Ok(Rc::new(Found { meta, bytes: Some(Rc::new(fetched.bytes)) }));
    }
    let put = PutMeta { content_type: fetched.content_type, custom: Vec::new() };
    let written = inner.put(key, fetched.bytes, put, OnlyIf::Absent).await?;
    drop(slot);
    let meta = match written {
        Some(meta) => meta,
        // Something was stored meanwhile (an upload): it wins, and is what we serve.
        None => inner.head(key).await?.ok_or(Error::NotFound)?,
    };
    Ok(Rc::new(Found { meta, bytes: None }))
}

impl<S: Store + 'static> Store for Sourced<S> {
    type Body = SourcedBody<S::Body>;

    async fn head(&self, key: &str) -> Result<Option<Meta>> {
        if crate::url::remote::is_remote(key) {
            let Some(behind) = &self.behind else { return Ok(None) };
            if let Some(meta) = remote::fresh(behind, key) {
                return Ok(Some(meta));
            }
            return match self.found(behind, key, false).await {
                Ok(found) => Ok(Some(found.meta.clone())),
                Err(Error::NotFound) => Ok(None),
                Err(e) => Err(e),
            };
        }
        let stored = self.inner.head(key).await?;
        match (stored, self.fallback()) {
            (None, Some(behind)) => match self.found(behind, key, true).await {
                Ok(found) => Ok(Some(found.meta.clone())),
                Err(Error::NotFound) => Ok(None),
                Err(e) => Err(e),
            },
            (stored, _) => Ok(stored),
        }
    }

    async fn get(&self, key: &str, range: Ranged) -> Result<Option<Stored<Self::Body>>> {
        let as_stored = |s: Stored<S::Body>| Stored { meta: s.meta, body: SourcedBody::Stored(s.body) };
        let remote = crate::url::remote::is_remote(key);
        if let (true, Some(behind), Ranged::Whole) = (remote, &self.behind, range) {
            if let Some(meta) = remote::fresh(behind, key) {
                let body = SourcedBody::Remote { source: key.to_string(), etag: meta.etag.clone() };
                return Ok(Some(Stored { meta, body }));
            }
        }
        let (stored, behind) = match remote {
            true => (None, self.behind.as_ref()),
            false => (self.inner.get(key, range).await?, self.fallback()),
        };
        let (None, Some(behind)) = (&stored, behind) else { return Ok(stored.map(as_stored)) };
        let found = match self.found(behind, key, true).await {
            Ok(found) => found,
            Err(Error::NotFound) => return Ok(None),
            Err(e) => return Err(e),
        };
        match &found.bytes {
            // Copied: R2 serves it from now on, this request included (a range is R2's to cut).
            None if !remote => Ok(self.inner.get(key, range).await?.map(as_stored)),
            None => Err(Error::Internal("a remote original came without its body".into())),
            Some(bytes) => {
                let (offset, length) = match range {
                    Ranged::Part { offset, length } => (offset as usize, length as usize),
                    _ => (0, bytes.len()),
                };
                let body = SourcedBody::Fetched { bytes: bytes.clone(), offset, length };
                Ok(Some(Stored { meta: found.meta.clone(), body }))
            }
        }
    }

    async fn read(&self, body: Self::Body) -> Result<Vec<u8>> {
        match body {
            SourcedBody::Stored(body) => self.inner.read(body).await,
            SourcedBody::Fetched { bytes, offset, length } => match Rc::try_unwrap(bytes) {
                Ok(whole) if offset == 0 && length == whole.len() => Ok(whole),
                Ok(whole) => Ok(whole[offset..offset + length].to_vec()),
                Err(shared) => Ok(shared[offset..offset + length].to_vec()),
            },
            SourcedBody::Remote { source, etag } => {
                let behind = self.behind.as_ref().ok_or_else(|| Error::Internal("a remote body without an origin".into()))?;
                let found = self.found(behind, &source, true).await?;
                match (&found.bytes, found.meta.etag == etag) {
                    (Some(bytes), true) => Ok(bytes.to_vec()),
                    _ => Err(Error::Upstream(format!("the remote original changed while it was read: {source}"))),
                }
            }
        }
    }

    async fn put(&self, key: &str, bytes: Vec<u8>, meta: PutMeta, only_if: OnlyIf) -> Result<Option<Meta>> {
        self.inner.put(key, bytes, meta, only_if).await
    }

    async fn list(&self, prefix: &str, start_after: Option<&str>, max: usize) -> Result<Vec<String>> {
        self.inner.list(prefix, start_after, max).await
    }

    async fn delete(&self, keys: Vec<String>) -> Result<()> {
        self.inner.delete(keys).await
    }
}
