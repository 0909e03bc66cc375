//! Mezzanines in R2 ([`pipeline::mezzanine`]): where one is kept, what it records, which a miss
//! reads, and the write after the response.
//!
//! One key per original, `{VARIANT_PREFIX}{key}/mezzanine`, asked for in step 7's wave with the
//! other bodies (no round trip of its own: the key needs no version), beside the variants, so a
//! delete removes it with them. Like a variant it records the version of the original it was
//! made from, and is read only while that is the current one; a replaced original's is
//! overwritten by the next miss rather than left behind under an old version's key.

use super::gate::Slot;
use super::ports::{Later, Meta, OnlyIf, PutMeta, Store, Stored};
use crate::config::Config;
use crate::http;
use crate::pipeline::{self, Made, Source};
use crate::transform::Transform;
use std::rc::Rc;

const SOURCE_ETAG: &str = "source-etag";
/// The original's size as displayed: the geometry of every output made from the mezzanine.
const SOURCE_SIZE: &str = "source-size";
/// The mezzanine's own size.
const SIZE: &str = "size";

/// Where an original's mezzanine is kept; `None` when mezzanines are off or the key would be too
/// long for R2.
pub(super) fn key(config: &Config, key: &str) -> Option<String> {
    let mezzanine = format!("{}{key}/mezzanine", config.url.variant_prefix);
    (config.pipeline.mezzanine.min_pixels > 0 && mezzanine.len() <= http::R2_MAX_KEY_BYTES).then_some(mezzanine)
}

/// What a miss reads: a body, and how the pipeline takes it.
pub(super) struct Read<B> {
    pub stored: Stored<B>,
    pub how: How,
}

#[derive(Debug, Clone, Copy)]
pub(super) struct How {
    /// When the mezzanine is read: its original's size as displayed.
    pub of: Option<(u32, u32)>,
    /// The original is read and has no mezzanine of this version: make one on the way.
    make: bool,
}

impl How {
    /// The bytes read, as the pipeline takes them.
    pub fn source(self, bytes: Vec<u8>) -> Source {
        match self.of {
            Some(of) => Source::Mezzanine { bytes, of },
            None => Source::Original { bytes, mezzanine: self.make },
        }
    }
}

/// The mezzanine when it is of this version of the original and has the pixels `resolved` needs
/// (the original's body is then dropped unread, which cancels it); else the original, and a
/// mezzanine made on the way when there is none of this version.
pub(super) fn choose<B>(config: &Config, original: Stored<B>, mezzanine: Option<Stored<B>>, resolved: &Transform) -> Read<B> {
    let current = mezzanine.and_then(|m| recorded(&m.meta, &original.meta.etag).map(|sizes| (m, sizes)));
    match current {
        Some((stored, (of, size))) if pipeline::mezzanine::covers(resolved, of, size, &config.pipeline.limits) => {
            Read { stored, how: How { of: Some(of), make: false } }
        }
        current => {
            let make = current.is_none() && config.pipeline.mezzanine.min_pixels > 0;
            Read { stored: original, how: How { of: None, make } }
        }
    }
}

/// The original's size and the mezzanine's, when it was made from the original of `etag`.
fn recorded(meta: &Meta, etag: &str) -> Option<((u32, u32), (u32, u32))> {
    let size = |name: &str| {
        let (w, h) = meta.custom.get(name)?.split_once('x')?;
        Some((w.parse().ok()?, h.parse().ok()?))
    };
    (meta.custom.get(SOURCE_ETAG)? == etag).then_some(())?;
    Some((size(SOURCE_SIZE)?, size(SIZE)?))
}

/// A mezzanine's bytes and what it records beside them.
pub(super) fn encoded(made: &Made, original_etag: &str) -> crate::error::Result<(Vec<u8>, PutMeta)> {
    let bytes = pipeline::mezzanine::encode(made)?;
    let custom = vec![
        (SOURCE_ETAG.into(), original_etag.into()),
        (SOURCE_SIZE.into(), format!("{}x{}", made.of.0, made.of.1)),
        (SIZE.into(), format!("{}x{}", made.img.width(), made.img.height())),
    ];
    Ok((bytes, PutMeta { content_type: "image/jpeg".into(), custom }))
}

/// A mezzanine's bytes once made and stored (eager variants make the rest from them).
pub(super) struct Kept {
    pub bytes: Vec<u8>,
    of: (u32, u32),
    size: (u32, u32),
}

impl Kept {
    pub fn new(made: &Made, bytes: Vec<u8>) -> Kept {
        Kept { bytes, of: made.of, size: (made.img.width(), made.img.height()) }
    }

    /// The mezzanine as the pipeline reads it, when it has the pixels `resolved` needs.
    pub fn source_for(&self, config: &Config, resolved: &Transform) -> Option<Source> {
        pipeline::mezzanine::covers(resolved, self.of, self.size, &config.pipeline.limits)
            .then(|| Source::Mezzanine { bytes: self.bytes.clone(), of: self.of })
    }
}

/// Encodes and stores the mezzanine once the response is on its way, still holding the gate's
/// slot (its pixels and the encoder's memory are this isolate's until then). A failure is only
/// logged: the next miss that reads the original makes it again.
pub(super) fn persist_later<S: Store + 'static>(
    later: &dyn Later,
    variants: Rc<S>,
    key: String,
    made: Made,
    original_etag: String,
    slot: Slot<'static>,
) {
    later.after_response(Box::pin(async move {
        let encoded = encoded(&made, &original_etag).map_err(|e| format!("encoding mezzanine {key} failed: {e}"));
        drop(made);
        let (bytes, meta) = encoded?;
        let written = variants.put(&key, bytes, meta, OnlyIf::Always).await;
        drop(slot);
        written.map(drop).map_err(|e| format!("persisting mezzanine {key} failed: {e}"))
    }));
}
