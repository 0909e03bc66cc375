//! `gravity=auto`: where to put a crop window, from the pixels. The method is gradient energy:
//! the window slides along the axis being cropped to the position holding the most luminance
//! change between neighbouring pixels (edges and texture), so flat sky or studio background is
//! cut before the subject. Sampled on a grid of at most ~256 points a side: cheap next to the resize.

use crate::error::Result;
use crate::pipeline::shape::Shape;
use crate::pipeline::types::Pixels;
use crate::pipeline::types::Rect;
use image::DynamicImage;

/// Moves `window` (decoded pixels) along whichever axis it is narrower than the image.
/// Pixel step: where the crop window sits in the decoded pixels (the decode may be DCT-scaled),
/// slid to the most detailed place for `gravity=auto`. An animation hands every frame the first
/// frame's window, so the picture does not jump.
pub fn step(mut p: Pixels, shape: &Shape) -> Result<Pixels> {
    if p.region.is_none() {
        p.region = Some(window(&p.img, shape));
    }
    Ok(p)
}

/// The crop window in `img`'s pixels.
pub fn window(img: &DynamicImage, shape: &Shape) -> Rect {
    let (kx, ky) = (img.width() as f64 / shape.stored.0, img.height() as f64 / shape.stored.1);
    let region = shape.region.scaled_within(kx, ky, img.width(), img.height());
    if shape.auto_crop {
        best_window(img, region)
    } else {
        region
    }
}

pub fn best_window(img: &DynamicImage, window: Rect) -> Rect {
    let (w, h) = (img.width() as usize, img.height() as usize);
    let channels = img.color().channel_count() as usize;
    let bytes = img.as_bytes();
    if w < 2 || h < 2 || bytes.len() < w * h * channels {
        return window;
    }
    let luma = |x: usize, y: usize| -> i32 {
        let p = &bytes[(y * w + x) * channels..];
        if channels >= 3 {
            (p[0] as i32 + 2 * p[1] as i32 + p[2] as i32) / 4
        } else {
            p[0] as i32
        }
    };
    let step = (w.min(h) / 256).max(1);
    let (mut columns, mut rows) = (vec![0u64; w], vec![0u64; h]);
    for y in (step..h).step_by(step) {
        for x in (step..w).step_by(step) {
            let v = luma(x, y);
            let energy = ((v - luma(x - step, y)).abs() + (v - luma(x, y - step)).abs()) as u64;
            columns[x] += energy;
            rows[y] += energy;
        }
    }
    let mut best = window;
    if window.width + 0.5 < w as f64 {
        best.left = slide(&columns, window.width) as f64;
    }
    if window.height + 0.5 < h as f64 {
        best.top = slide(&rows, window.height) as f64;
    }
    best.left = best.left.min(w as f64 - best.width).max(0.0);
    best.top = best.top.min(h as f64 - best.height).max(0.0);
    best
}

/// The start of the `len`-long run of `profile` with the largest sum (the first of equals).
fn slide(profile: &[u64], len: f64) -> usize {
    let n = (len.round() as usize).clamp(1, profile.len());
    let mut sum: u64 = profile[..n].iter().sum();
    let (mut best, mut best_sum) = (0, sum);
    for start in 1..=profile.len() - n {
        sum = sum + profile[start + n - 1] - profile[start - 1];
        if sum > best_sum {
            best_sum = sum;
            best = start;
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{Rgb, RgbImage};

    #[test]
    fn the_window_moves_to_the_detailed_part() {
        // Flat on the left two thirds, a checkerboard on the right third.
        let img =
            RgbImage::from_fn(900, 300, |x, y| if x >= 600 && (x / 4 + y / 4) % 2 == 0 { Rgb([255, 255, 255]) } else { Rgb([90, 90, 90]) });
        let r = best_window(&DynamicImage::ImageRgb8(img), Rect { left: 300.0, top: 0.0, width: 300.0, height: 300.0 });
        assert!(r.left >= 590.0, "window at {}", r.left);
        assert_eq!((r.top, r.width, r.height), (0.0, 300.0, 300.0));
    }

    #[test]
    fn a_flat_image_keeps_a_valid_window() {
        let img = DynamicImage::ImageRgb8(RgbImage::from_pixel(400, 100, Rgb([7, 7, 7])));
        let r = best_window(&img, Rect { left: 150.0, top: 0.0, width: 100.0, height: 100.0 });
        assert!(r.left >= 0.0 && r.left + r.width <= 400.0);
    }
}
