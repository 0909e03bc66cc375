//! Resampling with `fast_image_resize` (wasm SIMD128 kernels), Lanczos3.
//!
//! Alpha is resized premultiplied, so transparent pixels do not bleed dark fringes. The divide
//! back runs on fir's scalar code: Rust 1.95's wasm SIMD miscompiles fir's U8x4 divide-alpha
//! (rust-lang/rust#157456: 0 instead of 255 for premultiplied values far above alpha, e.g.
//! Lanczos ringing next to alpha≈0). The divide touches only the small output, so this costs little.

use super::geometry::Rect;
use crate::error::{Error, Result};
use fast_image_resize::{CpuExtensions, FilterType, MulDiv, ResizeAlg, ResizeOptions, Resizer};
use image::DynamicImage;

/// Scales `region` of `src` to exactly `width`×`height`.
pub fn resize(src: DynamicImage, region: Rect, width: u32, height: u32) -> Result<DynamicImage> {
    let whole = region == Rect { left: 0.0, top: 0.0, width: src.width() as f64, height: src.height() as f64 };
    if whole && (width, height) == (src.width(), src.height()) {
        return Ok(src);
    }
    let has_alpha = src.color().has_alpha();
    let mut src = src;
    if has_alpha {
        MulDiv::new().multiply_alpha_inplace(&mut src).map_err(internal)?;
    }
    let mut dst = DynamicImage::new(width, height, src.color());
    let options = ResizeOptions::new()
        .resize_alg(ResizeAlg::Convolution(FilterType::Lanczos3))
        .crop(region.left, region.top, region.width, region.height)
        .use_alpha(false);
    Resizer::new().resize(&src, &mut dst, &options).map_err(internal)?;
    drop(src);
    if has_alpha {
        divide_alpha(&mut dst)?;
    }
    Ok(dst)
}

/// Un-premultiplies alpha on fir's scalar code, which Rust 1.95's wasm SIMD cannot miscompile
/// (tests/wasm_simd.rs checks it in wasm).
pub fn divide_alpha(img: &mut DynamicImage) -> Result<()> {
    let mut md = MulDiv::new();
    // SAFETY: `None` selects the portable scalar code, which needs no CPU feature.
    unsafe { md.set_cpu_extensions(CpuExtensions::None) };
    md.divide_alpha_inplace(img).map_err(internal)
}

fn internal<E: std::fmt::Display>(e: E) -> Error {
    // Only reachable through a bug of ours (mismatched pixel types or sizes, a region outside
    // the image): a loud 500 that the corpus tests catch, not a 4xx that would hide it.
    Error::Internal(format!("resize failed: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{Rgba, RgbaImage};

    #[test]
    fn crops_and_scales_to_the_exact_size() {
        let src = DynamicImage::ImageRgb8(image::RgbImage::from_fn(400, 200, |x, _| image::Rgb([if x < 200 { 0 } else { 255 }, 0, 0])));
        // Lanczos3 at 4:1 reads 12 source pixels around each sample, so stay that far from x=200.
        let out = resize(src, Rect { left: 220.0, top: 0.0, width: 180.0, height: 180.0 }, 45, 45).unwrap();
        assert_eq!((out.width(), out.height()), (45, 45));
        assert!(out.to_rgb8().pixels().all(|p| p[0] > 250), "only the right (red) half was used");
    }

    /// Half opaque white, half fully transparent black: without premultiplication the
    /// transparent black bleeds into the edge as a dark fringe.
    #[test]
    fn alpha_is_resized_premultiplied() {
        let src = RgbaImage::from_fn(64, 64, |x, _| if x < 32 { Rgba([255, 255, 255, 255]) } else { Rgba([0, 0, 0, 0]) });
        let out =
            resize(DynamicImage::ImageRgba8(src), Rect { left: 0.0, top: 0.0, width: 64.0, height: 64.0 }, 16, 16).unwrap().to_rgba8();
        for p in out.pixels().filter(|p| p[3] > 8) {
            assert!(p[0] >= 250 && p[1] >= 250 && p[2] >= 250, "dark fringe: {p:?}");
        }
    }
}
