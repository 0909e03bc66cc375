//! `border`: a frame of one colour around the output, added after everything else, so the
//! requested size plus the border's widths is the encoded size.

use crate::error::Result;
use crate::pipeline::shape::Shape;
use crate::pipeline::types::Pixels;
use crate::transform::Border;
use image::{imageops, DynamicImage, Rgba, RgbaImage};

/// Pixel step: the image framed by `border`.
pub fn step(mut p: Pixels, shape: &Shape) -> Result<Pixels> {
    if let Some(b) = shape.border {
        p.img = frame(p.img, &b);
    }
    Ok(p)
}

pub fn frame(img: DynamicImage, b: &Border) -> DynamicImage {
    let (w, h) = (img.width() + b.left + b.right, img.height() + b.top + b.bottom);
    let mut out = RgbaImage::from_pixel(w, h, Rgba(b.color));
    imageops::replace(&mut out, &img.to_rgba8(), b.left as i64, b.top as i64);
    DynamicImage::ImageRgba8(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_frame_surrounds_the_image_with_each_width() {
        let img = DynamicImage::ImageRgb8(image::RgbImage::from_pixel(4, 3, image::Rgb([0, 0, 255])));
        let b = Border { color: [255, 0, 0, 255], top: 1, right: 2, bottom: 3, left: 4 };
        let out = frame(img, &b).to_rgba8();
        assert_eq!(out.dimensions(), (10, 7));
        assert_eq!(out.get_pixel(4, 1).0, [0, 0, 255, 255]);
        assert_eq!(out.get_pixel(7, 3).0, [0, 0, 255, 255]);
        for (x, y) in [(3, 1), (8, 1), (4, 0), (4, 4)] {
            assert_eq!(out.get_pixel(x, y).0, [255, 0, 0, 255], "({x}, {y})");
        }
    }
}
