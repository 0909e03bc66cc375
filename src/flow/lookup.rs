//! Step 7: the lookups, local first. This data centre's cache answers at once with the variant's
//! cached copy and what R2 last said about the original (remembered for `MAX_STALE_S`). R2 is
//! then asked, in one wave, only for what is still unknown: the original's metadata, and the
//! bodies unless a cached copy may do (the persisted variant, the original, its mezzanine and
//! the overlays' images: this is the one place a transform asks for them). None of their keys
//! needs the original's version (each copy is checked against it afterwards), so every outcome
//! waits for at most one R2 round trip. A body that turns out unneeded is dropped unread, which
//! cancels it.

use super::overlays::{self, Fetched};
use super::ports::{Cache, Meta, Store, Stored};
use super::Ports;
use crate::config::Config;
use crate::config::Limits;
use crate::error::{Error, Result};
use crate::http::range::Ranged;
use crate::trace::Trace;
use futures_util::future::join;

/// Where to look for one transform of one original, and what it draws.
pub(super) struct Keys<'k> {
    pub original: &'k str,
    /// `None` when the variant's key would be too long for the store.
    pub variant: Option<&'k str>,
    /// The original's mezzanine (`None`: mezzanines are off).
    pub mezzanine: Option<&'k str>,
    pub cache: &'k str,
    /// Where the original's metadata is remembered.
    pub checked: &'k str,
    /// The transform, whose overlays' images come with the bodies.
    pub transform: &'k crate::transform::Transform,
}

/// What this data centre's cache holds.
pub(super) struct Local<E> {
    pub entry: Option<E>,
    /// `Some(None)`: remembered as absent.
    pub remembered: Option<Option<Meta>>,
}

/// 7a. Both lookups at once. They only spare work: a failing one is a miss, noted in the trace.
pub(super) async fn local<S: Store, C: Cache>(
    ports: &Ports<'_, S, C>,
    keys: &Keys<'_>,
    remembers: bool,
    trace: &mut Trace,
) -> Local<C::Entry> {
    let remembered = async {
        match remembers {
            true => ports.cache.remembered(keys.checked).await,
            false => Ok(None),
        }
    };
    let (entry, remembered) = join(ports.cache.lookup(keys.cache), remembered).await;
    let mut missed = |what: &str, e: crate::error::Error| trace.warnings.push(format!("{what} failed, asking R2 instead: {e}"));
    let entry = entry.unwrap_or_else(|e| {
        missed("cache lookup", e);
        None
    });
    let remembered = remembered.unwrap_or_else(|e| {
        missed("reading the original's remembered metadata", e);
        None
    });
    Local { entry, remembered }
}

/// The persisted variant, the original, its mezzanine and the overlays' images, each with a
/// body that may go unread.
pub(super) struct Bodies<B> {
    pub variant: Result<Option<Stored<B>>>,
    pub source: Result<Option<Stored<B>>>,
    pub mezzanine: Result<Option<Stored<B>>>,
    pub images: Result<Fetched<B>>,
}

/// 7b. The original's metadata and, with `with_bodies` (not when a cached copy may answer), the
/// bodies, at once.
pub(super) async fn wave<S: Store, C: Cache>(
    config: &Config,
    ports: &Ports<'_, S, C>,
    keys: &Keys<'_>,
    with_bodies: bool,
) -> (Result<Option<Meta>>, Option<Bodies<S::Body>>) {
    let metadata = ports.originals.head(keys.original);
    let stored = async {
        match with_bodies {
            true => Some(bodies(config, ports, keys).await),
            false => None,
        }
    };
    join(metadata, stored).await
}

/// The persisted variant, the original's body, its mezzanine and the overlays' images, at once.
/// Also asked alone when a cached copy turned out stale.
pub(super) async fn bodies<S: Store, C: Cache>(config: &Config, ports: &Ports<'_, S, C>, keys: &Keys<'_>) -> Bodies<S::Body> {
    let original = ports.originals.get(keys.original, Ranged::Whole);
    let (((variant, mezzanine), source), images) = join(
        join(join(derived(ports, keys.variant), derived(ports, keys.mezzanine)), original),
        overlays::fetch(config, ports, keys.transform),
    )
    .await;
    Bodies { variant, source, mezzanine, images }
}

/// A persisted variant or the mezzanine, when it has a key.
async fn derived<S: Store, C: Cache>(ports: &Ports<'_, S, C>, key: Option<&str>) -> Result<Option<Stored<S::Body>>> {
    match key {
        Some(key) => ports.variants.get(key, Ranged::Whole).await,
        None => Ok(None),
    }
}

/// An original is read whole into memory only within `ORIGINAL_MAX_MB`, refused from its stored
/// size before a byte is read (413): R2 says how large it is, and reading is what costs.
pub(super) fn readable(meta: &Meta, limits: &Limits) -> Result<()> {
    match meta.size > limits.original_max_bytes {
        true => Err(Error::TooLarge(format!(
            "the original is {} MB, over the {} MB this service reads (ORIGINAL_MAX_MB)",
            meta.size.div_ceil(1 << 20),
            limits.original_max_bytes >> 20
        ))),
        false => Ok(()),
    }
}
