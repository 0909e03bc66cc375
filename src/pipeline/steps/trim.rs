//! `trim`: what is cut off the source before anything else. Pixel counts (`trim=20;0;20;0`,
//! `trim.width`) are counted on the upright image and become a region before decoding;
//! `trim=border` looks at the decoded pixels for a uniform frame.

use crate::error::{Error, Result};
use crate::pipeline::types::Rect;
use crate::transform::Trim;
use image::DynamicImage;

/// The part of an upright `w`×`h` image an `Edges` trim keeps; 400 when it keeps nothing.
pub fn edges(trim: &Trim, w: u32, h: u32) -> Result<Option<Rect>> {
    let Trim::Edges { top, right, bottom, left, width, height } = *trim else { return Ok(None) };
    let keep_w = (w.saturating_sub(left).saturating_sub(right)).min(width.unwrap_or(u32::MAX));
    let keep_h = (h.saturating_sub(top).saturating_sub(bottom)).min(height.unwrap_or(u32::MAX));
    if keep_w == 0 || keep_h == 0 {
        return Err(Error::bad_request(format!("trim leaves nothing of the {w}×{h} image")));
    }
    Ok(Some(Rect { left: left as f64, top: top as f64, width: keep_w as f64, height: keep_h as f64 }))
}

/// The region inside a uniform border of `img`: rows and columns are removed from each side
/// while every pixel in them is within `255 − tolerance` of the border colour on each channel
/// (the given colour, else the top-left pixel's), then `keep` pixels of border are given back.
/// Transparent pixels match a transparent border whatever their colour. An image that is all
/// border keeps its whole size.
pub fn border(img: &DynamicImage, color: Option<[u8; 4]>, tolerance: u8, keep: u32) -> Rect {
    // Read in place for RGB (photos) and RGBA (an animation's frames): a copy of the whole
    // decode would not be counted by admission. Grey images are small enough to convert.
    let converted;
    let pixel: Box<dyn Fn(u32, u32) -> [u8; 4] + '_> = match img {
        DynamicImage::ImageRgba8(rgba) => Box::new(|x, y| rgba.get_pixel(x, y).0),
        DynamicImage::ImageRgb8(rgb) => Box::new(|x, y| {
            let [r, g, b] = rgb.get_pixel(x, y).0;
            [r, g, b, 255]
        }),
        other => {
            converted = other.to_rgba8();
            Box::new(|x, y| converted.get_pixel(x, y).0)
        }
    };
    let (w, h) = (img.width(), img.height());
    let whole = Rect { left: 0.0, top: 0.0, width: w as f64, height: h as f64 };
    if w == 0 || h == 0 {
        return whole;
    }
    let reference = color.unwrap_or(pixel(0, 0));
    let slack = 255 - tolerance as i32;
    let matches = |x: u32, y: u32| {
        let p = pixel(x, y);
        if p[3] == 0 && reference[3] == 0 {
            return true;
        }
        (0..4).all(|c| (p[c] as i32 - reference[c] as i32).abs() <= slack)
    };
    let row = |y: u32| (0..w).all(|x| matches(x, y));
    let column = |x: u32, y0: u32, y1: u32| (y0..y1).all(|y| matches(x, y));
    let Some(top) = (0..h).find(|&y| !row(y)) else { return whole };
    let bottom = (top..h).rev().find(|&y| !row(y)).unwrap_or(top) + 1;
    let left = (0..w).find(|&x| !column(x, top, bottom)).unwrap_or(0);
    let right = (left..w).rev().find(|&x| !column(x, top, bottom)).unwrap_or(left) + 1;
    let (left, top) = (left.saturating_sub(keep), top.saturating_sub(keep));
    let (right, bottom) = ((right + keep).min(w), (bottom + keep).min(h));
    Rect { left: left as f64, top: top as f64, width: (right - left) as f64, height: (bottom - top) as f64 }
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{Rgb, RgbImage};

    /// A 40×30 white image with a 10×8 dark block at (12, 5) and slight noise in the white.
    fn framed() -> DynamicImage {
        DynamicImage::ImageRgb8(RgbImage::from_fn(40, 30, |x, y| {
            if (12..22).contains(&x) && (5..13).contains(&y) {
                Rgb([20, 30, 40])
            } else {
                Rgb([255 - ((x + y) % 3) as u8, 255, 253])
            }
        }))
    }

    #[test]
    fn border_finds_exactly_the_content() {
        let r = border(&framed(), None, crate::transform::BORDER_TOLERANCE, 0);
        assert_eq!((r.left, r.top, r.width, r.height), (12.0, 5.0, 10.0, 8.0));
        let kept = border(&framed(), None, crate::transform::BORDER_TOLERANCE, 2);
        assert_eq!((kept.left, kept.top, kept.width, kept.height), (10.0, 3.0, 14.0, 12.0));
        // Tolerance 255 demands exact matches: the noisy white is not border.
        let exact = border(&framed(), None, 255, 0);
        assert!(exact.width > 10.0, "{exact:?}");
        // A colour that is not the frame's finds no border.
        let red = border(&framed(), Some([255, 0, 0, 255]), 245, 0);
        assert_eq!((red.width, red.height), (40.0, 30.0));
    }

    #[test]
    fn an_image_that_is_all_border_is_kept_whole() {
        let flat = DynamicImage::ImageRgb8(RgbImage::from_pixel(9, 7, Rgb([1, 2, 3])));
        let r = border(&flat, None, 245, 0);
        assert_eq!((r.width, r.height), (9.0, 7.0));
    }

    #[test]
    fn edges_keep_what_is_left_and_refuse_nothing() {
        let t = Trim::Edges { top: 10, right: 20, bottom: 0, left: 5, width: None, height: Some(50) };
        assert_eq!(edges(&t, 100, 80).unwrap(), Some(Rect { left: 5.0, top: 10.0, width: 75.0, height: 50.0 }));
        let all = Trim::Edges { top: 0, right: 60, bottom: 0, left: 40, width: None, height: None };
        assert_eq!(edges(&all, 100, 80).unwrap_err().status(), 400);
    }
}
