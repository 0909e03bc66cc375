//! `FONTS`: the operator's fonts, read from R2 the first time this isolate draws an SVG (all at
//! once: one round trip however many), then kept (`pipeline::codecs::vector::fonts`). A key that
//! is missing or not a font is said in `x-resize-note` on every SVG drawn, and the bundled fonts
//! draw in its place; a failing read is a 502 and is tried again by the next request.

use super::ports::{Cache, Store};
use super::Ports;
use crate::config::Config;
use crate::error::Result;
use crate::http::range::Ranged;
use crate::pipeline::codecs::vector::fonts::{self, MAX_FONT_BYTES};
use futures_util::future::join_all;

/// Reads the `FONTS` this isolate has not read yet.
pub(super) async fn ready<S: Store, C: Cache>(ports: &Ports<'_, S, C>, config: &Config) -> Result<()> {
    let unread = fonts::unread(&config.fonts);
    if unread.is_empty() {
        return Ok(());
    }
    let files = join_all(unread.iter().map(|key| read(ports, key))).await;
    for (key, file) in unread.iter().zip(files) {
        // A refused font is remembered by `fonts` and said on each SVG: nothing to do here.
        fonts::add(key, file?).ok();
    }
    Ok(())
}

/// The file, or why it is refused (missing, too large: its body is never read); `Err` outside:
/// the store failed.
async fn read<S: Store, C: Cache>(ports: &Ports<'_, S, C>, key: &str) -> Result<Result<Vec<u8>>> {
    match ports.originals.get(key, Ranged::Whole).await? {
        Some(stored) if stored.meta.size > MAX_FONT_BYTES => Ok(Err(fonts::too_large(key, stored.meta.size))),
        Some(stored) => Ok(Ok(ports.originals.read(stored.body).await?)),
        None => Ok(Err(fonts::missing(key))),
    }
}
