//! `brightness`, `saturation`, `contrast`, `gamma`, then `blur` and `sharpen`, on the resized
//! sRGB pixels (so they cost the output's size, not the source's).
//!
//! - brightness multiplies light: in linear light, as an exposure change does (2 = twice the light);
//! - saturation mixes each pixel with its own luminance in linear light, so `0` is an exact grey
//!   of the same luminance (R = G = B);
//! - contrast scales the encoded values about mid-grey, `v' = (v − ½)·c + ½` (sharp's `linear`);
//! - gamma raises the encoded value to the power given, `v' = v^g`: above 1 darkens the
//!   midtones, below 1 lightens them, black and white stay (Cloudflare's current documentation);
//! - blur is a Gaussian of sigma = radius / 2 (three integer box passes), on premultiplied alpha;
//! - sharpen is an unsharp mask of sigma 1 and amount = strength / 2.

use crate::error::Result;
use crate::pipeline::shape::Shape;
use crate::pipeline::types::Pixels;
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

/// Gaussian blur of `sigma`, on premultiplied alpha so transparent pixels do not darken the edges.
fn blur(img: DynamicImage, sigma: f32) -> Result<DynamicImage> {
    Ok(match img {
        DynamicImage::ImageLuma8(mut i) => {
            gaussian(&mut i, 1, sigma);
            DynamicImage::ImageLuma8(i)
        }
        DynamicImage::ImageRgb8(mut i) => {
            gaussian(&mut i, 3, sigma);
            DynamicImage::ImageRgb8(i)
        }
        DynamicImage::ImageRgba8(mut i) => {
            premultiply(&mut i, 4);
            gaussian(&mut i, 4, sigma);
            let mut out = DynamicImage::ImageRgba8(i);
            super::resize::divide_alpha(&mut out)?;
            out
        }
        DynamicImage::ImageLumaA8(mut i) => {
            premultiply(&mut i, 2);
            gaussian(&mut i, 2, sigma);
            let mut out = DynamicImage::ImageLumaA8(i);
            super::resize::divide_alpha(&mut out)?;
            out
        }
        other => return blur(DynamicImage::ImageRgba8(other.to_rgba8()), sigma),
    })
}

/// Three box blurs along each axis, whose sizes Kovesi's formula picks so that together they
/// approximate a Gaussian of `sigma` ("Fast almost-Gaussian filtering", 2010; `image`'s
/// `fast_blur` does the same in floats, 4× slower in wasm). Integer running sums, row by row
/// (the vertical pass keeps one sum per column, so it too reads memory in order).
fn gaussian<P: Pixel<Subpixel = u8>>(img: &mut ImageBuffer<P, Vec<u8>>, channels: usize, sigma: f32) {
    let (w, h) = (img.width() as usize, img.height() as usize);
    if w == 0 || h == 0 {
        return;
    }
    let buf: &mut [u8] = img;
    let mut copy = vec![0u8; buf.len()];
    for radius in box_radii(sigma, 3) {
        copy.copy_from_slice(buf);
        horizontal(&copy, buf, w, h, channels, radius);
        copy.copy_from_slice(buf);
        vertical(&copy, buf, w, h, channels, radius);
    }
}

/// Box radii for `passes` boxes approximating a Gaussian of `sigma` (Kovesi).
fn box_radii(sigma: f32, passes: usize) -> Vec<usize> {
    let n = passes as f32;
    let ideal = (12.0 * sigma * sigma / n + 1.0).sqrt();
    let mut lower = ideal.floor() as i64;
    if lower % 2 == 0 {
        lower -= 1;
    }
    let lower = lower.max(1);
    let l = lower as f32;
    let m = ((12.0 * sigma * sigma - n * l * l - 4.0 * n * l - 3.0 * n) / (-4.0 * l - 4.0)).round() as usize;
    (0..passes).map(|i| if i < m { lower as usize / 2 } else { lower as usize / 2 + 1 }).collect()
}

/// `sum / width`, rounded, as a multiply and a shift (no division in the loop).
struct Average {
    inverse: u64,
}

impl Average {
    fn of(width: u32) -> Average {
        Average { inverse: ((1u64 << 32) + width as u64 / 2) / width as u64 }
    }

    fn get(&self, sum: u32) -> u8 {
        ((sum as u64 * self.inverse + (1 << 31)) >> 32).min(255) as u8
    }
}

/// Each row's box average of radius `r` (edges extended), from `src` into `dst`.
fn horizontal(src: &[u8], dst: &mut [u8], w: usize, h: usize, ch: usize, r: usize) {
    let avg = Average::of(2 * r as u32 + 1);
    let last = w - 1;
    for y in 0..h {
        let (s, d) = (&src[y * w * ch..(y + 1) * w * ch], &mut dst[y * w * ch..(y + 1) * w * ch]);
        for c in 0..ch {
            let mut sum: u32 = (0..=2 * r).map(|i| s[(i.saturating_sub(r)).min(last) * ch + c] as u32).sum();
            for x in 0..w {
                d[x * ch + c] = avg.get(sum);
                sum += s[(x + r + 1).min(last) * ch + c] as u32;
                sum -= s[x.saturating_sub(r) * ch + c] as u32;
            }
        }
    }
}

/// Each column's box average of radius `r` (edges extended), from `src` into `dst`, one row at
/// a time with a running sum per column.
fn vertical(src: &[u8], dst: &mut [u8], w: usize, h: usize, ch: usize, r: usize) {
    let avg = Average::of(2 * r as u32 + 1);
    let (stride, last) = (w * ch, h - 1);
    let row = |y: usize| &src[y * stride..(y + 1) * stride];
    let mut sums = vec![0u32; stride];
    for i in 0..=2 * r {
        for (sum, v) in sums.iter_mut().zip(row(i.saturating_sub(r).min(last))) {
            *sum += *v as u32;
        }
    }
    for y in 0..h {
        let (add, sub) = (row((y + r + 1).min(last)), row(y.saturating_sub(r)));
        let out = &mut dst[y * stride..(y + 1) * stride];
        for k in 0..stride {
            out[k] = avg.get(sums[k]);
            sums[k] = sums[k] + add[k] as u32 - sub[k] as u32;
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use image::RgbImage;

    /// The three box passes stand for a true Gaussian (`image`'s, in floats): on a busy image the
    /// two differ by under a level on average.
    #[test]
    fn box_passes_approximate_a_true_gaussian() {
        let src = RgbImage::from_fn(120, 90, |x, y| {
            image::Rgb([((x * 37 + y * 11) % 256) as u8, ((x * x + y) % 256) as u8, (((x / 8 + y / 8) % 2) * 255) as u8])
        });
        for sigma in [1.5f32, 4.0, 10.0] {
            let ours = blur(DynamicImage::ImageRgb8(src.clone()), sigma).unwrap().into_rgb8();
            let exact = imageops::blur(&src, sigma);
            let diffs: Vec<i32> = ours.as_raw().iter().zip(exact.as_raw()).map(|(a, b)| (*a as i32 - *b as i32).abs()).collect();
            let mean = diffs.iter().sum::<i32>() as f64 / diffs.len() as f64;
            assert!(mean < 1.5, "sigma {sigma}: mean difference {mean}");
        }
    }

    #[test]
    fn kovesi_radii_grow_with_sigma() {
        assert_eq!(box_radii(0.5, 3), [0, 0, 0]);
        let r = box_radii(10.0, 3);
        assert!(r.iter().all(|&x| (9..=11).contains(&x)), "{r:?}");
    }
}
