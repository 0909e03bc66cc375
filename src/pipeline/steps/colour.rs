//! Colour management: pixels are converted from the source's ICC profile (Display P3, Adobe RGB,
//! ProPhoto, a CMYK press profile…) to sRGB, because outputs carry no profile and browsers show
//! untagged images as sRGB: without this, wide-gamut photos look dull and CMYK ones shift.
//! Uses `moxcms` (pure Rust, already a dependency of `image`). A profile that does not parse or
//! does not fit the pixels is ignored: the image is still served, as an untagged one would be.

use crate::error::Result;
use crate::pipeline::shape::Shape;
use crate::pipeline::types::Pixels;
use image::{DynamicImage, RgbImage};
use moxcms::{ColorProfile, DataColorSpace, Layout, TransformOptions};

/// Pixel step: from the source's ICC profile to sRGB (CMYK was converted while decoding).
pub fn step(mut p: Pixels, _shape: &Shape) -> Result<Pixels> {
    if let Some(icc) = p.icc.take() {
        p.img = to_srgb(p.img, &icc);
    }
    Ok(p)
}

/// Converts an RGB or RGBA image from `icc` to sRGB; other layouts and unusable profiles are
/// returned unchanged.
pub fn to_srgb(img: DynamicImage, icc: &[u8]) -> DynamicImage {
    let Ok(profile) = ColorProfile::new_from_slice(icc) else { return img };
    if profile.color_space != DataColorSpace::Rgb {
        return img;
    }
    let srgb = ColorProfile::new_srgb();
    match img {
        DynamicImage::ImageRgb8(mut rgb) => {
            if let Ok(t) = profile.create_transform_8bit(Layout::Rgb, &srgb, Layout::Rgb, TransformOptions::default()) {
                let src = rgb.as_raw().clone();
                if t.transform(&src, &mut rgb).is_ok() {
                    return DynamicImage::ImageRgb8(rgb);
                }
                return DynamicImage::ImageRgb8(RgbImage::from_raw(rgb.width(), rgb.height(), src).expect("same size"));
            }
            DynamicImage::ImageRgb8(rgb)
        }
        DynamicImage::ImageRgba8(mut rgba) => {
            if let Ok(t) = profile.create_transform_8bit(Layout::Rgba, &srgb, Layout::Rgba, TransformOptions::default()) {
                let src = rgba.as_raw().clone();
                if t.transform(&src, &mut rgba).is_err() {
                    rgba.copy_from_slice(&src);
                }
            }
            DynamicImage::ImageRgba8(rgba)
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::Rgb;

    fn one_pixel(rgb: [u8; 3]) -> DynamicImage {
        DynamicImage::ImageRgb8(RgbImage::from_pixel(2, 2, Rgb(rgb)))
    }

    #[test]
    fn display_p3_becomes_more_saturated_srgb() {
        let p3 = ColorProfile::new_display_p3().encode().unwrap();
        let out = to_srgb(one_pixel([200, 100, 50]), &p3).to_rgb8();
        let [r, g, b] = out.get_pixel(0, 0).0;
        // The same numbers mean a more saturated orange in P3 than in sRGB.
        assert!(r > 200 && g < 100 && b < 50, "P3 (200,100,50) became sRGB ({r},{g},{b})");
    }

    #[test]
    fn srgb_and_broken_profiles_leave_pixels_alone() {
        let srgb = ColorProfile::new_srgb().encode().unwrap();
        let out = to_srgb(one_pixel([200, 100, 50]), &srgb).to_rgb8();
        for (got, want) in out.get_pixel(0, 0).0.iter().zip([200u8, 100, 50]) {
            assert!((*got as i32 - want as i32).abs() <= 1, "{:?}", out.get_pixel(0, 0));
        }
        assert_eq!(to_srgb(one_pixel([1, 2, 3]), b"not a profile").to_rgb8().get_pixel(0, 0).0, [1, 2, 3]);
    }
}
