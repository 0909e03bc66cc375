//! `fit=pad`: the contained image on a canvas of exactly the requested box, filled with the
//! background colour (which may be transparent for PNG and WebP).

use crate::error::Result;
use crate::pipeline::shape::Shape;
use crate::pipeline::types::Canvas;
use crate::pipeline::types::Pixels;
use image::{imageops, DynamicImage, Rgba, RgbaImage};

/// Pixel step: for `fit=pad`, the image placed on its canvas.
pub fn step(mut p: Pixels, shape: &Shape) -> Result<Pixels> {
    if let Some(canvas) = shape.canvas {
        p.img = pad(p.img, canvas, shape.background);
    }
    Ok(p)
}

pub fn pad(img: DynamicImage, canvas: Canvas, background: [u8; 4]) -> DynamicImage {
    let mut out = RgbaImage::from_pixel(canvas.width, canvas.height, Rgba(background));
    imageops::overlay(&mut out, &img.to_rgba8(), canvas.left as i64, canvas.top as i64);
    DynamicImage::ImageRgba8(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_sits_on_the_background_where_the_canvas_says() {
        let img = DynamicImage::ImageRgb8(image::RgbImage::from_pixel(4, 2, image::Rgb([0, 0, 255])));
        let out = pad(img, Canvas { width: 4, height: 6, left: 0, top: 2 }, [255, 0, 0, 255]).to_rgba8();
        assert_eq!(out.get_pixel(0, 0).0, [255, 0, 0, 255]);
        assert_eq!(out.get_pixel(3, 2).0, [0, 0, 255, 255]);
        assert_eq!(out.get_pixel(3, 3).0, [0, 0, 255, 255]);
        assert_eq!(out.get_pixel(0, 5).0, [255, 0, 0, 255]);
    }
}
