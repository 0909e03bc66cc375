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
//! 10. [`encode`]   write JPEG / PNG / WebP without metadata
//!
//! It is synchronous and owns its buffers, so the adapter runs it with no `.await` inside and
//! every buffer is freed as soon as its step is over.

pub mod admit;
pub mod colour;
pub mod decode;
pub mod encode;
pub mod geometry;
pub mod orient;
pub mod pad;
pub mod probe;
pub mod resize;
pub mod saliency;

use crate::config::Config;
use crate::error::{Error, Result};
use crate::transform::{Format, Transform};

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
    let orientation = transform.orientation_after(probe.orientation);
    let turned = probe::swaps_axes(orientation);
    let shown = if turned { (probe.height, probe.width) } else { (probe.width, probe.height) };
    let plan = geometry::plan(shown.0, shown.1, transform, config.max_width, config.max_height);

    // From here on, work in stored coordinates: orientation is applied to the small output only.
    let (sw, sh) = (probe.width as f64, probe.height as f64);
    let region = orient::to_stored(plan.source, orientation, sw, sh);
    let out = if turned { (plan.height, plan.width) } else { (plan.width, plan.height) };
    let needed = (sw * out.0 as f64 / region.width, sh * out.1 as f64 / region.height);
    let decode_size = admit::decode_size(&probe, needed);
    if format == Format::Avif {
        admit::admit_avif(plan.output_size(), config.avif_max_side)?;
    }
    let estimated_peak = admit::estimate(&probe, source.len(), decode_size, plan.output_size(), format);
    admit::admit(estimated_peak, config.memory_budget)?;
    if format == Format::Webp {
        // Transparency in the output: from the source, or from a transparent `pad` background.
        let alpha = probe.channels % 2 == 0 || (plan.canvas.is_some() && transform.background_or_white()[3] < 255);
        admit::admit_webp(plan.output_size(), alpha, config.webp_memory_budget)?;
    }

    let t0 = clock();
    let decode::Decoded { image: img, icc } = decode::decode(&source, &probe, decode_size, config.memory_budget)?;
    drop(source);
    let t1 = clock();
    // The decode may be DCT-scaled: express the region in decoded pixels.
    let mut region = region.scaled_within(img.width() as f64 / sw, img.height() as f64 / sh, img.width(), img.height());
    if plan.auto_crop {
        region = saliency::best_window(&img, region);
    }
    let mut img = resize::resize(img, region, out.0, out.1)?;
    orient::apply(&mut img, orientation);
    if let Some(icc) = &icc {
        img = colour::to_srgb(img, icc);
    }
    if let Some(canvas) = plan.canvas {
        img = pad::pad(img, canvas, transform.background_or_white());
    }
    let t2 = clock();
    let settings =
        encode::Settings { quality, background: transform.background_or_white(), webp: host.webp, avif_speed: config.avif_speed };
    let bytes = encode::encode(&img, format, &settings)?;
    let t3 = clock();

    Ok(Output {
        bytes,
        format,
        width: img.width(),
        height: img.height(),
        timings: Timings { decode: t1 - t0, resize: t2 - t1, encode: t3 - t2 },
        estimated_peak,
    })
}
