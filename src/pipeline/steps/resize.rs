//! Resampling with `fast_image_resize` (wasm SIMD128 kernels), Lanczos3.
//!
//! Alpha is resized premultiplied, so transparent pixels do not bleed dark fringes. The divide
//! back runs on fir's scalar code: Rust 1.95's wasm SIMD miscompiles fir's U8x4 divide-alpha
//! (rust-lang/rust#157456: 0 instead of 255 for premultiplied values far above alpha, e.g.
//! Lanczos ringing next to alpha≈0). The divide touches only the small output, so this costs little.

use crate::error::{Error, Result};
use crate::pipeline::shape::Shape;
use crate::pipeline::types::Pixels;
use crate::pipeline::types::Rect;
use fast_image_resize::images::TypedImage;
use fast_image_resize::pixels::{U8x2, U8x3, U8x4, U8};
use fast_image_resize::{CpuExtensions, FilterType, ImageViewMut, MulDiv, PixelTrait, ResizeAlg, ResizeOptions, Resizer};
use image::{DynamicImage, GrayAlphaImage, GrayImage, RgbImage, RgbaImage};

/// Scales `region` of `src` to exactly `width`×`height`.
///
/// Every call names its pixel type (fir's `*_typed` API) instead of handing fir a
/// `DynamicImage`: fir's dynamic dispatch links its 16-bit and float code, including a 512 KB
/// table for 16-bit alpha, into the worker, and our pixels are always 8-bit by now (`decode`).
/// Pixel step: the crop window scaled to the output size.
pub fn step(mut p: Pixels, shape: &Shape) -> Result<Pixels> {
    let region = p.region.unwrap_or_else(|| super::region::window(&p.img, shape));
    p.img = resize(p.img, region, shape.out.0, shape.out.1)?;
    Ok(p)
}

pub fn resize(src: DynamicImage, region: Rect, width: u32, height: u32) -> Result<DynamicImage> {
    let whole = region == Rect { left: 0.0, top: 0.0, width: src.width() as f64, height: src.height() as f64 };
    if whole && (width, height) == (src.width(), src.height()) {
        return Ok(src);
    }
    let (size, to) = ((src.width(), src.height()), (width, height));
    let short = || internal("output buffer has the wrong size");
    use DynamicImage as D;
    Ok(match src {
        D::ImageLuma8(mut s) => {
            D::ImageLuma8(GrayImage::from_raw(width, height, scale::<U8>(&mut s, size, region, to, false)?).ok_or_else(short)?)
        }
        D::ImageLumaA8(mut s) => {
            D::ImageLumaA8(GrayAlphaImage::from_raw(width, height, scale::<U8x2>(&mut s, size, region, to, true)?).ok_or_else(short)?)
        }
        D::ImageRgb8(mut s) => {
            D::ImageRgb8(RgbImage::from_raw(width, height, scale::<U8x3>(&mut s, size, region, to, false)?).ok_or_else(short)?)
        }
        D::ImageRgba8(mut s) => {
            D::ImageRgba8(RgbaImage::from_raw(width, height, scale::<U8x4>(&mut s, size, region, to, true)?).ok_or_else(short)?)
        }
        // Not reached: `decode` reduces everything to 8 bits. Kept total rather than a panic.
        other if other.color().has_alpha() => resize(D::ImageRgba8(other.to_rgba8()), region, width, height)?,
        other => resize(D::ImageRgb8(other.to_rgb8()), region, width, height)?,
    })
}

/// Lanczos3 on one pixel type; with `alpha`, premultiplied (multiplied in place in `src`).
fn scale<P: PixelTrait>(src: &mut [u8], size: (u32, u32), region: Rect, to: (u32, u32), alpha: bool) -> Result<Vec<u8>> {
    let mut src_view = TypedImage::<P>::from_buffer(size.0, size.1, src).map_err(internal)?;
    if alpha {
        MulDiv::new().multiply_alpha_inplace_typed(&mut src_view).map_err(internal)?;
    }
    let mut out = vec![0u8; to.0 as usize * to.1 as usize * P::size()];
    let mut dst_view = TypedImage::<P>::from_buffer(to.0, to.1, &mut out).map_err(internal)?;
    let options = ResizeOptions::new()
        .resize_alg(ResizeAlg::Convolution(FilterType::Lanczos3))
        .crop(region.left, region.top, region.width, region.height)
        .use_alpha(false);
    Resizer::new().resize_typed(&src_view, &mut dst_view, &options).map_err(internal)?;
    if alpha {
        divide_alpha_typed(&mut dst_view)?;
    }
    Ok(out)
}

/// Un-premultiplies alpha on fir's scalar code, which Rust 1.95's wasm SIMD cannot miscompile
/// (tests/wasm_simd.rs checks it in wasm).
fn divide_alpha_typed<P: PixelTrait>(img: &mut impl ImageViewMut<Pixel = P>) -> Result<()> {
    let mut md = MulDiv::new();
    // SAFETY: `None` selects the portable scalar code, which needs no CPU feature.
    unsafe { md.set_cpu_extensions(CpuExtensions::None) };
    md.divide_alpha_inplace_typed(img).map_err(internal)
}

/// The divide used by `resize`, for an RGBA or grey+alpha image (others have no alpha).
pub fn divide_alpha(img: &mut DynamicImage) -> Result<()> {
    let (w, h) = (img.width(), img.height());
    match img {
        DynamicImage::ImageRgba8(i) => divide_alpha_typed(&mut TypedImage::<U8x4>::from_buffer(w, h, i).map_err(internal)?),
        DynamicImage::ImageLumaA8(i) => divide_alpha_typed(&mut TypedImage::<U8x2>::from_buffer(w, h, i).map_err(internal)?),
        _ => Ok(()),
    }
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
