//! Step 7: one wave of lookups. The original's metadata (no body) and the cached copy go out at
//! once and, as soon as the cache has missed, the persisted variant and the original itself. None
//! of their keys needs the original's version (each copy is checked against it afterwards), so a
//! hit, a persisted variant and a resize each wait for one store round trip. A body that turns
//! out unneeded is dropped unread, which cancels it.

use super::ports::{Cache, Meta, Store, Stored};
use super::Ports;
use crate::error::Result;
use crate::http::range::Ranged;
use futures_util::future::join;

/// The persisted variant and the original, each with a body that may go unread.
pub(super) struct Bodies<B> {
    pub variant: Result<Option<Stored<B>>>,
    pub source: Result<Option<Stored<B>>>,
}

pub(super) struct Found<B, E> {
    pub original: Result<Option<Meta>>,
    pub cached: Result<Option<E>>,
    /// `None` when the cache answered (they were not asked for).
    pub bodies: Option<Bodies<B>>,
}

/// Where to look for one transform of one original.
pub(super) struct Keys<'k> {
    pub original: &'k str,
    /// `None` when the variant's key would be too long for the store.
    pub variant: Option<&'k str>,
    pub cache: &'k str,
}

/// The wave. `known` is the original's metadata when step 4 already read it.
pub(super) async fn wave<S: Store, C: Cache>(
    ports: &Ports<'_, S, C>,
    keys: &Keys<'_>,
    known: Option<Option<Meta>>,
) -> Found<S::Body, C::Entry> {
    let metadata = async {
        match known {
            Some(original) => Ok(original),
            None => ports.originals.head(keys.original).await,
        }
    };
    let stored = async {
        let cached = ports.cache.lookup(keys.cache).await;
        let bodies = match cached {
            Ok(Some(_)) => None,
            _ => Some(bodies(ports, keys).await),
        };
        (cached, bodies)
    };
    let (original, (cached, bodies)) = join(metadata, stored).await;
    Found { original, cached, bodies }
}

/// The persisted variant and the original's body, at once. Also asked alone when the cached copy
/// turned out stale.
pub(super) async fn bodies<S: Store, C: Cache>(ports: &Ports<'_, S, C>, keys: &Keys<'_>) -> Bodies<S::Body> {
    let variant = async {
        match keys.variant {
            Some(key) => ports.variants.get(key, Ranged::Whole).await,
            None => Ok(None),
        }
    };
    let (variant, source) = join(variant, ports.originals.get(keys.original, Ranged::Whole)).await;
    Bodies { variant, source }
}
