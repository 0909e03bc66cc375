//! Memory admission: from the header alone, decide how to decode and estimate the peak memory
//! of the whole transform, and refuse (413) before allocating anything when it exceeds the
//! budget. The isolate's 128 MB is shared by concurrent requests and wasm memory never shrinks,
//! so the budget is well below it (64 MB by default).

use crate::config::Limits;
use crate::error::{Error, Result};
use crate::pipeline::codecs::jpeg;
use crate::pipeline::shape::Shape;
use crate::pipeline::types::Probe;
use crate::transform::Format;

/// The size to decode at (stored coordinates). For JPEG, the smallest DCT scale whose output is
/// at least `needed` on both axes (shrink-on-load), then Lanczos3 finishes; an SVG is drawn at
/// `needed`; other formats decode at full size. (Leaving libvips' factor of two to the resizer instead measured no better at
/// 1/4 and 1/2, and costs a full decode for outputs between a quarter and half the source.)
pub fn decode_size(p: &Probe, needed: (f64, f64)) -> (u32, u32) {
    if p.format == Format::Svg {
        // Vector: drawn at exactly the size needed (a hair of float error is not a pixel more).
        let side = |v: f64| ((v - 1e-6).ceil().max(1.0)).min(u32::MAX as f64) as u32;
        return (side(needed.0), side(needed.1));
    }
    if p.format != Format::Jpeg {
        return (p.width, p.height);
    }
    let eighths = jpeg::eighths(p, (needed.0.ceil() as u32, needed.1.ceil() as u32));
    (jpeg::scaled(p.width, eighths), jpeg::scaled(p.height, eighths))
}

/// What the decoder holds at any time of the decode at `decoded` size: a progressive JPEG's
/// coefficients — at a reduced scale only those it reads (`progressive`), at full size
/// all of them (jpeg-decoder) — or an SVG's embedded images.
fn held_bytes(p: &Probe, decoded: (u32, u32)) -> u64 {
    let eighths = if p.format == Format::Jpeg { jpeg::eighths(p, decoded) } else { 8 };
    if p.progressive && p.kept_blocks > 0 && eighths < 8 {
        p.kept_blocks * crate::pipeline::codecs::progressive::bytes_per_block(eighths as usize)
    } else {
        p.held_bytes
    }
}

/// What an instance holds before any image: code data (the bundled fonts among it), stack,
/// allocator (measured ≈ 3.4 MB before the fonts, which are 0.17 MB).
const INSTANCE_BYTES: u64 = 4 << 20;

/// Freed buffers cannot always be reused for the next, larger one (fragmentation): measured
/// peaks ran up to 9% over the sum of live buffers.
const FRAGMENTATION: f64 = 1.15;

/// Estimated peak bytes of our wasm memory: the instance itself plus the largest of the three
/// stages' live sets, with a fragmentation margin. Held to the measured high-water mark by
/// `tests/memory.test.mjs` (`DEBUG_HEADERS=true`).
pub fn estimate(p: &Probe, source_len: usize, decoded: (u32, u32), output: (u32, u32), format: Format) -> u64 {
    let ch = p.channels as u64;
    // Encoding: the output, an upright copy, the encoder's working set and the encoded bytes:
    // measured ≈ 4× the output; JPEG's is counted (below). rav1e (AVIF) needs far more: measured
    // 18, 33 and 53 MB for 0.5, 1.2 and 2.1 MP, about 26 bytes a pixel.
    with_margins(reading(p, source_len, decoded, output).max(encoding(format, output, ch)))
}

/// A live set's peak in our wasm memory: the instance itself, and the fragmentation margin.
pub fn with_margins(live: u64) -> u64 {
    INSTANCE_BYTES + (live as f64 * FRAGMENTATION) as u64
}

/// The encoder's live set for `output` pixels of `ch` channels.
fn encoding(format: Format, output: (u32, u32), ch: u64) -> u64 {
    let px = output.0 as u64 * output.1 as u64;
    match format {
        Format::Avif => px * 26,
        Format::Jpeg => jpeg_encoding(output, ch),
        _ => px * ch * 4,
    }
}

/// The larger live set of decoding and of resizing the decode to `output`.
fn reading(p: &Probe, source_len: usize, decoded: (u32, u32), output: (u32, u32)) -> u64 {
    let px = |(w, h): (u32, u32)| w as u64 * h as u64;
    let ch = p.channels as u64;
    let decoded_bytes = px(decoded) * ch;
    // Decoding: the decoder's own sample planes (at the DCT scale), the result, and what it holds
    // at any scale (a progressive JPEG's coefficients, an SVG's embedded images).
    let planes = (p.plane_bytes as f64 * px(decoded) as f64 / px((p.width, p.height)).max(1) as f64) as u64;
    let decoding = source_len as u64 + planes + decoded_bytes + held_bytes(p, decoded);
    // Resizing: the decode, the resizer's intermediate (output width × decoded height), the output,
    // and the source's bytes, still held (a 12 MP decode resized by two measured 74.0 MB against
    // 73.1 MB estimated without them).
    let resizing = source_len as u64 + decoded_bytes + output.0 as u64 * decoded.1 as u64 * ch + px(output) * ch;
    decoding.max(resizing)
}

/// Peak bytes of making a mezzanine of `size`: reading the original and reducing it, then (after
/// the response) its pixels encoded without optimised Huffman tables, which jpeg-encoder writes
/// row by row: the pixels and the encoded bytes (under a byte a pixel per component at q95).
pub fn mezzanine(p: &Probe, source_len: usize, decoded: (u32, u32), size: (u32, u32)) -> u64 {
    let held = size.0 as u64 * size.1 as u64 * p.channels as u64;
    with_margins(reading(p, source_len, decoded, size).max(held * 2))
}

/// jpeg-encoder with optimised Huffman tables keeps the whole image twice over: full-size sample
/// rows (a byte a pixel per component, padded to whole MCUs), then every block's coefficients (two
/// bytes a pixel per component: each chroma component reserves as many blocks as luma), besides
/// our pixels (and a flattened copy when they have alpha) and the encoded bytes, whose buffer grows
/// by doubling (two bytes a pixel covers it). 14 bytes a pixel for RGB: 4× the output fell short
/// of the measured peak for large outputs (a 4 MP photo → 2000 px: 42.1 MB measured, 39.1 estimated).
fn jpeg_encoding(output: (u32, u32), channels: u64) -> u64 {
    let px = output.0 as u64 * output.1 as u64;
    let padded = output.0.div_ceil(16) as u64 * 16 * output.1.div_ceil(16) as u64 * 16;
    let components = if channels <= 2 { 1 } else { 3 };
    let flattened = if matches!(channels, 2 | 4) { px * components } else { 0 };
    px * channels + flattened + padded * components * 3 + px * 2
}

/// An animation re-encoded frame by frame. Decoding: the composed canvas and the one kept under
/// the next frame (RGBA), and the frame's own rectangle, which a GIF may declare larger than its
/// canvas and which the decoder holds whole as RGBA and as palette indices (five bytes a pixel).
/// Then one output frame is resized, quantised and appended to the output, which holds every
/// frame: at most about a byte an output pixel (LZW of 8-bit indices, and frames coded as what
/// changed) and [`frame_bytes`] besides (a 1×1 frame is 30 bytes, not one).
pub fn estimate_animation(source_len: usize, canvas: (u32, u32), largest_frame: u64, output: (u32, u32), frames: u32) -> u64 {
    let px = |(w, h): (u32, u32)| w as u64 * h as u64;
    let decoding = px(canvas) * 4 * 2 + largest_frame.max(px(canvas)) * 5;
    let resizing = output.0 as u64 * canvas.1 as u64 * 4 + px(output) * 4 * 2;
    let encoded = (px(output) + frame_bytes(output)) * frames as u64;
    INSTANCE_BYTES + ((source_len as u64 + decoding + resizing + encoded) as f64 * FRAGMENTATION) as u64
}

/// What one written frame takes besides a byte a pixel: GIF's graphic control extension (8
/// bytes), image descriptor (10) and LZW framing (4 or more), and its local palette, 3 bytes a
/// colour in a power of two, at most 256 and never more than the frame has pixels; an animated
/// WebP frame's `ANMF` and bitstream headers (32 bytes) are fewer than that.
pub fn frame_bytes(output: (u32, u32)) -> u64 {
    let colours = (output.0 as u64 * output.1 as u64).clamp(2, 256).next_power_of_two();
    24 + 3 * colours
}

/// libwebp's animation encoder (a wasm instance of its own for each animation) holds the previous
/// and current canvas and its candidate encodings of a frame, and the frames encoded so far:
/// measured 10.9 MB for 20 frames of 800×600 (587 KB out), 3.3 MB at 400×300; with a margin,
/// 2 MB + 24 bytes an output pixel + a quarter of a byte a pixel for each frame.
pub fn webp_animation_estimate(output: (u32, u32), frames: u32) -> u64 {
    let px = output.0 as u64 * output.1 as u64;
    (2 << 20) + px * 24 + px * frames as u64 / 4
}

/// The WebP encoder (libwebp, wasm) has a linear memory of its own, a fresh instance per image:
/// measured (on the `@jsquash/webp` build used before) 16 MB up to about 1.3 MP of opaque output,
/// then about 12 bytes a pixel; with an alpha channel (coded losslessly) 33 MB for 0.96 MP, so 36
/// bytes a pixel. Our own build needs about 6 and 30 bytes a pixel: kept as a margin.
pub fn webp_codec_estimate(output: (u32, u32), alpha: bool) -> u64 {
    let per_pixel = if alpha { 36 } else { 12 };
    (output.0 as u64 * output.1 as u64 * per_pixel).max(16 << 20)
}

/// What admission decided for a still image.
pub struct Admitted {
    /// The size to decode at (JPEG: DCT-scaled; others: full size).
    pub decode_size: (u32, u32),
    /// Peak memory of the whole transform, in bytes (`x-memory-estimate`).
    pub estimated_peak: u64,
}

/// Step 3 for a still image: the decode scale, then every budget the transform must fit (AVIF's
/// side, peak memory, the WebP encoder's own memory), refused with 413 before anything is decoded.
pub fn still(p: &Probe, source_len: usize, shape: &Shape, format: Format, limits: &Limits) -> Result<Admitted> {
    let decode_size = decode_size(p, shape.needed());
    let output = shape.output_size();
    if format == Format::Avif {
        admit_avif(output, limits.avif_max_side)?;
    }
    // Blur, sharpen, overlays and the border work on copies of the output (sharpen's Gaussian in
    // floats); prepared overlays are held from before decoding to the end.
    let effects = INSTANCE_BYTES + output.0 as u64 * output.1 as u64 * 4 * shape.effect_copies() as u64;
    // A face crop holds the detector's model and one detection next to the decoded pixels.
    let faces = if shape.faces.is_some() { crate::pipeline::faces::bytes(decode_size) } else { 0 };
    // `fit=pad`'s canvas and `border`'s frame hand the encoder RGBA, whatever the source had (a
    // 2400×1600 photo padded to 1200×1200 measured 31.1 MB against 28.6 estimated as RGB).
    let canvas = if shape.canvas.is_some() || shape.border.is_some() { with_margins(encoding(format, output, 4)) } else { 0 };
    let estimated_peak = estimate(p, source_len, decode_size, output, format).max(effects).max(canvas) + shape.overlay_bytes() + faces;
    admit(estimated_peak, limits.memory_budget)?;
    if format == Format::Webp {
        admit_webp(output, shape.has_alpha(p.channels), limits.webp_memory_budget)?;
    }
    if p.decoder_bytes > limits.heif_memory_budget {
        return Err(Error::TooLarge(format!(
            "this {}×{} {} needs about {} MB in its decoder, over the {} MB budget (HEIF_MEMORY_BUDGET_MB)",
            p.width,
            p.height,
            p.format.name().to_uppercase(),
            p.decoder_bytes.div_ceil(1 << 20),
            limits.heif_memory_budget >> 20
        )));
    }
    Ok(Admitted { decode_size, estimated_peak })
}

/// A shape that asks for more pixels than the output's (`Shape::margin`) and is over the budget
/// that way is planned at the output's own pixels instead: softer, but served.
pub fn margin_within_budget(p: &Probe, source_len: usize, shape: &mut Shape, format: Format, limits: &Limits) {
    if shape.margin > 1.0 && matches!(still(p, source_len, shape, format, limits), Err(Error::TooLarge(_))) {
        shape.margin = 1.0;
    }
}

/// The format to encode: the one asked for, unless it is AVIF and AVIF does not fit (its side,
/// the memory budget): then WebP, then JPEG (PNG for an image with alpha), the first that fits,
/// with a note saying what was served and why. Any other refusal stands.
pub fn best_effort(p: &Probe, source_len: usize, shape: &Shape, format: Format, limits: &Limits) -> Result<(Format, Option<String>)> {
    if format != Format::Avif {
        return Ok((format, None));
    }
    let why = match still(p, source_len, shape, Format::Avif, limits) {
        Ok(_) => return Ok((format, None)),
        Err(Error::TooLarge(why)) => why,
        Err(e) => return Err(e),
    };
    let last = if shape.has_alpha(p.channels) { Format::Png } else { Format::Jpeg };
    let mut refusal = None;
    for candidate in [Format::Webp, last] {
        match still(p, source_len, shape, candidate, limits) {
            Ok(_) => return Ok((candidate, Some(format!("served {} instead of AVIF: {why}", candidate.name().to_uppercase())))),
            Err(e) => refusal = Some(e),
        }
    }
    Err(refusal.unwrap_or(Error::TooLarge(why)))
}

pub fn admit(estimate: u64, budget: u64) -> Result<()> {
    if estimate > budget {
        return Err(Error::TooLarge(format!(
            "this transform needs about {} MB, over the {} MB budget; ask for a smaller size",
            estimate.div_ceil(1 << 20),
            budget >> 20
        )));
    }
    Ok(())
}

/// AVIF encoding costs CPU time: rav1e at speed 8 took 2–4 s for a 1200 px photo in workerd
/// (1.2 s at speed 10), so larger AVIF outputs are refused (Cloudflare caps AVIF likewise).
pub fn admit_avif(output: (u32, u32), max_side: u32) -> Result<()> {
    if output.0.max(output.1) > max_side {
        return Err(Error::TooLarge(format!(
            "AVIF output is limited to {max_side} px a side (AVIF_MAX_SIDE, encoding time); this one is {}×{}",
            output.0, output.1
        )));
    }
    Ok(())
}

pub fn admit_webp(output: (u32, u32), alpha: bool, budget: u64) -> Result<()> {
    let needed = webp_codec_estimate(output, alpha);
    if needed > budget {
        return Err(Error::TooLarge(format!(
            "a {}×{} WebP needs about {} MB in the WebP encoder, over its {} MB budget; ask for a smaller size or another format",
            output.0,
            output.1,
            needed.div_ceil(1 << 20),
            budget >> 20
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::metadata::Orientation;

    fn jpeg(w: u32, h: u32, progressive: bool) -> Probe {
        Probe {
            format: Format::Jpeg,
            width: w,
            height: h,
            orientation: Orientation::NoTransforms,
            decoded_bpp: 3,
            channels: 3,
            progressive,
            // 4:2:0: 1.5 samples a pixel, 2 bytes each.
            held_bytes: if progressive { w as u64 * h as u64 * 3 } else { 0 },
            kept_blocks: 0,
            decoder_bytes: 0,
            plane_bytes: w as u64 * h as u64 * 3 / 2,
        }
    }

    #[test]
    fn jpeg_shrinks_on_load_to_the_smallest_scale_covering_both_axes() {
        let p = jpeg(4000, 3000, false);
        assert_eq!(decode_size(&p, (100.0, 75.0)), (1000, 750), "never 1/8");
        assert_eq!(decode_size(&p, (1000.0, 750.0)), (1000, 750));
        assert_eq!(decode_size(&p, (1200.0, 900.0)), (2000, 1500));
        assert_eq!(decode_size(&p, (2001.0, 10.0)), (4000, 3000));
        // A cover crop needs full height from a thin strip: both axes must be covered.
        assert_eq!(decode_size(&p, (100.0, 1400.0)), (2000, 1500));
        let png = Probe { format: Format::Png, ..p };
        assert_eq!(decode_size(&png, (10.0, 10.0)), (4000, 3000));
    }

    #[test]
    fn a_giant_baseline_jpeg_fits_when_shrunk_but_a_png_bomb_does_not() {
        let giant = Probe { decoded_bpp: 1, channels: 1, ..jpeg(20000, 14000, false) };
        let decoded = decode_size(&giant, (800.0, 560.0));
        assert_eq!(decoded, (5000, 3500));
        assert!(admit(estimate(&giant, 2_000_000, decoded, (800, 560), Format::Jpeg), 64 << 20).is_ok());
        let bomb = Probe {
            format: Format::Png,
            width: 65536,
            height: 65536,
            decoded_bpp: 4,
            channels: 4,
            plane_bytes: 65536 * 65536 * 4,
            ..giant
        };
        let e = admit(estimate(&bomb, 400_000, (65536, 65536), (800, 800), Format::Png), 64 << 20).unwrap_err();
        assert_eq!(e.status(), 413);
        assert!(e.message().contains("64 MB"), "{}", e.message());
    }

    #[test]
    fn webp_output_is_bounded_by_the_encoder_budget() {
        let budget = 48 << 20;
        assert!(admit_webp((1200, 800), false, budget).is_ok());
        assert!(admit_webp((2000, 2000), false, budget).is_ok());
        let e = admit_webp((3000, 2000), false, budget).unwrap_err();
        assert!(e.status() == 413 && e.message().contains("3000×2000 WebP"), "{e}");
        assert!(admit_webp((1200, 800), true, budget).is_ok());
        assert!(admit_webp((2000, 1000), true, budget).is_err(), "alpha costs three times as much");
    }

    #[test]
    fn progressive_jpeg_pays_for_its_coefficients() {
        let base = estimate(&jpeg(6000, 4000, false), 0, (750, 500), (400, 267), Format::Jpeg);
        let prog = estimate(&jpeg(6000, 4000, true), 0, (750, 500), (400, 267), Format::Jpeg);
        assert!(prog > base + 70_000_000, "{base} vs {prog}");
    }

    #[test]
    fn a_progressive_jpeg_decoded_reduced_pays_only_for_the_coefficients_it_keeps() {
        // 6000×4000 at 4:2:0: 375,000 luma blocks and 93,750 of each chroma.
        let all = jpeg(6000, 4000, true);
        let kept = Probe { kept_blocks: 375_000 + 2 * 93_750, ..all };
        let (quarter, half) = (decode_size(&kept, (400.0, 267.0)), decode_size(&kept, (2400.0, 1600.0)));
        assert_eq!((quarter, half), ((1500, 1000), (3000, 2000)));
        let budget = 64 << 20;
        assert!(estimate(&all, 0, quarter, (400, 267), Format::Jpeg) > budget, "jpeg-decoder keeps all 64 of each block");
        let small = estimate(&kept, 0, quarter, (400, 267), Format::Jpeg);
        assert!(small < 32 << 20, "16 bytes a block at 1/4: {small}");
        let large = estimate(&kept, 0, half, (2400, 1600), Format::Jpeg);
        assert!(large > small + (562_500 * 24) && large <= budget, "40 bytes a block at 1/2: {large}");
        // At full size it is jpeg-decoder's decode again, with all coefficients.
        let full = (6000, 4000);
        assert_eq!(estimate(&kept, 0, full, full, Format::Jpeg), estimate(&all, 0, full, full, Format::Jpeg));
    }

    #[test]
    fn a_face_zoom_decodes_the_whole_image_and_counts_the_detector() {
        use crate::transform::{Factor, Fit, Gravity, Transform};
        let p = jpeg(4000, 3000, false);
        let limits = Limits::default();
        let square =
            |gravity, zoom| Transform { width: Some(200), height: Some(200), fit: Fit::Cover, gravity, zoom, ..Default::default() };
        let large = Transform { width: Some(800), height: Some(800), ..square(Gravity::Face, Some(Factor(100))) };
        let admitted = |t: &Transform| {
            let shape = super::super::geometry::shape(&p, t, &limits, None).unwrap();
            still(&p, 1 << 20, &shape, Format::Jpeg, &limits).unwrap()
        };
        let auto = admitted(&square(Gravity::Auto, None));
        let face = admitted(&square(Gravity::Face, None));
        let zoomed = admitted(&square(Gravity::Face, Some(Factor(100))));
        assert_eq!(auto.decode_size, (1000, 750), "1/4: the window is found in a reduced decode");
        assert_eq!(face.decode_size, (1000, 750), "zoom 0: the same window size, so the same decode");
        assert_eq!(face.estimated_peak - auto.estimated_peak, crate::pipeline::faces::bytes((1000, 750)));
        assert_eq!(zoomed.decode_size, (2000, 1500), "zoom 1: 4× the output's pixels a side (1,067), so 1/2");
        // zoom 1 at 800 px on 24 MP: 4× a side is the whole image, over the budget: planned without.
        let p = jpeg(6000, 4000, false);
        let mut shape = super::super::geometry::shape(&p, &large, &limits, None).unwrap();
        assert!(still(&p, 1 << 20, &shape, Format::Jpeg, &limits).is_err());
        margin_within_budget(&p, 1 << 20, &mut shape, Format::Jpeg, &limits);
        assert_eq!(still(&p, 1 << 20, &shape, Format::Jpeg, &limits).unwrap().decode_size, (1500, 1000));
    }

    /// The quality margin never makes a 413 of what fits without it: a 24 MP JPEG → 1600 px
    /// would need the whole decode for a factor of two (96 MB), so it is planned at 1/2.
    #[test]
    fn the_quality_margin_gives_way_to_the_budget() {
        use crate::transform::Transform;
        let (p, limits) = (jpeg(6000, 4000, false), Limits::default());
        let shape_for = |width| super::super::geometry::shape(&p, &Transform { width: Some(width), ..Default::default() }, &limits, None);
        let mut wide = shape_for(1600).unwrap();
        assert!(still(&p, 1 << 20, &wide, Format::Jpeg, &limits).is_err(), "with the margin: over the budget");
        margin_within_budget(&p, 1 << 20, &mut wide, Format::Jpeg, &limits);
        assert_eq!(still(&p, 1 << 20, &wide, Format::Jpeg, &limits).unwrap().decode_size, (3000, 2000));
        let mut narrow = shape_for(800).unwrap();
        margin_within_budget(&p, 1 << 20, &mut narrow, Format::Jpeg, &limits);
        assert_eq!(still(&p, 1 << 20, &narrow, Format::Jpeg, &limits).unwrap().decode_size, (3000, 2000), "1,600 px needed: 1/2, kept");
    }
}
