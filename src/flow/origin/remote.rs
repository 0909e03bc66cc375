//! Remote originals (absolute-URL keys on `REMOTE_HOSTS`): fetched under the origin's rules,
//! never stored in R2. What this isolate learns of one (its metadata and validators) is trusted
//! for the remote `Cache-Control` max-age, at least `REMOTE_MIN_TTL_S`; after that a `head`
//! revalidates with `If-None-Match` / `If-Modified-Since`, so an unchanged original costs a 304,
//! not its bytes.

use super::fetch::{self, Answer, Fetched};
use super::types::{Behind, Found, Known, Outcome};
use crate::flow::ports::Meta;
use std::rc::Rc;

/// The metadata, while it is fresh.
pub fn fresh(behind: &Behind, source: &str) -> Option<Meta> {
    let known = behind.copies.known.borrow();
    known.get(source).filter(|k| k.fresh_until_ms > behind.clock.now_ms()).map(|k| k.meta.clone())
}

/// The remote original: its bytes when `bytes`, else possibly only a revalidation of what is known.
pub async fn fetch(behind: &Behind, source: &str, bytes: bool) -> Outcome {
    let validators = match bytes {
        true => Vec::new(),
        false => validators(behind, source),
    };
    let now = behind.clock.now_ms();
    match fetch::remote(behind, source, &validators).await? {
        Answer::NotModified { cache_control } => {
            let fresh_until_ms = now + ttl_s(behind, cache_control.as_deref()) * 1000.0;
            let meta = behind.copies.known.borrow_mut().update(
                source,
                |entry| {
                    entry.fresh_until_ms = fresh_until_ms;
                    entry.meta.clone()
                },
                |k| k.fresh_until_ms <= now,
            );
            let meta = meta.ok_or_else(|| crate::error::Error::Upstream("a 304 to an unconditional request".into()))?;
            Ok(Rc::new(Found { meta, bytes: None }))
        }
        Answer::Fetched(fetched, _slot) => {
            let meta = fetched.meta(now);
            remember(behind, source, &fetched, &meta, now);
            Ok(Rc::new(Found { meta, bytes: Some(Rc::new(fetched.bytes)) }))
        }
    }
}

fn validators(behind: &Behind, source: &str) -> Vec<(String, String)> {
    let known = behind.copies.known.borrow();
    let Some(k) = known.get(source) else { return Vec::new() };
    let mut headers = Vec::new();
    if let Some(etag) = &k.etag {
        headers.push(("if-none-match".to_string(), etag.clone()));
    }
    if let Some(date) = &k.last_modified {
        headers.push(("if-modified-since".to_string(), date.clone()));
    }
    headers
}

fn remember(behind: &Behind, source: &str, fetched: &Fetched, meta: &Meta, now: f64) {
    let fresh_until_ms = now + ttl_s(behind, fetched.cache_control.as_deref()) * 1000.0;
    let entry = Known { meta: meta.clone(), fresh_until_ms, etag: fetched.etag.clone(), last_modified: fetched.last_modified.clone() };
    behind.copies.known.borrow_mut().insert(source.to_string(), entry, |k| k.fresh_until_ms <= now);
}

/// The remote `Cache-Control`'s `s-maxage` or `max-age` (0 for `no-store`/`no-cache`), and at
/// least `REMOTE_MIN_TTL_S`.
fn ttl_s(behind: &Behind, cache_control: Option<&str>) -> f64 {
    let directives: Vec<(String, Option<String>)> = cache_control
        .unwrap_or("")
        .split(',')
        .map(|d| {
            let (name, value) = d.split_once('=').map_or((d, None), |(n, v)| (n, Some(v.trim().trim_matches('"').to_string())));
            (name.trim().to_ascii_lowercase(), value)
        })
        .collect();
    let seconds = |name: &str| directives.iter().find(|(n, _)| n == name).and_then(|(_, v)| v.as_deref()?.parse::<u32>().ok());
    let uncached = directives.iter().any(|(n, _)| n == "no-store" || n == "no-cache");
    let remote = if uncached { 0 } else { seconds("s-maxage").or_else(|| seconds("max-age")).unwrap_or(0) };
    remote.max(behind.settings.remote_min_ttl_s) as f64
}
