//! `brightness`, `saturation`, `contrast`, `gamma`, then `blur` and `sharpen`, on the resized
//! sRGB pixels (so they cost the output's size, not the source's).
//!
//! - brightness multiplies light: in linear light, as an exposure change does (2 = twice the light);
//! - saturation mixes each pixel with its own luminance in linear light, so `0` is an exact grey
//!   of the same luminance (R = G = B);
//! - contrast scales the encoded values about mid-grey, `v' = (v − ½)·c + ½` (sharp's `linear`);
//! - gamma raises the encoded value to the power given, `v' = v^g`: above 1 darkens the
//!   midtones, below 1 lightens them, black and white stay (Cloudflare's current documentation);
//! - blur is a Gaussian of sigma = radius / 2 (three box passes), on premultiplied alpha;
//! - sharpen is an unsharp mask of sigma 1 and amount = strength / 2.

use super::{Pixels, Shape};
use crate::error::Result;
use crate::transform::{Adjust, Factor};
use image::{imageops, DynamicImage, ImageBuffer, Pixel};

/// Pixel step: the adjustments the transform asks for, in the order above.
pub fn step(mut p: Pixels, shape: &Shape) -> Result<Pixels> {
    if !shape.adjust.is_neutral() {
        p.img = adjust(p.img, &shape.adjust)?;
    }
    Ok(p)
}

pub fn adjust(mut img: DynamicImage, a: &Adjust) -> Result<DynamicImage> {
    if a.changes_colour() {
        colours(&mut img, a);
    }
    if a.blur > 0 {
        img = blur(img, a.blur as f32 / 2.0)?;
    }
    if a.sharpen.0 > 0 {
        img = sharpen(img, a.sharpen.value() / 2.0);
    }
    Ok(img)
}

/// sRGB decoding, one entry per 8-bit value.
fn to_linear_table() -> [f32; 256] {
    std::array::from_fn(|i| {
        let v = i as f32 / 255.0;
        if v <= 0.04045 {
            v / 12.92
        } else {
            ((v + 0.055) / 1.055).powf(2.4)
        }
    })
}

/// sRGB encoding of linear light in 0..=1, to 8 bits, through a 4096-step table (finer than
/// 8 bits everywhere the curve is steep enough to matter).
struct Encoder([u8; 4096]);

impl Encoder {
    fn new() -> Encoder {
        Encoder(std::array::from_fn(|i| {
            let v = i as f32 / 4095.0;
            let e = if v <= 0.003_130_8 { v * 12.92 } else { 1.055 * v.powf(1.0 / 2.4) - 0.055 };
            (e * 255.0).round().clamp(0.0, 255.0) as u8
        }))
    }

    fn encode(&self, linear: f32) -> u8 {
        self.0[(linear.clamp(0.0, 1.0) * 4095.0).round() as usize]
    }
}

/// Brightness and saturation in linear light, contrast and gamma on the encoded value.
fn colours(img: &mut DynamicImage, a: &Adjust) {
    let linear = to_linear_table();
    let encoder = Encoder::new();
    let (brightness, saturation) = (a.brightness.value(), a.saturation.value());
    // Contrast and gamma act on encoded values only: one table for all channels.
    let tone: [u8; 256] = std::array::from_fn(|i| {
        let mut v = i as f32 / 255.0;
        if a.contrast != Factor::ONE {
            v = (v - 0.5) * a.contrast.value() + 0.5;
        }
        if a.gamma != Factor::ONE {
            v = v.clamp(0.0, 1.0).powf(a.gamma.value());
        }
        (v * 255.0).round().clamp(0.0, 255.0) as u8
    });
    let per_pixel = |px: &mut [u8], colour: bool| {
        if colour {
            let [r, g, b] = [linear[px[0] as usize], linear[px[1] as usize], linear[px[2] as usize]].map(|c| c * brightness);
            let y = 0.2126 * r + 0.7152 * g + 0.0722 * b;
            for (slot, c) in px[..3].iter_mut().zip([r, g, b]) {
                *slot = tone[encoder.encode(y + saturation * (c - y)) as usize];
            }
        } else {
            px[0] = tone[encoder.encode(linear[px[0] as usize] * brightness) as usize];
        }
    };
    if !matches!(img, DynamicImage::ImageLuma8(_) | DynamicImage::ImageLumaA8(_) | DynamicImage::ImageRgb8(_) | DynamicImage::ImageRgba8(_))
    {
        // Not reached: `decode` reduces everything to 8 bits.
        *img = DynamicImage::ImageRgba8(img.to_rgba8());
    }
    let channels = img.color().channel_count() as usize;
    let bytes: &mut [u8] = match img {
        DynamicImage::ImageLuma8(i) => i,
        DynamicImage::ImageLumaA8(i) => i,
        DynamicImage::ImageRgb8(i) => i,
        DynamicImage::ImageRgba8(i) => i,
        _ => return,
    };
    for px in bytes.chunks_exact_mut(channels) {
        per_pixel(px, channels >= 3);
    }
}

/// Gaussian blur of `sigma` (Kovesi's three box passes, `image`'s `fast_blur`), on premultiplied
/// alpha so transparent pixels do not darken the edges.
fn blur(img: DynamicImage, sigma: f32) -> Result<DynamicImage> {
    Ok(match img {
        DynamicImage::ImageLuma8(i) => DynamicImage::ImageLuma8(imageops::fast_blur(&i, sigma)),
        DynamicImage::ImageRgb8(i) => DynamicImage::ImageRgb8(imageops::fast_blur(&i, sigma)),
        DynamicImage::ImageRgba8(mut i) => {
            premultiply(&mut i, 4);
            let mut out = DynamicImage::ImageRgba8(imageops::fast_blur(&i, sigma));
            super::resize::divide_alpha(&mut out)?;
            out
        }
        DynamicImage::ImageLumaA8(mut i) => {
            premultiply(&mut i, 2);
            let mut out = DynamicImage::ImageLumaA8(imageops::fast_blur(&i, sigma));
            super::resize::divide_alpha(&mut out)?;
            out
        }
        other => return blur(DynamicImage::ImageRgba8(other.to_rgba8()), sigma),
    })
}

fn premultiply(bytes: &mut [u8], channels: usize) {
    for px in bytes.chunks_exact_mut(channels) {
        let a = px[channels - 1] as u32;
        for c in &mut px[..channels - 1] {
            *c = ((*c as u32 * a + 127) / 255) as u8;
        }
    }
}

/// Unsharp mask: `v + amount·(v − blur₁(v))` on the colour channels (alpha is left alone).
fn sharpen(img: DynamicImage, amount: f32) -> DynamicImage {
    match img {
        DynamicImage::ImageLuma8(mut i) => {
            unsharp(&mut i, amount, 1);
            DynamicImage::ImageLuma8(i)
        }
        DynamicImage::ImageLumaA8(mut i) => {
            unsharp(&mut i, amount, 1);
            DynamicImage::ImageLumaA8(i)
        }
        DynamicImage::ImageRgb8(mut i) => {
            unsharp(&mut i, amount, 3);
            DynamicImage::ImageRgb8(i)
        }
        DynamicImage::ImageRgba8(mut i) => {
            unsharp(&mut i, amount, 3);
            DynamicImage::ImageRgba8(i)
        }
        other => sharpen(DynamicImage::ImageRgba8(other.to_rgba8()), amount),
    }
}

fn unsharp<P: Pixel<Subpixel = u8> + 'static>(img: &mut ImageBuffer<P, Vec<u8>>, amount: f32, colour_channels: usize) {
    let soft = imageops::blur(img, 1.0);
    let channels = P::CHANNEL_COUNT as usize;
    for (px, s) in img.chunks_exact_mut(channels).zip(soft.chunks_exact(channels)) {
        for c in 0..colour_channels {
            let v = px[c] as f32;
            px[c] = (v + amount * (v - s[c] as f32)).round().clamp(0.0, 255.0) as u8;
        }
    }
}
