//! Where the crop window goes when the pixels decide.
//!
//! `gravity=face` frames the faces [`faces`] finds (none found: as `auto`, with a note).
//! `gravity=auto` is gradient energy: the window slides along the axis being cropped to the
//! position holding the most luminance change between neighbouring pixels (edges and texture),
//! so flat sky or studio background is cut before the subject. Sampled on a grid of at most ~256
//! points a side: cheap next to the resize.
//! `gravity=entropy` cuts, slice by slice from either end, the side whose grey levels say less
//! (lower Shannon entropy of their histogram), as libvips' `entropy` crop does: a hard edge
//! between two flat colours is little information, a range of tones is much.

use crate::error::Result;
use crate::pipeline::faces;
use crate::pipeline::shape::Shape;
use crate::pipeline::types::Pixels;
use crate::pipeline::types::Rect;
use image::DynamicImage;

/// Said when `gravity=face` found nobody.
pub const NO_FACE: &str = "gravity=face: no face found, cropped as gravity=auto";

/// Moves `window` (decoded pixels) along whichever axis it is narrower than the image.
/// Pixel step: where the crop window sits in the decoded pixels (the decode may be DCT-scaled),
/// slid to the most detailed place for `gravity=auto`. An animation hands every frame the first
/// frame's window, so the picture does not jump.
pub fn step(mut p: Pixels, shape: &Shape) -> Result<Pixels> {
    if p.region.is_none() {
        let (region, note) = chosen(&p.img, shape);
        (p.region, p.note) = (Some(region), note);
    }
    Ok(p)
}

/// The crop window in `img`'s pixels.
pub fn window(img: &DynamicImage, shape: &Shape) -> Rect {
    chosen(img, shape).0
}

/// The crop window in `img`'s pixels, and a note when `gravity=face` fell back to `auto`.
fn chosen(img: &DynamicImage, shape: &Shape) -> (Rect, Option<&'static str>) {
    let (kx, ky) = (img.width() as f64 / shape.stored.0, img.height() as f64 / shape.stored.1);
    let region = shape.region.scaled_within(kx, ky, img.width(), img.height());
    let bounds = shape.bounds.scaled_within(kx, ky, img.width(), img.height());
    if let Some(zoom) = shape.faces {
        match faces::window(&faces::detect(img), region, bounds, zoom) {
            Some(framed) => return (framed, None),
            None => return (best_window(img, region, bounds), Some(NO_FACE)),
        }
    }
    match (shape.auto_crop, shape.entropy) {
        (true, true) => (entropy_window(img, region, bounds), None),
        (true, false) => (best_window(img, region, bounds), None),
        (false, _) => (region, None),
    }
}

/// `window` slid within `bounds` to where the detail is.
pub fn best_window(img: &DynamicImage, window: Rect, bounds: Rect) -> Rect {
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
    let (x0, x1) = (bounds.left as usize, ((bounds.left + bounds.width).round() as usize).min(w));
    let (y0, y1) = (bounds.top as usize, ((bounds.top + bounds.height).round() as usize).min(h));
    if window.width + 0.5 < (x1 - x0.min(x1)) as f64 {
        best.left = (x0 + slide(&columns[x0..x1], window.width)) as f64;
    }
    if window.height + 0.5 < (y1 - y0.min(y1)) as f64 {
        best.top = (y0 + slide(&rows[y0..y1], window.height)) as f64;
    }
    best.left = best.left.min(bounds.left + bounds.width - best.width).max(bounds.left);
    best.top = best.top.min(bounds.top + bounds.height - best.height).max(bounds.top);
    best
}

/// `window` placed within `bounds` by cutting the lower-entropy end, a slice at a time (an eighth
/// of what is left to cut, at least a pixel), along each axis the window is narrower on.
pub fn entropy_window(img: &DynamicImage, window: Rect, bounds: Rect) -> Rect {
    let grey = img.to_luma8();
    let (w, h) = (grey.width() as usize, grey.height() as usize);
    let (x0, x1) = ((bounds.left as usize).min(w), ((bounds.left + bounds.width).round() as usize).min(w));
    let (y0, y1) = ((bounds.top as usize).min(h), ((bounds.top + bounds.height).round() as usize).min(h));
    // (Every other row or column of a large image: the histogram, not the detail, decides.)
    let step = (w.min(h) / 512).max(1);
    let entropy = |xs: std::ops::Range<usize>, ys: std::ops::Range<usize>| {
        let mut histogram = [0u32; 256];
        let mut n = 0u32;
        for y in ys.step_by(step) {
            for x in xs.clone().step_by(step) {
                histogram[grey.get_pixel(x as u32, y as u32).0[0] as usize] += 1;
                n += 1;
            }
        }
        histogram.iter().filter(|&&c| c > 0).map(|&c| c as f64 / n as f64).map(|p| -p * p.log2()).sum::<f64>()
    };
    let cut = |mut lo: usize, mut hi: usize, keep: usize, slice: &dyn Fn(std::ops::Range<usize>) -> f64| {
        while hi - lo > keep {
            let n = (hi - lo - keep).div_ceil(8);
            if slice(lo..lo + n) <= slice(hi - n..hi) {
                lo += n;
            } else {
                hi -= n;
            }
        }
        lo
    };
    let mut best = window;
    let keep_w = (window.width.round() as usize).max(1);
    if keep_w < x1.saturating_sub(x0) {
        best.left = cut(x0, x1, keep_w, &|xs| entropy(xs, y0..y1)) as f64;
    }
    let keep_h = (window.height.round() as usize).max(1);
    if keep_h < y1.saturating_sub(y0) {
        best.top = cut(y0, y1, keep_h, &|ys| entropy(x0..x1, ys)) as f64;
    }
    best.left = best.left.min(bounds.left + bounds.width - best.width).max(bounds.left);
    best.top = best.top.min(bounds.top + bounds.height - best.height).max(bounds.top);
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
        let img = DynamicImage::ImageRgb8(img);
        let whole = Rect { left: 0.0, top: 0.0, width: 900.0, height: 300.0 };
        let r = best_window(&img, Rect { left: 300.0, top: 0.0, width: 300.0, height: 300.0 }, whole);
        assert!(r.left >= 590.0, "window at {}", r.left);
        assert_eq!((r.top, r.width, r.height), (0.0, 300.0, 300.0));
        // A trim that cut the detailed third off keeps the window out of it.
        let trimmed = Rect { width: 650.0, ..whole };
        let r = best_window(&img, Rect { left: 100.0, top: 0.0, width: 300.0, height: 300.0 }, trimmed);
        assert!(r.left + r.width <= 650.0 && r.left >= 340.0, "window at {}", r.left);
    }

    /// A hard edge between two flat greys is much gradient energy and little information; a
    /// smooth ramp through every grey is the reverse: `auto` keeps the edge, `entropy` the ramp.
    #[test]
    fn entropy_keeps_the_tones_where_energy_keeps_the_edge() {
        let img = RgbImage::from_fn(900, 300, |x, y| match x {
            // A checkerboard of two greys (all edges, 1 bit of entropy).
            0..300 if (x / 3 + y / 3) % 2 == 0 => Rgb([40, 40, 40]),
            0..300 => Rgb([200, 200, 200]),
            300..600 => Rgb([120, 120, 120]),
            // A ramp through every grey, slowly (8 bits of entropy, almost no gradient).
            _ => {
                let v = ((x - 600) * 255 / 299) as u8 ^ (y % 2) as u8;
                Rgb([v, v, v])
            }
        });
        let img = DynamicImage::ImageRgb8(img);
        let whole = Rect { left: 0.0, top: 0.0, width: 900.0, height: 300.0 };
        let centred = Rect { left: 300.0, top: 0.0, width: 300.0, height: 300.0 };
        assert!(best_window(&img, centred, whole).left <= 10.0, "energy: the checkerboard");
        let r = entropy_window(&img, centred, whole);
        assert!(r.left >= 590.0, "entropy: the ramp, at {}", r.left);
        assert_eq!((r.top, r.width, r.height), (0.0, 300.0, 300.0));
        // Within a trim's bounds, and on the other axis.
        let trimmed = Rect { width: 700.0, ..whole };
        let r = entropy_window(&img, centred, trimmed);
        assert!(r.left + r.width <= 700.0 && r.left >= 390.0, "window at {}", r.left);
        let tall = DynamicImage::ImageRgb8(image::imageops::rotate90(&img.to_rgb8()));
        let r = entropy_window(
            &tall,
            Rect { left: 0.0, top: 300.0, width: 300.0, height: 300.0 },
            Rect { left: 0.0, top: 0.0, width: 300.0, height: 900.0 },
        );
        assert!(r.top >= 590.0, "the ramp, now at the bottom: {}", r.top);
    }

    #[test]
    fn a_flat_image_keeps_a_valid_window() {
        let img = DynamicImage::ImageRgb8(RgbImage::from_pixel(400, 100, Rgb([7, 7, 7])));
        let whole = Rect { left: 0.0, top: 0.0, width: 400.0, height: 100.0 };
        let r = best_window(&img, Rect { left: 150.0, top: 0.0, width: 100.0, height: 100.0 }, whole);
        assert!(r.left >= 0.0 && r.left + r.width <= 400.0);
    }
}
