//! Mezzanines in R2 ([`pipeline::mezzanine`]): where one is kept, what it records, which a miss
//! reads, and the write after the response.
//!
//! One key per original, `{VARIANT_PREFIX}{key}/mezzanine`, asked for in step 7's wave with the
//! other bodies (no round trip of its own: the key needs no version), beside the variants, so a
//! delete removes it with them. Like a variant it records the version of the original it was
//! made from, and is read only while that is the current one; a replaced original's is
//! overwritten by the next miss rather than left behind under an old version's key.

use crate::config::Config;
use crate::error::Error;
use crate::flow::ports::{Cache, Meta, OnlyIf, PutMeta, Store, Stored};
use crate::flow::Ports;
use crate::http::range::Ranged;
use crate::keys;
use crate::pipeline::{self, Made, Source};
use crate::transform::{Format, Transform};
use crate::url;

const SOURCE_ETAG: &str = "source-etag";
/// The original's size as displayed: the geometry of every output made from the mezzanine.
const SOURCE_SIZE: &str = "source-size";
/// The mezzanine's own size.
const SIZE: &str = "size";
/// Which pipeline made it: mezzanines made before gain-map originals were refused one (a
/// mezzanine has no map, so an output made from it would lose the HDR) are not read.
const MADE_BY: &str = "made-by";
const MADE_BY_NOW: &str = "pipeline-5";

/// Where an original's mezzanine is kept; `None` when none can be there, so step 7 does not ask
/// R2 for it: mezzanines are off, the key names a format that never gets one (`photo.png`:
/// most originals of a site's icons and logos), the key would be too long for R2, or the original
/// is not kept in R2 (an absolute-URL source, `ORIGIN_COPY=false`: making one reads the original
/// again, which must not cost its origin a second fetch).
pub(in crate::flow) fn key(config: &Config, key: &str) -> Option<String> {
    let mezzanine = format!("{}{key}/mezzanine", config.url.variant_prefix);
    let format_may = Format::of_extension(key).is_none_or(|f| pipeline::mezzanine::FORMATS.contains(&f));
    let in_r2 = !url::remote::is_remote(key) && (config.origin.url.is_none() || config.origin.copy);
    let on = config.pipeline.mezzanine.min_pixels > 0;
    (on && format_may && in_r2 && mezzanine.len() <= keys::R2_MAX_KEY_BYTES).then_some(mezzanine)
}

/// What a miss reads: a body, and how the pipeline takes it.
pub(in crate::flow) struct Read<B> {
    pub stored: Stored<B>,
    pub how: How,
}

#[derive(Debug, Clone, Copy)]
pub(in crate::flow) struct How {
    /// When the mezzanine is read: its original's size as displayed.
    pub of: Option<(u32, u32)>,
    /// The original is read and has no mezzanine of this version: make one after the response
    /// if it is an original that gets one.
    pub make: bool,
}

impl How {
    /// The bytes read, as the pipeline takes them.
    pub fn source(self, bytes: Vec<u8>) -> Source {
        match self.of {
            Some(of) => Source::Mezzanine { bytes, of },
            None => Source::Original(bytes),
        }
    }
}

/// The mezzanine when it is of this version of the original and has the pixels `resolved` needs
/// (the original's body is then dropped unread, which cancels it); else the original, and a
/// mezzanine to make after the response when there is none of this version.
pub(in crate::flow) fn choose<B>(config: &Config, original: Stored<B>, mezzanine: Option<Stored<B>>, resolved: &Transform) -> Read<B> {
    let current = mezzanine.and_then(|m| recorded(&m.meta, &original.meta.etag).map(|sizes| (m, sizes)));
    match current {
        Some((stored, (of, size))) if pipeline::mezzanine::covers(resolved, of, size, &config.pipeline.limits) => {
            Read { stored, how: How { of: Some(of), make: false } }
        }
        current => Read { stored: original, how: How { of: None, make: current.is_none() } },
    }
}

/// The original's size and the mezzanine's, when it was made from the original of `etag`.
fn recorded(meta: &Meta, etag: &str) -> Option<((u32, u32), (u32, u32))> {
    let size = |name: &str| {
        let (w, h) = meta.custom.get(name)?.split_once('x')?;
        Some((w.parse().ok()?, h.parse().ok()?))
    };
    (meta.custom.get(SOURCE_ETAG)? == etag && meta.custom.get(MADE_BY)? == MADE_BY_NOW).then_some(())?;
    Some((size(SOURCE_SIZE)?, size(SIZE)?))
}

/// A mezzanine's bytes and what it records beside them; `None` when it would not spare enough to
/// be worth a read of its own: a JPEG decode costs about its bytes, and a 6 MP photo of 0.8 MB
/// made a 1.1 MB mezzanine that decoded slower than the original (`cargo bench --bench stages`),
/// so it is kept only at half the original's bytes or less.
pub(in crate::flow) fn encoded(made: &Made, original: &Meta) -> crate::error::Result<Option<(Vec<u8>, PutMeta)>> {
    let bytes = pipeline::mezzanine::encode(made)?;
    if bytes.len() as u64 * 2 > original.size {
        return Ok(None);
    }
    let original_etag = &original.etag;
    let custom = vec![
        (SOURCE_ETAG.into(), original_etag.into()),
        (SOURCE_SIZE.into(), format!("{}x{}", made.of.0, made.of.1)),
        (SIZE.into(), format!("{}x{}", made.img.width(), made.img.height())),
        (MADE_BY.into(), MADE_BY_NOW.into()),
    ];
    Ok(Some((bytes, PutMeta { content_type: "image/jpeg".into(), custom })))
}

/// A mezzanine's bytes once made and stored (eager variants make the rest from them).
pub(in crate::flow) struct Kept {
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

/// Makes and stores the original's mezzanine after the response: the original read again (one
/// more R2 read, and only while it is still the version `etag` names; a newer one's own miss
/// makes its own), decoded at the mezzanine's scale, reduced, encoded. Only when the isolate has
/// room for it now, and a failure is only logged: the next miss that reads the original tries
/// again. The response never waits for any of it.
pub(in crate::flow) fn make_later<S: Store + 'static, C: Cache>(
    ports: &Ports<'_, S, C>,
    config: &Config,
    key: &str,
    mezzanine_key: String,
    original: &Meta,
) {
    let (originals, variants, gate, codecs) = (ports.originals.clone(), ports.variants.clone(), ports.gate, ports.codecs);
    let (settings, key, original) = (config.pipeline.clone(), key.to_string(), original.clone());
    ports.later.after_response(Box::pin(async move {
        let failed = |e: Error| format!("making mezzanine {mezzanine_key} failed: {e}");
        let Some(slot) = gate.try_take(original.size, &settings.limits) else { return Ok(()) };
        let Some(stored) = originals.get(&key, Ranged::Whole).await.map_err(failed)? else { return Ok(()) };
        if stored.meta.etag != original.etag || crate::flow::lookup::readable(&stored.meta, &settings.limits).is_err() {
            return Ok(());
        }
        let bytes = originals.read(stored.body).await.map_err(failed)?;
        let made = pipeline::mezzanine::make(&bytes, &settings, &codecs.codecs(None, settings.heic)).map_err(failed)?;
        drop(bytes);
        let Some(made) = made else { return Ok(()) };
        let Some((bytes, meta)) = encoded(&made, &original).map_err(failed)? else { return Ok(()) };
        drop(made);
        variants.put(&mezzanine_key, bytes, meta, OnlyIf::Always).await.map_err(failed)?;
        drop(slot);
        Ok(())
    }));
}
