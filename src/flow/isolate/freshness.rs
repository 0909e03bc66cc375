//! How long a data centre trusts what R2 last said about an original (`MAX_STALE_S`), and the
//! check that runs after a response once it no longer does.
//!
//! The contract: a data centre remembers an original's metadata for `MAX_STALE_S` seconds after
//! it last read it from R2 (a miss, or a check). While it remembers, cache hits and 304s ask R2
//! nothing. Once it has forgotten, the next request for a cached variant still gets the cached
//! copy at once, and the original is checked after the response: remembered again and, if it
//! was replaced or deleted, that copy is dropped, so the next request makes the new one. Other
//! variants of the original are then refused at once by their ETag. So a replaced original shows
//! in a data centre at most `MAX_STALE_S` seconds after that data centre last checked it (plus the
//! one R2 `head` the check takes); `MAX_STALE_S=0` checks on every request.

use crate::config::Config;
use crate::flow::answer::Answer;
use crate::flow::ports::{Cache, Later, Meta, Store};
use crate::transform::{Accepts, Transform};
use std::cell::RefCell;
use std::collections::HashSet;
use std::rc::Rc;

/// The originals being checked now in this isolate, so a burst of hits after the window starts
/// one check, not one per request.
#[derive(Debug, Default)]
pub struct Checks(RefCell<HashSet<String>>);

/// After the response: remember what R2 just said about an original.
pub(in crate::flow) fn remember_later<C: Cache + 'static>(
    later: &dyn Later,
    cache: Rc<C>,
    checked_key: String,
    meta: Option<Meta>,
    window_s: u32,
) {
    later.after_response(Box::pin(async move {
        cache.remember(&checked_key, meta.as_ref(), window_s).await.map_err(|e| format!("remembering {checked_key} failed: {e}"))
    }));
}

/// What a check needs to know about the copy it was served instead of.
pub(in crate::flow) struct ServedCopy {
    pub original_key: String,
    pub checked_key: String,
    pub cache_key: String,
    /// The ETag of the cached copy that was served.
    pub etag: Option<String>,
    pub transform: Transform,
    pub accepts: Accepts,
}

/// After the response: ask R2 for the original, remember it, and drop the served copy when it is
/// not of that version (or the original is gone).
pub(in crate::flow) fn check_later<S: Store + 'static, C: Cache + 'static>(
    later: &dyn Later,
    originals: Rc<S>,
    cache: Rc<C>,
    checks: Rc<Checks>,
    config: &Config,
    served: ServedCopy,
) {
    if !checks.0.borrow_mut().insert(served.original_key.clone()) {
        return;
    }
    let config = config.clone();
    later.after_response(Box::pin(async move {
        let result = check(&*originals, &*cache, &config, &served).await;
        checks.0.borrow_mut().remove(&served.original_key);
        result.map_err(|e| format!("checking {} failed: {e}", served.original_key))
    }));
}

async fn check<S: Store, C: Cache>(originals: &S, cache: &C, config: &Config, served: &ServedCopy) -> crate::error::Result<()> {
    let Some(meta) = originals.head(&served.original_key).await? else {
        cache.forget(&served.cache_key).await?;
        return cache.remember(&served.checked_key, None, config.http.max_stale_s).await;
    };
    cache.remember(&served.checked_key, Some(&meta), config.http.max_stale_s).await?;
    let current = Answer::new(config, &served.original_key, &served.transform, served.accepts, &meta).ok().map(|a| a.etag);
    let fresh = match (&served.etag, current) {
        (Some(etag), Some(current)) => crate::keys::fresh_hit(Some(etag), &current),
        _ => false,
    };
    if !fresh {
        cache.forget(&served.cache_key).await?;
    }
    Ok(())
}
