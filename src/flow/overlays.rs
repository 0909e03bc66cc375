//! `draw`: the overlays of `OVERLAYS` a transform draws. Before anything is looked up, each
//! overlay's version (its R2 etag) is written into the transform, so the cache key, the
//! persisted variant and the ETag change when the logo is replaced: every variant refreshes
//! without a purge. The version is what this data centre remembers within `MAX_STALE_S`, else
//! R2's answer, then remembered like an original's. A miss asks for the overlay images with
//! the original's body.

use super::freshness;
use super::ports::{Cache, Store, Stored};
use super::Ports;
use crate::config::{Config, Overlay};
use crate::error::{Error, Result};
use crate::http::range::Ranged;
use crate::keys;
use crate::transform::{Drawn, Transform};
use futures_util::future::join_all;
use sha2::Digest;

/// Whether `OVERLAYS` forces a watermark on `key` (`default_for`): then nothing may answer with
/// the original's own pixels, not `onerror=redirect`, `ON_ERROR=original` nor an animation
/// served unchanged; a refusal stays a refusal.
pub(super) fn forced(config: &Config, key: &str) -> bool {
    config.overlays.iter().any(|o| o.default_for.iter().any(|prefix| key.starts_with(prefix.as_str())))
}

/// `OVERLAYS`' defaults for `key`: drawn first, whatever the URL asked.
pub(super) fn add_defaults(config: &Config, key: &str, transform: &mut Transform) {
    let defaults = config.overlays.iter().filter(|o| o.default_for.iter().any(|prefix| key.starts_with(prefix.as_str())));
    let mut draw: Vec<Drawn> = defaults.map(|o| Drawn { name: o.name.clone(), version: None }).collect();
    draw.extend(transform.draw.drain(..).filter(|d| !draw.iter().any(|x| x.name == d.name)).collect::<Vec<_>>());
    transform.draw = draw;
}

/// Fills in each overlay's version: what this data centre remembers for the request's `origin`
/// within `MAX_STALE_S`, else R2's (then remembered). Without an origin (the queue consumer has
/// no request), R2 is asked and nothing is remembered. All overlays are asked for at once: one
/// round trip however many a transform draws.
pub(super) async fn versions<S: Store + 'static, C: Cache + 'static>(
    origin: Option<&str>,
    config: &Config,
    ports: &Ports<'_, S, C>,
    transform: &mut Transform,
) -> Result<()> {
    let asked = transform.draw.iter().map(|drawn| version(origin, config, ports, &drawn.name));
    let versions = join_all(asked).await;
    for (drawn, version) in transform.draw.iter_mut().zip(versions) {
        drawn.version = Some(version?);
    }
    Ok(())
}

/// One overlay's version (its etag's first 16 letters and digits).
async fn version<S: Store + 'static, C: Cache + 'static>(
    origin: Option<&str>,
    config: &Config,
    ports: &Ports<'_, S, C>,
    name: &str,
) -> Result<String> {
    let window = if origin.is_some() { config.http.max_stale_s } else { 0 };
    let overlay = find(config, name)?;
    if let Some(text) = &overlay.text {
        // A text's version is what it looks like: changing it in OVERLAYS remakes the variants.
        let digest = sha2::Sha256::digest(text.fingerprint().as_bytes());
        return Ok(digest.iter().take(8).map(|b| format!("{b:02x}")).collect());
    }
    let checked = keys::checked_key(origin.unwrap_or_default(), &overlay.key);
    let remembered = if window > 0 { ports.cache.remembered(&checked).await.ok().flatten() } else { None };
    let meta = match remembered {
        Some(meta) => meta,
        None => {
            let meta = ports.originals.head(&overlay.key).await?;
            if window > 0 {
                freshness::remember_later(ports.later, ports.cache.clone(), checked, meta.clone(), window);
            }
            meta
        }
    };
    let meta = meta.ok_or_else(|| missing(overlay))?;
    Ok(meta.etag.trim_matches('"').chars().filter(char::is_ascii_alphanumeric).take(16).collect())
}

/// The overlays' images, asked for all at once and not yet read: a miss asks with the lookup
/// wave, so they have come when the original has; dropped unread (cancelled) when no resize
/// follows, as the original's body is. A text overlay has nothing to fetch (`None`).
pub(super) type Fetched<B> = Vec<(Overlay, Option<Stored<B>>)>;

pub(super) async fn fetch<S: Store, C: Cache>(config: &Config, ports: &Ports<'_, S, C>, transform: &Transform) -> Result<Fetched<S::Body>> {
    let gets = transform.draw.iter().map(|drawn| async move {
        let overlay = find(config, &drawn.name)?;
        if overlay.text.is_some() {
            return Ok((overlay.clone(), None));
        }
        let stored = ports.originals.get(&overlay.key, Ranged::Whole).await?.ok_or_else(|| missing(overlay))?;
        Ok((overlay.clone(), Some(stored)))
    });
    join_all(gets).await.into_iter().collect()
}

/// The fetched images' bytes, for the pipeline; a text drawn as an image of its letters (with
/// `FONTS` read first, for a family of theirs).
pub(super) async fn read_fetched<S: Store, C: Cache>(
    config: &Config,
    ports: &Ports<'_, S, C>,
    fetched: Fetched<S::Body>,
) -> Result<Vec<(Overlay, Vec<u8>)>> {
    if fetched.iter().any(|(o, _)| o.text.is_some()) {
        super::fonts::ready(ports, config).await?;
    }
    let reads = fetched.into_iter().map(|(overlay, stored)| async move {
        let bytes = match (&overlay.text, stored) {
            (_, Some(stored)) => ports.originals.read(stored.body).await?,
            (Some(text), None) => crate::pipeline::codecs::vector::text::svg(text, None)?,
            (None, None) => return Err(missing(&overlay)),
        };
        Ok((overlay, bytes))
    });
    join_all(reads).await.into_iter().collect()
}

/// Asked for and read (an eager variant).
pub(super) async fn read<S: Store, C: Cache>(
    config: &Config,
    ports: &Ports<'_, S, C>,
    transform: &Transform,
) -> Result<Vec<(Overlay, Vec<u8>)>> {
    read_fetched(config, ports, fetch(config, ports, transform).await?).await
}

fn find<'c>(config: &'c Config, name: &str) -> Result<&'c Overlay> {
    config.overlay(name).ok_or_else(|| Error::Misconfigured(format!("overlay '{name}' is not in OVERLAYS")))
}

/// The operator's mistake, not the client's: a 500 that says what to fix.
fn missing(overlay: &Overlay) -> Error {
    Error::Misconfigured(format!("overlay '{}' draws {}, which is not in the bucket", overlay.name, overlay.key))
}
