//! Memory admission: from the header alone, decide how to decode and estimate the peak memory
//! of the whole transform, and refuse (413) before allocating anything when it exceeds the
//! budget. The isolate's 128 MB is shared by concurrent requests and wasm memory never shrinks,
//! so the budget is well below it (64 MB by default).

use super::probe::Probe;
use crate::error::{Error, Result};
use crate::transform::Format;

/// The DCT scales `jpeg-decoder` offers, as eighths of the full size.
const JPEG_SCALES: [u32; 4] = [1, 2, 4, 8];

/// The size to decode at (stored coordinates). For JPEG, the smallest DCT scale whose output is
/// at least `needed` on both axes (shrink-on-load); other formats decode at full size.
pub fn decode_size(p: &Probe, needed: (f64, f64)) -> (u32, u32) {
    if p.format != Format::Jpeg {
        return (p.width, p.height);
    }
    JPEG_SCALES
        .iter()
        .map(|&eighths| (jpeg_scaled(p.width, eighths), jpeg_scaled(p.height, eighths)))
        .find(|&(w, h)| w as f64 >= needed.0.ceil() && h as f64 >= needed.1.ceil())
        .unwrap_or((p.width, p.height))
}

/// `jpeg-decoder`'s own rounding (idct.rs `scaled`).
fn jpeg_scaled(len: u32, eighths: u32) -> u32 {
    (len * eighths - 1) / 8 + 1
}

/// Estimated peak bytes, as the largest of the three stages' live sets.
pub fn estimate(p: &Probe, source_len: usize, decoded: (u32, u32), output: (u32, u32)) -> u64 {
    let px = |(w, h): (u32, u32)| w as u64 * h as u64;
    let ch = p.channels as u64;
    let source = source_len as u64;
    let decoded_bytes = px(decoded) * ch;
    // Decoding: the decoder's own planes or scratch, the result, and for progressive JPEG every
    // DCT coefficient of the full-size image (2 bytes per sample).
    let coefficients = if p.progressive { px((p.width, p.height)) * p.decoded_bpp as u64 * 2 } else { 0 };
    let decoding = source + px(decoded) * p.decoded_bpp as u64 + decoded_bytes + coefficients;
    // Resizing: the decode, the resizer's intermediate (output width × decoded height), the output.
    let output_bytes = px(output) * ch;
    let resizing = decoded_bytes + output.0 as u64 * decoded.1 as u64 * ch + output_bytes;
    // Encoding: the output, an upright copy, the encoder's working set and the encoded bytes.
    let encoding = output_bytes * 4;
    decoding.max(resizing).max(encoding)
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
        }
    }

    #[test]
    fn jpeg_shrinks_on_load_to_the_smallest_scale_covering_both_axes() {
        let p = jpeg(4000, 3000, false);
        assert_eq!(decode_size(&p, (400.0, 300.0)), (500, 375));
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
        assert_eq!(decoded, (2500, 1750));
        assert!(admit(estimate(&giant, 2_000_000, decoded, (800, 560)), 64 << 20).is_ok());
        let bomb = Probe { format: Format::Png, width: 65536, height: 65536, decoded_bpp: 4, channels: 4, ..giant };
        let e = admit(estimate(&bomb, 400_000, (65536, 65536), (800, 800)), 64 << 20).unwrap_err();
        assert_eq!(e.status(), 413);
        assert!(e.message().contains("64 MB"), "{}", e.message());
    }

    #[test]
    fn progressive_jpeg_pays_for_its_coefficients() {
        let base = estimate(&jpeg(6000, 4000, false), 0, (750, 500), (400, 267));
        let prog = estimate(&jpeg(6000, 4000, true), 0, (750, 500), (400, 267));
        assert!(prog > base + 100_000_000, "{base} vs {prog}");
    }
}
