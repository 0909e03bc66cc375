//! The mezzanine: a large original reduced once (its longer side to `MEZZANINE_SIDE`), upright,
//! in sRGB, as a JPEG at quality 90 (4:2:0, as every JPEG and WebP output is) with the
//! original's EXIF.
//! Later sizes that need no more pixels than it has are made from it: a small read and a small
//! decode (JPEG shrinks on load, so a 400 px output decodes it at a quarter) instead of the
//! original's. The geometry is always the original's: a mezzanine is read as a decode of the
//! original at a reduced scale, which the steps already handle for JPEG's DCT scaling.
//!
//! Only lossy stills without alpha get one ([`FORMATS`]).

use super::codecs::jpeg;
use super::codecs::port::Codecs;
use super::shape::Shape;
use super::steps::{self, admit, decode, geometry, probe};
use super::types::{Decoded, Made, Pixels, Probe};
use crate::config::{Limits, Mezzanine, PipelineSettings};
use crate::error::{Error, Result};
use crate::transform::{Fit, Format, Transform, Trim};
use image::metadata::Orientation;
use image::DynamicImage;
use jpeg_encoder::{ColorType, Encoder, SamplingFactor};

/// Quality of the mezzanine's JPEG. Outputs made from it measured as close to a float Lanczos
/// resize of the original as sharp's (luma SSIM within 0.002, BENCHMARKS.md) at 90 and at 95;
/// 90 has half the bytes, and a later miss decodes it 10–20% faster.
const QUALITY: u8 = 90;

/// The formats whose originals may get one: lossy stills (a PNG's lines or an alpha channel
/// would not survive JPEG; an SVG or an animation has nothing to gain).
pub const FORMATS: [Format; 3] = [Format::Jpeg, Format::Heic, Format::Avif];

/// The mezzanine's size for an original (upright), or `None` when it gets none: off, not a
/// lossy still without alpha, under `MEZZANINE_MIN_MP`, or not larger than the mezzanine.
/// Whether `source` gets a mezzanine: one large enough ([`size_for`]) with no HDR gain map (a
/// mezzanine has none, so every output made from it would lose the HDR). The rule for uploads,
/// eager variants and [`make`]; `pipeline::run` applies it with the map it has already found.
pub fn gets_one(source: &[u8], probe: &Probe, settings: &Mezzanine) -> bool {
    size_for(probe, settings).is_some() && super::hdr::find(source, probe).is_none()
}

pub fn size_for(probe: &Probe, settings: &Mezzanine) -> Option<(u32, u32)> {
    let lossy_opaque = FORMATS.contains(&probe.format) && probe.channels % 2 == 1;
    let pixels = probe.width as u64 * probe.height as u64;
    let (w, h) = probe.oriented_size();
    let long = w.max(h);
    if settings.min_pixels == 0 || !lossy_opaque || pixels < settings.min_pixels || long <= settings.side {
        return None;
    }
    // A JPEG whose half-size decode (in the DCT domain) comes within a quarter of the side is
    // reduced to exactly that, so the mezzanine never needs a full decode: a 12 MP phone photo's
    // (4032×3024) is 2016×1512, not 2048 px from 12 MP of decoded pixels.
    let half = (jpeg::scaled(w, 4), jpeg::scaled(h, 4));
    if probe.format == Format::Jpeg && half.0.max(half.1) < settings.side && half.0.max(half.1) * 4 >= settings.side * 3 {
        return Some(half);
    }
    let k = settings.side as f64 / long as f64;
    Some((((w as f64 * k).round() as u32).max(1), ((h as f64 * k).round() as u32).max(1)))
}

/// What the mezzanine's own geometry is: the whole original, upright, to `size`.
pub fn transform(size: (u32, u32)) -> Transform {
    Transform { width: Some(size.0), height: Some(size.1), fit: Fit::ScaleDown, ..Default::default() }
}

/// Whether `transform` (resolved) can be made from a mezzanine of `size` of an original
/// displayed at `of`: it needs no more pixels than the mezzanine has (within a pixel: the
/// mezzanine's sides are rounded), and it does not look for a frame in the pixels
/// (`trim=border` may need more of them once found). Descriptions read the original.
pub fn covers(transform: &Transform, of: (u32, u32), size: (u32, u32), limits: &Limits) -> bool {
    if matches!(transform.trim, Some(Trim::Border { .. })) || transform.is_info() || transform.is_placeholder() {
        return false;
    }
    match geometry::shape(&upright(Format::Jpeg, of, 3), transform, limits, None) {
        Ok(mut shape) => {
            // The output's own pixels: a read of the mezzanine keeps twice them where it has them.
            shape.margin = 1.0;
            let (w, h) = shape.needed();
            w <= size.0 as f64 + 1.0 && h <= size.1 as f64 + 1.0
        }
        Err(_) => false,
    }
}

/// An original's mezzanine on its own (an upload); `None` when it gets none, or when making it
/// is over the memory budget.
pub fn make(source: &[u8], settings: &PipelineSettings, codecs: &Codecs<'_>) -> Result<Option<Made>> {
    let probe = probe::probe(source)?;
    let Some(size) = size_for(&probe, &settings.mezzanine).filter(|_| super::hdr::find(source, &probe).is_none()) else { return Ok(None) };
    let limits = &settings.limits;
    let mut own = super::prepare::shaped(&probe, &transform(size), limits, None)?;
    // Its own size from the DCT scale nearest it (a 12 MP photo's half-size decode): a mezzanine
    // is an intermediate, read again with the quality margin.
    own.margin = 1.0;
    let Some((decode_size, _)) = admitted(&probe, source.len(), &own, limits) else { return Ok(None) };
    let (img, exif) = reduce(source, &probe, &own, decode_size, limits, codecs)?;
    Ok(Some(Made { img, exif, of: probe.oriented_size() }))
}

/// The decode size and peak memory of making the mezzanine `own` plans, when within budget (and
/// within a HEIF decoder's own).
fn admitted(probe: &Probe, source_len: usize, own: &Shape, limits: &Limits) -> Option<((u32, u32), u64)> {
    let decode_size = admit::decode_size(probe, own.needed());
    let peak = admit::mezzanine(probe, source_len, decode_size, own.output_size());
    (peak <= limits.memory_budget && probe.decoder_bytes <= limits.heif_memory_budget).then_some((decode_size, peak))
}

/// The original decoded at `decode_size` and reduced by its own plan (`own`) to the
/// mezzanine's pixels, upright and in sRGB; with the original's EXIF.
fn reduce(
    source: &[u8],
    probe: &Probe,
    own: &Shape,
    decode_size: (u32, u32),
    limits: &Limits,
    codecs: &Codecs<'_>,
) -> Result<(DynamicImage, Option<Vec<u8>>)> {
    let Decoded { image, icc, exif } = decode::decode(source, probe, decode_size, limits.memory_budget, codecs)?;
    Ok((steps::apply(own, Pixels { img: image, region: None, icc, note: None })?.img, exif))
}

/// An upright header of a `size` image, for the geometry alone.
fn upright(format: Format, size: (u32, u32), channels: u8) -> Probe {
    Probe {
        format,
        width: size.0,
        height: size.1,
        orientation: Orientation::NoTransforms,
        decoded_bpp: channels,
        channels,
        progressive: false,
        held_bytes: 0,
        kept_blocks: 0,
        plane_bytes: 0,
        decoder_bytes: 0,
    }
}

/// The mezzanine's bytes: baseline JPEG, 4:2:0, with the original's EXIF (orientation 1: the
/// pixels are upright). Chroma at half the mezzanine's size is still as much as any JPEG or WebP
/// output up to its size keeps (they are 4:2:0 too), and a later miss decodes it 22–28% faster
/// than 4:4:4 (`cargo bench --bench stages`). Huffman tables are not optimised: that would hold
/// every coefficient of a 2.8 MP image at once, for about 5% of its bytes.
pub fn encode(made: &Made) -> Result<Vec<u8>> {
    let (w, h) = (made.img.width(), made.img.height());
    let side = |v: u32| u16::try_from(v).map_err(|_| Error::TooLarge(format!("a mezzanine of {w}×{h}")));
    let mut out = Vec::with_capacity((w as usize * h as usize) / 2);
    let mut encoder = Encoder::new(&mut out, QUALITY);
    encoder.set_sampling_factor(SamplingFactor::R_4_2_0);
    if let Some(app1) = super::codecs::metadata::app1(made.exif.as_deref(), crate::transform::Metadata::Keep) {
        encoder.add_app_segment(1, app1).map_err(|e| Error::Internal(format!("mezzanine EXIF: {e}")))?;
    }
    let result = match &made.img {
        DynamicImage::ImageLuma8(g) => encoder.encode(g.as_raw(), side(w)?, side(h)?, ColorType::Luma),
        other => encoder.encode(other.to_rgb8().as_raw(), side(w)?, side(h)?, ColorType::Rgb),
    };
    result.map_err(|e| Error::Internal(format!("encoding a mezzanine: {e}")))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Limits;

    fn probe(format: Format, width: u32, height: u32, orientation: Orientation, channels: u8) -> Probe {
        Probe { orientation, ..upright(format, (width, height), channels) }
    }

    #[test]
    fn large_lossy_opaque_stills_get_one_at_the_side_upright() {
        let on = Mezzanine { min_pixels: 4_000_000, side: 2048 };
        assert_eq!(size_for(&probe(Format::Jpeg, 6000, 4000, Orientation::NoTransforms, 3), &on), Some((2048, 1365)));
        assert_eq!(size_for(&probe(Format::Jpeg, 6000, 4000, Orientation::Rotate90, 3), &on), Some((1365, 2048)));
        assert_eq!(size_for(&probe(Format::Heic, 4032, 3024, Orientation::NoTransforms, 1), &on), Some((2048, 1536)));
        // A JPEG at half size, when that is within a quarter of the side: no full decode.
        assert_eq!(size_for(&probe(Format::Jpeg, 4032, 3024, Orientation::NoTransforms, 3), &on), Some((2016, 1512)));
        assert_eq!(size_for(&probe(Format::Jpeg, 2725, 2225, Orientation::NoTransforms, 3), &on), Some((2048, 1672)));
        assert_eq!(size_for(&probe(Format::Jpeg, 1900, 1900, Orientation::NoTransforms, 3), &on), None, "under 4 MP");
        assert_eq!(size_for(&probe(Format::Png, 6000, 4000, Orientation::NoTransforms, 3), &on), None, "lossless");
        assert_eq!(size_for(&probe(Format::Avif, 6000, 4000, Orientation::NoTransforms, 4), &on), None, "alpha");
        assert_eq!(
            size_for(&probe(Format::Jpeg, 6000, 4000, Orientation::NoTransforms, 3), &Mezzanine { min_pixels: 0, side: 2048 }),
            None
        );
        assert_eq!(
            size_for(&probe(Format::Jpeg, 2000, 2000, Orientation::NoTransforms, 3), &Mezzanine { min_pixels: 1, side: 2048 }),
            None
        );
    }

    #[test]
    fn covers_what_needs_no_more_pixels_than_it_has() {
        let limits = Limits::default();
        let (of, size) = ((6000, 4000), (2048, 1365));
        let t = |width: Option<u32>, height: Option<u32>| Transform { width, height, ..Default::default() };
        assert!(covers(&t(Some(400), None), of, size, &limits));
        assert!(covers(&t(Some(2048), None), of, size, &limits), "the rounded side is within a pixel");
        assert!(!covers(&t(Some(2400), None), of, size, &limits));
        assert!(!covers(&t(None, Some(1400)), of, size, &limits));
        // A crop of a sixth of the width at 400 px needs 2,400 px of the whole.
        let cropped = Transform {
            trim: Some(Trim::Edges { left: 0, top: 0, right: 5000, bottom: 0, width: None, height: None }),
            ..t(Some(400), None)
        };
        assert!(!covers(&cropped, of, size, &limits));
        let bordered = Transform { trim: Some(Trim::Border { color: None, tolerance: 10, keep: 0 }), ..t(Some(100), None) };
        assert!(!covers(&bordered, of, size, &limits));
    }

    /// An original's resize keeps twice the output's pixels a side for Lanczos (the quality
    /// margin), up to the whole picture; a mezzanine's own plan and `covers` count the output's.
    #[test]
    fn an_originals_decode_keeps_twice_the_output_for_lanczos() {
        let limits = Limits::default();
        let p = upright(Format::Jpeg, (6000, 4000), 3);
        let shape = geometry::shape(&p, &Transform { width: Some(400), ..Default::default() }, &limits, None).unwrap();
        let (w, h) = shape.needed();
        assert_eq!((w.round(), h.round()), (800.0, 534.0), "400×267 kept at twice a side");
        let near = geometry::shape(&p, &Transform { width: Some(4000), ..Default::default() }, &limits, None).unwrap();
        assert_eq!(near.needed().0.round(), 6000.0, "never more than the picture");
        assert!(covers(&Transform { width: Some(1500), ..Default::default() }, (6000, 4000), (2048, 1365), &limits));
    }
}
