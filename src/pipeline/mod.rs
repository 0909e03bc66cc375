//! The image pipeline, one step per module. [`run`] lists the steps in the order they run:
//!
//! 1. [`probe`]     read format, size and orientation from the header only ([`source`] sends an
//!    SVG to [`vector`] instead, for this step and step 4)
//! 2. [`geometry`]  decide the output size, source region and canvas ([`Shape`])
//! 3. [`admit`]     choose the decode scale, estimate peak memory, refuse over budget (413)
//! 4. [`decode`]    decode the stored pixels, shrinking JPEG in the DCT domain (a progressive one
//!    at 1/2 or 1/4 scale through [`progressive`]); an AVIF through [`avif`] (the host's dav1d); an
//!    SVG is drawn by [`vector`] at the size needed
//!    then for `trim=border`, [`trim`] finds the frame in the pixels and the geometry is redone
//! 5. [`PIXEL_STEPS`], on decoded pixels (a still image, or each frame of an animation):
//!    [`saliency`] (the crop window, slid for `gravity=auto`), [`resize`], [`orient`],
//!    [`colour`] (to sRGB), [`adjust`] (brightness, saturation, contrast, gamma, blur, sharpen),
//!    [`pad`] (`fit=pad`), [`draw`] (overlays, prepared before decoding), [`border`]
//! 6. [`encode`]    write JPEG / PNG / WebP / AVIF, with the EXIF `metadata` keeps (JPEG)
//!
//! [`info`] answers `format=json` from steps 1–2 alone; [`placeholder`] `format=blurhash` from a
//! small [`render`] (steps 1–5, no encode).
//! [`animate`] runs steps 4–5 frame by frame for `anim=true` on an animated GIF.
//! Adding a step is one file and one line in `run` or in [`PIXEL_STEPS`].
//!
//! It is synchronous and owns its buffers, so the flow runs it with no `.await` inside and
//! every buffer is freed as soon as its step is over.

pub mod adjust;
pub mod admit;
pub mod animate;
pub mod border;
pub mod colour;
pub mod container;
pub mod decode;
pub mod draw;
pub mod encode;
pub mod geometry;
pub mod heif;
pub mod info;
pub mod metadata;

pub mod orient;
pub mod pad;
pub mod palette;
pub mod placeholder;
pub mod probe;
pub mod progressive;
pub mod resize;
pub mod saliency;
pub mod source;
pub mod trim;
pub mod vector;

use crate::config::{Limits, PipelineSettings};
use crate::error::{Error, Result};
use crate::transform::{Accepts, Adjust, Border, Fit, Format, Gravity, Transform, Trim};
use geometry::{Canvas, Rect};
use image::metadata::Orientation;
use image::DynamicImage;

/// The encoded result and what it cost.
#[derive(Debug)]
pub struct Output {
    pub bytes: Vec<u8>,
    pub format: Format,
    pub width: u32,
    pub height: u32,
    pub timings: Timings,
    /// What admission control estimated for the peak memory of this transform, in bytes.
    pub estimated_peak: u64,
    /// Why the bytes are not what was asked for (an animation served unchanged), for a header.
    pub note: Option<String>,
}

/// Milliseconds spent in each step, for `Server-Timing`.
#[derive(Debug, Default, Clone, Copy)]
pub struct Timings {
    pub decode: f64,
    pub resize: f64,
    pub encode: f64,
}

/// What the pipeline needs from its host: a clock (`std::time` does not exist in wasm) and the
/// WebP encoder (libwebp in the worker).
pub struct Host<'a> {
    /// Milliseconds.
    pub clock: &'a dyn Fn() -> f64,
    pub webp: &'a dyn encode::WebpEncoder,
    /// The overlays the transform draws (`transform.draw`, in order), with their images' bytes.
    pub overlays: &'a [(crate::config::Overlay, Vec<u8>)],
}

/// Runs `transform` (already [`Transform::resolved`], so the format is known) on `source`.
pub fn run(source: Vec<u8>, transform: &Transform, settings: &PipelineSettings, host: &Host<'_>) -> Result<Output> {
    let clock = host.clock;
    let format = transform.output_format().ok_or_else(|| Error::Internal("the transform was not resolved".into()))?;
    let limits = &settings.limits;

    let probe = source::probe(&source)?;
    let mut shape = Shape::new(&probe, transform, limits)?;
    shape.prepare_overlays(host.overlays, limits)?;
    if let Some(frames) = animate::frames_to_keep(&source, &probe, transform.anim, format)? {
        let writing = animate::Writing { format, quality: transform.encoder_quality().unwrap_or(85), webp: host.webp };
        // `trim=border` is found on the first frame and kept for all, as one crop window is.
        let retrim = |first: &DynamicImage| retrimmed(&probe, transform, limits, host.overlays, first);
        return animate::run(source, &probe, frames, shape, &retrim, limits, &writing, clock);
    }
    let still = still(source, &probe, shape, transform, format, limits, host.overlays, clock)?;
    let exif = if format == Format::Jpeg { metadata::app1(still.exif.as_deref(), transform.metadata) } else { None };
    let encoding = encode::Settings {
        quality: transform.encoder_quality().unwrap_or(85),
        background: still.background,
        webp: host.webp,
        avif_speed: settings.avif_speed,
        progressive: transform.progressive,
        exif,
        png8: if format == Format::Png { transform.encoder_quality() } else { None },
    };
    let t2 = clock();
    let img = still.img;
    let bytes = encode::encode(&img, format, &encoding)?;
    let t3 = clock();

    let (width, height) = (img.width(), img.height());
    let timings = Timings { decode: still.decode_ms, resize: still.pixels_ms, encode: t3 - t2 };
    // No face detector fits the worker (README): `gravity=face` crops as `auto` does, and says so.
    let note = (transform.gravity == Gravity::Face).then(|| "gravity=face: no face detector here, cropped as gravity=auto".to_string());
    Ok(Output { bytes, format, width, height, timings, estimated_peak: still.estimated_peak, note })
}

/// Steps 1–5 for a still image, without encoding: the pixels `transform` makes (its format is
/// not read). For small outputs such as placeholders; overlays are not drawn.
pub fn render(source: Vec<u8>, transform: &Transform, settings: &PipelineSettings) -> Result<DynamicImage> {
    let limits = &settings.limits;
    let probe = source::probe(&source)?;
    let shape = Shape::new(&probe, transform, limits)?;
    Ok(still(source, &probe, shape, transform, Format::Png, limits, &[], &|| 0.0)?.img)
}

/// A still image through steps 3–5, and what encoding needs of them.
struct Still {
    img: DynamicImage,
    /// The source's EXIF (the TIFF structure), for `metadata`.
    exif: Option<Vec<u8>>,
    background: [u8; 4],
    estimated_peak: u64,
    decode_ms: f64,
    /// The pixel steps (resize and everything after it).
    pixels_ms: f64,
}

/// Steps 3–5 for a still image, shared by [`run`] and [`render`]: admission, decoding (then, for
/// `trim=border`, the frame found in the decoded pixels and the geometry redone), the pixel steps.
#[allow(clippy::too_many_arguments)] // the steps' inputs, each named where it is used
fn still(
    source: Vec<u8>,
    probe: &probe::Probe,
    mut shape: Shape,
    transform: &Transform,
    format: Format,
    limits: &Limits,
    overlays: &[(crate::config::Overlay, Vec<u8>)],
    clock: &dyn Fn() -> f64,
) -> Result<Still> {
    let mut admitted = admit::still(probe, source.len(), &shape, format, limits)?;
    let t0 = clock();
    let decode::Decoded { mut image, mut icc, exif } = source::decode(&source, probe, admitted.decode_size, limits.memory_budget)?;
    if let Some(mut trimmed) = retrimmed(probe, transform, limits, overlays, &image)? {
        // The frame was found in the decode the untrimmed output needed; the kept region may need
        // more of its pixels than that (a wide border around a small picture): then decode again,
        // at the size the trimmed output needs, within the budget like any other, and find the
        // frame again there (the first was off by up to a pixel of the coarser decode).
        let again = admit::still(probe, source.len(), &trimmed, format, limits)?;
        if again.decode_size.0 > image.width() || again.decode_size.1 > image.height() {
            drop(image);
            let redone = source::decode(&source, probe, again.decode_size, limits.memory_budget)?;
            (image, icc) = (redone.image, redone.icc);
            trimmed = retrimmed(probe, transform, limits, overlays, &image)?.unwrap_or(trimmed);
            admitted = again;
        }
        shape = trimmed;
    }
    drop(source);
    let t1 = clock();
    let img = shape.apply(Pixels { img: image, region: None, icc })?;
    let pixels_ms = clock() - t1;
    Ok(Still { img, exif, background: shape.background, estimated_peak: admitted.estimated_peak, decode_ms: t1 - t0, pixels_ms })
}

/// For `trim=border`, the geometry redone around the frame found in `image` (the stored image,
/// or a DCT-scaled decode of it: the frame is scaled back to stored pixels, off by at most one
/// pixel of that decode, which is at most an output pixel once the decode covers the trimmed
/// output: [`still`] sees to that); `None` for any other transform.
fn retrimmed(
    probe: &probe::Probe,
    transform: &Transform,
    limits: &Limits,
    overlays: &[(crate::config::Overlay, Vec<u8>)],
    image: &DynamicImage,
) -> Result<Option<Shape>> {
    let Some(Trim::Border { color, tolerance, keep }) = transform.trim else { return Ok(None) };
    let found = trim::border(image, color, tolerance, keep);
    let (sx, sy) = (probe.width as f64 / image.width().max(1) as f64, probe.height as f64 / image.height().max(1) as f64);
    let found = Rect { left: found.left * sx, top: found.top * sy, width: found.width * sx, height: found.height * sy };
    let mut shape = Shape::build(probe, transform, limits, Some(found))?;
    shape.prepare_overlays(overlays, limits)?;
    Ok(Some(shape))
}

/// Decoded pixels on their way through [`PIXEL_STEPS`].
pub struct Pixels {
    pub img: DynamicImage,
    /// The part of `img` that is kept, once [`saliency::step`] has chosen it (an animation
    /// chooses it on the first frame and hands it to every other frame).
    pub region: Option<Rect>,
    /// The ICC profile the pixels are in (`None`: sRGB).
    pub icc: Option<Vec<u8>>,
}

/// One step on decoded pixels, reading the geometry decided before decoding.
pub type Step = fn(Pixels, &Shape) -> Result<Pixels>;

/// The steps on decoded pixels, in the order they run, for a still image and for every frame
/// of an animation.
pub const PIXEL_STEPS: &[(&str, Step)] = &[
    ("region", saliency::step),
    ("resize", resize::step),
    ("orient", orient::step),
    ("colour", colour::step),
    ("adjust", adjust::step),
    ("pad", pad::step),
    ("draw", draw::step),
    ("border", border::step),
];

/// One call from encoded bytes to encoded bytes, for tests, benches and the fuzzer: the
/// source format is sniffed, `asked` is resolved with `settings`' defaults for a client that
/// accepts nothing special, and WebP is `image`'s lossless encoder (libwebp lives in the worker).
pub fn transform_bytes(source: Vec<u8>, asked: &Transform, settings: &PipelineSettings) -> Result<Output> {
    let format = probe::sniff(&source).unwrap_or(Format::Jpeg);
    let resolved = asked.resolved(format, settings.output_defaults(), Accepts::default());
    #[cfg(not(target_arch = "wasm32"))]
    let clock = {
        let started = std::time::Instant::now();
        move || started.elapsed().as_secs_f64() * 1000.0
    };
    #[cfg(target_arch = "wasm32")]
    let clock = || 0.0;
    run(source, &resolved, settings, &Host { clock: &clock, webp: &encode::LosslessWebp, overlays: &[] })
}

/// Whether `source` is an image this pipeline can transform: probed, admitted and decoded as for
/// an 8 px thumbnail (JPEG shrinks on load to 1/8, so a large photo costs little), nothing
/// encoded. The same 413, 415 or 422 a transform would meet; the format and size when it can.
pub fn verify(source: &[u8], settings: &PipelineSettings) -> Result<probe::Probe> {
    let probe = source::probe(source)?;
    let thumbnail =
        Transform { width: Some(8), ..Default::default() }.resolved(probe.format, settings.output_defaults(), Accepts::default());
    let shape = Shape::new(&probe, &thumbnail, &settings.limits)?;
    let format = thumbnail.output_format().unwrap_or(probe.format);
    let admitted = admit::still(&probe, source.len(), &shape, format, &settings.limits)?;
    source::decode(source, &probe, admitted.decode_size, settings.limits.memory_budget)?;
    Ok(probe)
}

/// What happens to decoded pixels, decided from the header before decoding: the same for a
/// still image and for every frame of an animation. Regions are in stored coordinates:
/// orientation is applied to the small output only.
pub struct Shape {
    /// The part of the full-size stored image that is kept.
    region: Rect,
    /// Full stored size.
    stored: (f64, f64),
    /// Resize target, in stored orientation.
    out: (u32, u32),
    orientation: Orientation,
    auto_crop: bool,
    canvas: Option<Canvas>,
    output: (u32, u32),
    background: [u8; 4],
    adjust: Adjust,
    border: Option<Border>,
    /// Overlays ready to draw ([`Shape::prepare_overlays`]).
    overlays: Vec<draw::Placed>,
}

impl Shape {
    pub fn new(probe: &probe::Probe, transform: &Transform, limits: &Limits) -> Result<Shape> {
        Shape::build(probe, transform, limits, None)
    }

    /// `found`: the region a `trim=border` kept, in stored pixels, once it is known.
    pub fn build(probe: &probe::Probe, transform: &Transform, limits: &Limits, found: Option<Rect>) -> Result<Shape> {
        // A vector has no pixel ceiling: "never enlarge" (scale-down, crop) means nothing for it,
        // so an SVG is drawn at the size asked, as contain and cover would.
        let vector;
        let transform = match (probe.format, transform.fit) {
            (Format::Svg, Fit::ScaleDown | Fit::Crop) => {
                let fit = if transform.fit == Fit::Crop { Fit::Cover } else { Fit::Contain };
                vector = Transform { fit, ..transform.clone() };
                &vector
            }
            _ => transform,
        };
        let stored = (probe.width as f64, probe.height as f64);
        // Trims count on the upright image (EXIF orientation applied), before rotate and flip.
        let (upright_w, upright_h) = probe.oriented_size();
        let asked = match &transform.trim {
            Some(t) => trim::edges(t, upright_w, upright_h)?.map(|r| orient::to_stored(r, probe.orientation, stored.0, stored.1)),
            None => None,
        };
        let kept = found.or(asked).unwrap_or(Rect { left: 0.0, top: 0.0, width: stored.0, height: stored.1 });
        let orientation = transform.orientation_after(probe.orientation);
        let turned = probe::swaps_axes(orientation);
        let (kept_w, kept_h) = (kept.width.round() as u32, kept.height.round() as u32);
        let shown = if turned { (kept_h, kept_w) } else { (kept_w, kept_h) };
        let plan = geometry::plan(shown.0, shown.1, transform, limits.max_width, limits.max_height);
        let inside = orient::to_stored(plan.source, orientation, kept.width, kept.height);
        let border = transform.border;
        let (w, h) = plan.output_size();
        let output = border.map_or((w, h), |b| (w + b.left + b.right, h + b.top + b.bottom));
        Ok(Shape {
            region: Rect { left: kept.left + inside.left, top: kept.top + inside.top, ..inside },
            stored,
            out: if turned { (plan.height, plan.width) } else { (plan.width, plan.height) },
            orientation,
            auto_crop: plan.auto_crop,
            canvas: plan.canvas,
            output,
            background: transform.background_or_white(),
            adjust: transform.adjust,
            border,
            overlays: Vec::new(),
        })
    }

    /// Decodes and places the overlays for this output (before the source is decoded, so
    /// admission counts them).
    pub fn prepare_overlays(&mut self, overlays: &[(crate::config::Overlay, Vec<u8>)], limits: &Limits) -> Result<()> {
        let canvas = match self.border {
            Some(b) => (self.output.0 - b.left - b.right, self.output.1 - b.top - b.bottom),
            None => self.output,
        };
        self.overlays =
            overlays.iter().map(|(spec, bytes)| draw::prepare(spec, bytes, canvas, limits.memory_budget)).collect::<Result<_>>()?;
        Ok(())
    }

    /// Bytes the prepared overlays hold.
    pub fn overlay_bytes(&self) -> u64 {
        self.overlays.iter().map(draw::Placed::bytes).sum()
    }

    /// How many output-sized RGBA copies the effects hold at once (0 without effects).
    pub fn effect_copies(&self) -> u32 {
        let blur = if self.adjust.blur > 0 { 3 } else { 0 };
        let sharpen = if self.adjust.sharpen.0 > 0 { 6 } else { 0 };
        let frame = if self.border.is_some() || !self.overlays.is_empty() { 2 } else { 0 };
        blur.max(sharpen).max(frame)
    }

    /// The size of the encoded image.
    pub fn output_size(&self) -> (u32, u32) {
        self.output
    }

    /// The smallest full-image size that still has enough pixels for the output (shrink-on-load).
    /// Before `trim=border` has found its frame, for the untrimmed output ([`still`] decodes again
    /// if the frame turns out to need more).
    pub fn needed(&self) -> (f64, f64) {
        (self.stored.0 * self.out.0 as f64 / self.region.width, self.stored.1 * self.out.1 as f64 / self.region.height)
    }

    /// Whether the output has transparency: from the source, or from a transparent `pad`.
    pub fn has_alpha(&self, source_channels: u8) -> bool {
        source_channels.is_multiple_of(2) || (self.canvas.is_some() && self.background[3] < 255)
    }

    /// Runs [`PIXEL_STEPS`] in order.
    pub fn apply(&self, mut pixels: Pixels) -> Result<DynamicImage> {
        for (_, step) in PIXEL_STEPS {
            pixels = step(pixels, self)?;
        }
        Ok(pixels.img)
    }
}
