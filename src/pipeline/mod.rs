//! The image pipeline, one step per module, in the order they run:
//!
//! 1. [`probe`]     read format, size and orientation from the header only
//! 2. [`geometry`]  decide the output size, source region and canvas (displayed coordinates)
//! 3. [`admit`]     choose the decode scale, estimate peak memory, refuse over budget (413)
//! 4. [`decode`]    decode the stored pixels, shrinking JPEG in the DCT domain
//! 5. [`saliency`]  for `gravity=auto`, slide the crop window to the most detailed region
//! 6. [`resize`]    scale the region to the output size (premultiplied alpha)
//! 7. [`orient`]    turn the small result upright (EXIF orientation, then rotate and flip)
//! 8. [`colour`]    convert from the source's ICC profile to sRGB (CMYK already in step 4)
//! 9. [`pad`]       place it on the background canvas (`fit=pad`)
//! 10. [`encode`]   write JPEG / PNG / WebP / AVIF without metadata
//!
//! [`animate`] runs steps 4–10 frame by frame for `anim=true` on an animated GIF.
//!
//! It is synchronous and owns its buffers, so the adapter runs it with no `.await` inside and
//! every buffer is freed as soon as its step is over.

pub mod admit;
pub mod animate;
pub mod colour;
pub mod decode;
pub mod encode;
pub mod geometry;
pub mod in_flight;
pub mod orient;
pub mod pad;
pub mod palette;
pub mod probe;
pub mod resize;
pub mod saliency;

use crate::config::Config;
use crate::error::{Error, Result};
use crate::transform::{Format, Transform};
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
}

/// Runs `transform` (already [`Transform::resolved`], so the format is known) on `source`.
pub fn run(source: Vec<u8>, transform: &Transform, config: &Config, host: &Host<'_>) -> Result<Output> {
    let clock = host.clock;
    let format = transform.output_format().ok_or_else(|| Error::Internal("the transform was not resolved".into()))?;
    let quality = transform.quality.unwrap_or(config.default_quality);

    let probe = probe::probe(&source)?;
    let shape = Shape::new(&probe, transform, config);
    // `anim=true` with the source's own format: every frame, or the original when we cannot.
    if transform.anim && format == probe.format {
        if let Some(frames) = animate::frame_count(&source, probe.format)? {
            return animate::run(source, &probe, frames, &shape, config, clock);
        }
    }

    let decode_size = admit::decode_size(&probe, shape.needed());
    if format == Format::Avif {
        admit::admit_avif(shape.output_size(), config.avif_max_side)?;
    }
    let estimated_peak = admit::estimate(&probe, source.len(), decode_size, shape.output_size(), format);
    admit::admit(estimated_peak, config.memory_budget)?;
    if format == Format::Webp {
        // Transparency in the output: from the source, or from a transparent `pad` background.
        let alpha = probe.channels % 2 == 0 || (shape.canvas.is_some() && shape.background[3] < 255);
        admit::admit_webp(shape.output_size(), alpha, config.webp_memory_budget)?;
    }

    let t0 = clock();
    let decode::Decoded { image: img, icc } = decode::decode(&source, &probe, decode_size, config.memory_budget)?;
    drop(source);
    let t1 = clock();
    let region = shape.region_in(&img);
    let img = shape.finish(img, region, icc.as_deref())?;
    let t2 = clock();
    let settings = encode::Settings {
        quality,
        background: shape.background,
        webp: host.webp,
        avif_speed: config.avif_speed,
        progressive: transform.progressive,
    };
    let bytes = encode::encode(&img, format, &settings)?;
    let t3 = clock();

    Ok(Output {
        bytes,
        format,
        width: img.width(),
        height: img.height(),
        timings: Timings { decode: t1 - t0, resize: t2 - t1, encode: t3 - t2 },
        estimated_peak,
        note: None,
    })
}

/// What happens to decoded pixels, the same for a still image and for every frame of an
/// animation. Regions are in stored coordinates: orientation is applied to the small output only.
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
}

impl Shape {
    pub fn new(probe: &probe::Probe, transform: &Transform, config: &Config) -> Shape {
        let orientation = transform.orientation_after(probe.orientation);
        let turned = probe::swaps_axes(orientation);
        let shown = if turned { (probe.height, probe.width) } else { (probe.width, probe.height) };
        let plan = geometry::plan(shown.0, shown.1, transform, config.max_width, config.max_height);
        let stored = (probe.width as f64, probe.height as f64);
        Shape {
            region: orient::to_stored(plan.source, orientation, stored.0, stored.1),
            stored,
            out: if turned { (plan.height, plan.width) } else { (plan.width, plan.height) },
            orientation,
            auto_crop: plan.auto_crop,
            canvas: plan.canvas,
            output: plan.output_size(),
            background: transform.background_or_white(),
        }
    }

    /// The size of the encoded image.
    pub fn output_size(&self) -> (u32, u32) {
        self.output
    }

    /// The smallest full-image size that still has enough pixels for the output (shrink-on-load).
    pub fn needed(&self) -> (f64, f64) {
        (self.stored.0 * self.out.0 as f64 / self.region.width, self.stored.1 * self.out.1 as f64 / self.region.height)
    }

    /// The region in `img`'s pixels (the decode may be DCT-scaled), slid to the most detailed
    /// place for `gravity=auto`.
    pub fn region_in(&self, img: &DynamicImage) -> Rect {
        let (kx, ky) = (img.width() as f64 / self.stored.0, img.height() as f64 / self.stored.1);
        let region = self.region.scaled_within(kx, ky, img.width(), img.height());
        if self.auto_crop {
            saliency::best_window(img, region)
        } else {
            region
        }
    }

    /// Resize, turn upright, convert to sRGB, pad.
    pub fn finish(&self, img: DynamicImage, region: Rect, icc: Option<&[u8]>) -> Result<DynamicImage> {
        let mut img = resize::resize(img, region, self.out.0, self.out.1)?;
        orient::apply(&mut img, self.orientation);
        if let Some(icc) = icc {
            img = colour::to_srgb(img, icc);
        }
        if let Some(canvas) = self.canvas {
            img = pad::pad(img, canvas, self.background);
        }
        Ok(img)
    }
}
