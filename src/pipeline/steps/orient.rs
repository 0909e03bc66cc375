//! EXIF orientation. The resize runs on the pixels as stored and only the small output is turned
//! upright, which is cheaper than rotating the full-size decode; so a region chosen in displayed
//! coordinates has to be mapped back to stored ones first.

use crate::error::Result;
use crate::pipeline::shape::Shape;
use crate::pipeline::types::Pixels;
use crate::pipeline::types::Rect;
use image::metadata::Orientation;
use image::DynamicImage;

/// Turns a resized image upright (no-op for orientation 1).
/// Pixel step: the small result turned upright (EXIF orientation, then flip and rotate).
pub fn step(mut p: Pixels, shape: &Shape) -> Result<Pixels> {
    apply(&mut p.img, shape.orientation);
    Ok(p)
}

pub fn apply(img: &mut DynamicImage, o: Orientation) {
    img.apply_orientation(o);
}

/// Maps a rectangle given in displayed coordinates to stored coordinates, for a source stored as
/// `sw`×`sh`. The inverse of what `apply` does to the pixels.
pub fn to_stored(r: Rect, o: Orientation, sw: f64, sh: f64) -> Rect {
    let (x0, y0) = point_to_stored(r.left, r.top, o, sw, sh);
    let (x1, y1) = point_to_stored(r.left + r.width, r.top + r.height, o, sw, sh);
    Rect { left: x0.min(x1), top: y0.min(y1), width: (x1 - x0).abs(), height: (y1 - y0).abs() }
}

fn point_to_stored(x: f64, y: f64, o: Orientation, sw: f64, sh: f64) -> (f64, f64) {
    use Orientation as O;
    match o {
        O::NoTransforms => (x, y),
        O::FlipHorizontal => (sw - x, y),
        O::FlipVertical => (x, sh - y),
        O::Rotate180 => (sw - x, sh - y),
        O::Rotate90 => (y, sh - x),
        O::Rotate270 => (sw - y, x),
        O::Rotate90FlipH => (y, x),
        O::Rotate270FlipH => (sw - y, sh - x),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{Rgb, RgbImage};

    const ALL: [Orientation; 8] = [
        Orientation::NoTransforms,
        Orientation::FlipHorizontal,
        Orientation::FlipVertical,
        Orientation::Rotate180,
        Orientation::Rotate90,
        Orientation::Rotate270,
        Orientation::Rotate90FlipH,
        Orientation::Rotate270FlipH,
    ];

    /// Marks one stored pixel, orients the image with `image`'s own code, and checks that the
    /// displayed pixel holding the mark maps back to exactly that stored pixel.
    #[test]
    fn region_mapping_is_the_inverse_of_applying_the_orientation() {
        let (sw, sh) = (5u32, 3u32);
        for o in ALL {
            for (sx, sy) in [(0, 0), (4, 0), (1, 2), (3, 1)] {
                let mut stored = RgbImage::new(sw, sh);
                stored.put_pixel(sx, sy, Rgb([255, 0, 0]));
                let mut img = DynamicImage::ImageRgb8(stored);
                apply(&mut img, o);
                let shown = img.to_rgb8();
                let (dx, dy) = shown.enumerate_pixels().find(|p| p.2[0] == 255).map(|p| (p.0, p.1)).unwrap();
                let r = to_stored(Rect { left: dx as f64, top: dy as f64, width: 1.0, height: 1.0 }, o, sw as f64, sh as f64);
                assert_eq!((r.left, r.top, r.width, r.height), (sx as f64, sy as f64, 1.0, 1.0), "{o:?} at ({sx},{sy})");
            }
        }
    }
}
