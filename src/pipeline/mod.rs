//! The image pipeline: bytes in, bytes out. [`run`] takes every step in the order
//! [`steps`] lists them:
//!
//! probe → geometry → admit → decode (→ trim for `trim=border`) → region → resize → orient →
//! colour → adjust → pad → overlays → border → encode (→ the gain map through the same geometry,
//! for an HDR JPEG: [`hdr`])
//!
//! - [`steps`]: one file per step; the steps on decoded pixels are [`steps::PIXEL_STEPS`], run for
//!   a still image and for every frame of an animation.
//! - [`codecs`]: what reads and writes a format beyond a few calls (progressive JPEG, PNG8, EXIF,
//!   HEIF with its container, SVG) and the port to the codecs outside Rust ([`Codecs`]).
//! - [`types`] and [`shape`]: what the steps hand each other, and the plan decided before decoding.
//! - Extra outputs: [`animate`] (`anim=true`), [`info`] (`format=json`, from the header alone) and
//!   [`placeholder`] (`format=blurhash`, from a small [`render`]).
//!
//! It is synchronous and owns its buffers, so the flow runs it with no `.await` inside and every
//! buffer is freed as soon as its step is over.

pub mod animate;
pub mod codecs;
pub mod faces;
mod hdr;
pub mod info;
pub mod mezzanine;
pub mod placeholder;
mod prepare;
pub mod shape;
pub mod steps;
pub mod types;

pub use codecs::port::Codecs;
pub use shape::Shape;
pub use types::{Decoded, Made, Output, Pixels, Probe, Timings};

use crate::config::{Limits, PipelineSettings};
use crate::error::{Error, Result};
use crate::transform::{Accepts, Format, Transform, Trim};
use codecs::metadata;
use image::DynamicImage;
use prepare::prepare;
use steps::{admit, decode, encode, geometry, overlays, trim};
use types::Rect;

/// What the pipeline needs from its host: a clock (`std::time` does not exist in wasm), the
/// codecs outside Rust, and the overlays' images (read by the flow).
pub struct Host<'a> {
    /// Milliseconds.
    pub clock: &'a dyn Fn() -> f64,
    /// The codecs that live outside Rust (libwebp, dav1d, libde265).
    pub codecs: &'a Codecs<'a>,
    /// The overlays the transform draws (`transform.draw`, in order), with their images' bytes.
    pub overlays: &'a [(crate::config::Overlay, Vec<u8>)],
}

/// What the pixels are read from.
pub enum Source {
    /// An original's bytes (`Output::mezzanine` says whether it gets a [`mezzanine`]).
    Original(Vec<u8>),
    /// A mezzanine's bytes and its original's size as displayed: the geometry is the original's.
    Mezzanine { bytes: Vec<u8>, of: (u32, u32) },
}

impl From<Vec<u8>> for Source {
    fn from(bytes: Vec<u8>) -> Source {
        Source::Original(bytes)
    }
}

/// Runs `transform` (already [`Transform::resolved`], so the format is known) on `source`.
pub fn run(source: impl Into<Source>, transform: &Transform, settings: &PipelineSettings, host: &Host<'_>) -> Result<Output> {
    let clock = host.clock;
    let format = transform.output_format().ok_or_else(|| Error::Internal("the transform was not resolved".into()))?;
    let limits = &settings.limits;

    let (source, of) = match source.into() {
        Source::Original(bytes) => (bytes, None),
        // (Planned on the original, then in the mezzanine's pixels: a decode at a reduced scale.)
        Source::Mezzanine { bytes, of } => (bytes, Some(of)),
    };
    let (probe, mut shape) = prepare(&source, transform, limits, of)?;
    let original = of.is_none();
    overlays::place(&mut shape, host.overlays, limits, host.codecs)?;
    admit::margin_within_budget(&probe, source.len(), &mut shape, format, limits);
    if let Some(frames) = animate::frames_to_keep(&source, &probe, transform.anim, format)? {
        let writing = animate::Writing { format, quality: transform.encoder_quality().unwrap_or(85), webp: host.codecs.webp };
        // `trim=border` is found on the first frame and kept for all, as one crop window is.
        let retrim = |first: &DynamicImage| retrimmed(&probe, transform, limits, host, first);
        return animate::run(animate::Animation { source, probe: &probe, frames }, shape, &retrim, limits, &writing, clock);
    }
    // An HDR original's gain map is kept in a JPEG (`format=auto` chooses JPEG for it), and such
    // an original gets no mezzanine: it has no map, and outputs made from it would have none.
    let found = hdr::find(&source, &probe);
    let gets_mezzanine = original && found.is_none() && mezzanine::size_for(&probe, &settings.mezzanine).is_some();
    let hdr = hdr::plan(&source, found, transform, format, original);
    let format = hdr.format;
    // Best effort, as Cloudflare: an AVIF over its side or budget is served as WebP (or JPEG/PNG).
    let (format, fallback) = admit::best_effort(&probe, source.len(), &shape, format, limits)?;
    // An AVIF's or HEIC's map is decoded from the original after the base: its bytes are kept.
    let still = still(Held { source, keep: hdr.keeps_source() }, &probe, shape, transform, format, limits, host)?;
    let exif = if format == Format::Jpeg { metadata::app1(still.exif.as_deref(), transform.metadata) } else { None };
    let (quality, progressive) = match &hdr.map {
        Some((_, Some(as_jpeg))) => *as_jpeg,
        _ => (transform.encoder_quality().unwrap_or(85), transform.progressive),
    };
    let encoding = encode::Settings {
        quality,
        background: still.background,
        webp: host.codecs.webp,
        avif_speed: settings.avif_speed,
        progressive,
        exif,
        png8: if format == Format::Png { transform.encoder_quality() } else { None },
    };
    let t2 = clock();
    let img = still.img;
    let (width, height) = (img.width(), img.height());
    let mut bytes = encode::encode(&img, format, &encoding)?;
    drop(img);
    let (mut hdr_note, mut estimated_peak) = (hdr.note, still.estimated_peak);
    if let (Some((map, _)), Some(window)) = (&hdr.map, still.window) {
        match hdr::carried(&bytes, map, still.source.as_deref(), &still.shape, window, quality, limits, host.codecs) {
            Ok((made, peak)) => {
                // The map is made once the base's pixels are freed: beside its encoded bytes only.
                estimated_peak = estimated_peak.max(peak);
                bytes = made;
            }
            Err(note) => hdr_note = Some(note),
        }
    }
    let t3 = clock();

    let timings = Timings { decode: still.decode_ms, resize: still.pixels_ms, encode: t3 - t2 };
    // What was served instead of what was asked, and `FONTS` that could not be used.
    let fonts = if probe.format == Format::Svg { codecs::vector::fonts::problems() } else { None };
    let notes: Vec<String> = [fallback, still.note.map(String::from), fonts, hdr_note].into_iter().flatten().collect();
    let note = (!notes.is_empty()).then(|| notes.join("; "));
    Ok(Output { bytes, format, width, height, timings, estimated_peak, note, unchanged: false, mezzanine: gets_mezzanine })
}

/// A still image from probe to border, without encoding: the pixels `transform` makes (its format is
/// not read). For small outputs such as placeholders; overlays are not drawn.
pub fn render(source: Vec<u8>, transform: &Transform, settings: &PipelineSettings, codecs: &Codecs<'_>) -> Result<DynamicImage> {
    let limits = &settings.limits;
    let (probe, shape) = prepare(&source, transform, limits, None)?;
    let host = Host { clock: &|| 0.0, codecs, overlays: &[] };
    Ok(still(Held { source, keep: false }, &probe, shape, transform, Format::Png, limits, &host)?.img)
}

/// A still image from admission to border, and what encoding needs of them.
struct Still {
    img: DynamicImage,
    /// The source's EXIF (the TIFF structure), for `metadata`.
    exif: Option<Vec<u8>>,
    background: [u8; 4],
    estimated_peak: u64,
    decode_ms: f64,
    /// The pixel steps (the crop window, the resize and everything after it).
    pixels_ms: f64,
    /// Why the crop is not what was asked (`gravity=face` with no face found).
    note: Option<&'static str>,
    /// The plan the pixels were made by (redone around the frame for `trim=border`).
    shape: Shape,
    /// The crop window the pixels were taken from, in the source's stored pixels.
    window: Option<Rect>,
    /// The source's bytes when they were asked to be kept.
    source: Option<Vec<u8>>,
}

/// A still image from admission to border, shared by [`run`] and [`render`]: admission, decoding (then, for
/// `trim=border`, the frame found in the decoded pixels and the geometry redone), the pixel steps.
/// The source's bytes, and whether they are kept past decoding (for a map decoded from them).
struct Held {
    source: Vec<u8>,
    keep: bool,
}

fn still(
    held: Held,
    probe: &Probe,
    mut shape: Shape,
    transform: &Transform,
    format: Format,
    limits: &Limits,
    host: &Host<'_>,
) -> Result<Still> {
    let clock = host.clock;
    let Held { source, keep } = held;
    // Kept, the source is held through the encoding too: counted twice, once for each phase.
    let more = if keep { source.len() } else { 0 };
    let mut admitted = admit::still(probe, source.len() + more, &shape, format, limits)?;
    let t0 = clock();
    let Decoded { mut image, mut icc, exif } = decode::decode(&source, probe, admitted.decode_size, limits.memory_budget, host.codecs)?;
    if let Some(mut trimmed) = retrimmed(probe, transform, limits, host, &image)? {
        // The frame was found in the decode the untrimmed output needed; the kept region may need
        // more of its pixels than that (a wide border around a small picture): then decode again,
        // at the size the trimmed output needs, within the budget like any other, and find the
        // frame again there (the first was off by up to a pixel of the coarser decode).
        let again = admit::still(probe, source.len() + more, &trimmed, format, limits)?;
        if again.decode_size.0 > image.width() || again.decode_size.1 > image.height() {
            drop(image);
            let redone = decode::decode(&source, probe, again.decode_size, limits.memory_budget, host.codecs)?;
            (image, icc) = (redone.image, redone.icc);
            trimmed = retrimmed(probe, transform, limits, host, &image)?.unwrap_or(trimmed);
            admitted = again;
        }
        shape = trimmed;
    }
    let source = keep.then_some(source);
    let t1 = clock();
    let (kx, ky) = (shape.stored.0 / image.width().max(1) as f64, shape.stored.1 / image.height().max(1) as f64);
    let Pixels { img, note, region, .. } = steps::apply(&shape, Pixels { img: image, region: None, icc, note: None })?;
    let pixels_ms = clock() - t1;
    let window = region.map(|r| Rect { left: r.left * kx, top: r.top * ky, width: r.width * kx, height: r.height * ky });
    let (background, estimated_peak, decode_ms) = (shape.background, admitted.estimated_peak, t1 - t0);
    Ok(Still { img, exif, background, estimated_peak, decode_ms, pixels_ms, note, shape, window, source })
}

/// For `trim=border`, the geometry redone around the frame found in `image` (the stored image,
/// or a DCT-scaled decode of it: the frame is scaled back to stored pixels, off by at most one
/// pixel of that decode, which is at most an output pixel once the decode covers the trimmed
/// output: [`still`] sees to that); `None` for any other transform.
fn retrimmed(probe: &Probe, transform: &Transform, limits: &Limits, host: &Host<'_>, image: &DynamicImage) -> Result<Option<Shape>> {
    let Some(Trim::Border { color, tolerance, keep }) = transform.trim else { return Ok(None) };
    let found = trim::border(image, color, tolerance, keep);
    let (sx, sy) = (probe.width as f64 / image.width().max(1) as f64, probe.height as f64 / image.height().max(1) as f64);
    let found = Rect { left: found.left * sx, top: found.top * sy, width: found.width * sx, height: found.height * sy };
    let mut shape = geometry::shape(probe, transform, limits, Some(found))?;
    overlays::place(&mut shape, host.overlays, limits, host.codecs)?;
    Ok(Some(shape))
}

/// One call from encoded bytes to encoded bytes, for tests, benches and the fuzzer: the
/// source format is sniffed, `asked` is resolved with `settings`' defaults for a client that
/// accepts nothing special, and the codecs are [`Codecs::NATIVE`] (libwebp, dav1d and libde265
/// live in the worker).
pub fn transform_bytes(source: Vec<u8>, asked: &Transform, settings: &PipelineSettings) -> Result<Output> {
    let format = codecs::sniff(&source).unwrap_or(Format::Jpeg);
    let resolved = asked.resolved(format, settings.output_defaults(), Accepts::default());
    #[cfg(not(target_arch = "wasm32"))]
    let clock = {
        let started = std::time::Instant::now();
        move || started.elapsed().as_secs_f64() * 1000.0
    };
    #[cfg(target_arch = "wasm32")]
    let clock = || 0.0;
    run(source, &resolved, settings, &Host { clock: &clock, codecs: &Codecs::NATIVE, overlays: &[] })
}

/// Whether `source` is an image this pipeline can transform: probed, admitted and decoded as for
/// an 8 px thumbnail (JPEG shrinks on load to 1/8, so a large photo costs little), nothing
/// encoded. The same 413, 415 or 422 a transform would meet; the format and size when it can.
pub fn verify(source: &[u8], settings: &PipelineSettings, codecs: &Codecs<'_>) -> Result<Probe> {
    let probe = steps::probe::probe(source)?;
    let thumbnail =
        Transform { width: Some(8), ..Default::default() }.resolved(probe.format, settings.output_defaults(), Accepts::default());
    let shape = prepare::shaped(&probe, &thumbnail, &settings.limits, None)?;
    let format = thumbnail.output_format().unwrap_or(probe.format);
    let admitted = admit::still(&probe, source.len(), &shape, format, &settings.limits)?;
    decode::decode(source, &probe, admitted.decode_size, settings.limits.memory_budget, codecs)?;
    Ok(probe)
}
