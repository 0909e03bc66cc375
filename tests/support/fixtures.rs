//! Generated images for the samples (`make-samples`) and the tests, so each exists once and
//! nothing is copied in from elsewhere. Not part of the library: the crate's tests include it as
//! a `cfg(test)` module, the integration tests and `make-samples` with `#[path]`, and each uses
//! only some of it.
#![allow(dead_code)]

use image::codecs::png::PngEncoder;
use image::{ExtendedColorType, ImageEncoder, Rgb, RgbImage, Rgba, RgbaImage};
use jpeg_encoder::{ColorType, Encoder, SamplingFactor};

/// Low-frequency light, mid-frequency texture, a few hard-edged shapes and sensor-like noise:
/// the mix that makes JPEG sizes and resize costs behave like a real photo's.
pub fn photo(w: u32, h: u32, seed: u32) -> RgbImage {
    let mut rng = seed.wrapping_mul(0x9E37_79B9) | 1;
    RgbImage::from_fn(w, h, |x, y| {
        let (u, v) = (x as f32 / w as f32, y as f32 / h as f32);
        let sky = 0.5 + 0.5 * (u * 3.1 + v * 1.7).sin();
        let hills = (v - 0.6 - 0.08 * (u * 9.0).sin()).signum();
        let texture = 0.5 + 0.5 * ((x as f32 * 0.05).sin() * (y as f32 * 0.07).cos());
        let sun = ((u - 0.7).powi(2) + (v - 0.25).powi(2)).sqrt() < 0.08;
        rng ^= rng << 13;
        rng ^= rng >> 17;
        rng ^= rng << 5;
        let noise = (rng % 17) as f32 - 8.0;
        let (r, g, b) = if sun {
            (250.0, 230.0, 120.0)
        } else if hills > 0.0 {
            (60.0 + 80.0 * texture, 110.0 + 70.0 * texture, 40.0 + 30.0 * sky)
        } else {
            (90.0 + 60.0 * sky, 140.0 + 60.0 * sky, 200.0 + 50.0 * sky)
        };
        Rgb([clamp(r + noise), clamp(g + noise), clamp(b + noise)])
    })
}

/// Fine texture over the whole frame, a hard-edged diamond and noise. For comparing resampling
/// paths with SSIM: unlike [`photo`]'s flat sky, no region holds only noise (where two filters
/// leave two different noise patterns and SSIM drops although no one could see a difference).
pub fn textured(w: u32, h: u32) -> RgbImage {
    let mut seed = 0x2545_F491u32;
    RgbImage::from_fn(w, h, |x, y| {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        let noise = (seed % 13) as f32 - 6.0;
        let (u, v) = (x as f32 / w as f32, y as f32 / h as f32);
        let texture = 40.0 * ((x as f32 * 0.21).sin() * (y as f32 * 0.17).cos());
        let edge = if (u - 0.5).abs() + (v - 0.5).abs() < 0.25 { 90.0 } else { 0.0 };
        let c = |base: f32| clamp(base + texture + edge + noise);
        Rgb([c(60.0 + 120.0 * u), c(80.0 + 100.0 * v), c(140.0 - 60.0 * u)])
    })
}

/// Sky on the left, ground on the right: once rotated 90° clockwise the sky is on top.
pub fn portrait_stored_sideways(w: u32, h: u32) -> RgbImage {
    RgbImage::from_fn(w, h, |x, y| if x < w / 3 { Rgb([100, 160, 230]) } else { Rgb([70 + (y % 50) as u8, 120, 50]) })
}

pub fn alpha_disc(w: u32, h: u32) -> RgbaImage {
    let (cx, cy, r) = (w as f32 / 2.0, h as f32 / 2.0, h as f32 * 0.4);
    RgbaImage::from_fn(w, h, |x, y| {
        let d = ((x as f32 - cx).powi(2) + (y as f32 - cy).powi(2)).sqrt();
        let a = ((r - d) / 8.0).clamp(0.0, 1.0);
        Rgba([230, 40 + (x % 200) as u8, 60, (a * 255.0) as u8])
    })
}

/// An animated GIF: a ball crossing a striped background, `frames` frames of 80 ms, looping.
pub fn bouncing_ball(w: u32, h: u32, frames: u32) -> Vec<u8> {
    use image::codecs::gif::{GifEncoder, Repeat};
    use image::{Delay, Frame};
    let mut out = Vec::new();
    let mut enc = GifEncoder::new_with_speed(&mut out, 10);
    enc.set_repeat(Repeat::Infinite).expect("a GIF can loop");
    for k in 0..frames {
        let (cx, cy, r) = (w as f32 * (k as f32 + 0.5) / frames as f32, h as f32 / 2.0, h as f32 / 6.0);
        let img = RgbaImage::from_fn(w, h, |x, y| {
            let inside = (x as f32 - cx).powi(2) + (y as f32 - cy).powi(2) < r * r;
            if inside {
                Rgba([220, 40, 40, 255])
            } else if (y / 20) % 2 == 0 {
                Rgba([240, 230, 200, 255])
            } else {
                Rgba([60, 120, 180, 255])
            }
        });
        enc.encode_frame(Frame::from_parts(img, 0, 0, Delay::from_numer_denom_ms(80, 1))).expect("a valid frame");
    }
    drop(enc);
    out
}

fn clamp(v: f32) -> u8 {
    v.clamp(0.0, 255.0) as u8
}

/// A 4:2:0 JPEG at quality 88, as cameras and editors write them; `orientation` adds an EXIF
/// orientation tag.
pub fn jpeg(img: &RgbImage, progressive: bool, orientation: Option<u16>) -> Vec<u8> {
    let mut out = Vec::new();
    let mut enc = Encoder::new(&mut out, 88);
    enc.set_sampling_factor(SamplingFactor::R_4_2_0);
    enc.set_progressive(progressive);
    if let Some(o) = orientation {
        enc.add_exif_metadata(&exif_orientation(o)).expect("a valid EXIF block");
    }
    enc.encode(img.as_raw(), img.width() as u16, img.height() as u16, ColorType::Rgb).expect("a valid image");
    out
}

pub fn png(img: &RgbaImage) -> Vec<u8> {
    let mut out = Vec::new();
    PngEncoder::new(&mut out).write_image(img.as_raw(), img.width(), img.height(), ExtendedColorType::Rgba8).expect("a valid image");
    out
}

/// A 16-bit greyscale PNG with a diagonal ramp.
pub fn grey16_png(w: u32, h: u32) -> Vec<u8> {
    let bytes: Vec<u8> = (0..h).flat_map(|y| (0..w).map(move |x| ((x * 100 + y * 37) % 65536) as u16)).flat_map(u16::to_be_bytes).collect();
    let mut out = Vec::new();
    PngEncoder::new(&mut out).write_image(&bytes, w, h, ExtendedColorType::L16).expect("a valid image");
    out
}

/// A PNG whose header claims `w`×`h` RGBA, with an empty IDAT: a tiny file, a huge image (a
/// decompression bomb, refused from its header).
pub fn png_bomb(w: u32, h: u32) -> Vec<u8> {
    fn chunk(out: &mut Vec<u8>, kind: &[u8], data: &[u8]) {
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let start = out.len();
        out.extend_from_slice(kind);
        out.extend_from_slice(data);
        let crc = crc32(&out[start..]);
        out.extend_from_slice(&crc.to_be_bytes());
    }
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&w.to_be_bytes());
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[8, 6, 0, 0, 0]);
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    chunk(&mut out, b"IHDR", &ihdr);
    chunk(&mut out, b"IDAT", &[0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]);
    chunk(&mut out, b"IEND", &[]);
    out
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= b as u32;
        for _ in 0..8 {
            crc = if crc & 1 != 0 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

/// A minimal little-endian TIFF header with one IFD entry: Orientation (0x0112), SHORT, 1 value.
fn exif_orientation(o: u16) -> Vec<u8> {
    exif(o, &[])
}

/// What a camera writes, in short: the orientation, and an artist and a copyright line.
pub const ARTIST: &str = "Edge Image Resizer samples";
pub const COPYRIGHT: &str = "(c) 2026 the edge image resizer authors, CC0";

/// A little-endian EXIF block (TIFF structure) with the orientation tag and ASCII tags
/// (`0x013B` artist, `0x8298` copyright, …) in IFD0.
pub fn exif(orientation: u16, strings: &[(u16, &str)]) -> Vec<u8> {
    let count = 1 + strings.len();
    let mut data_at = 8 + 2 + 12 * count + 4;
    let mut t = b"II*\0".to_vec();
    t.extend_from_slice(&8u32.to_le_bytes()); // offset of IFD0
    t.extend_from_slice(&(count as u16).to_le_bytes());
    t.extend_from_slice(&0x0112u16.to_le_bytes());
    t.extend_from_slice(&3u16.to_le_bytes()); // SHORT
    t.extend_from_slice(&1u32.to_le_bytes()); // count
    t.extend_from_slice(&orientation.to_le_bytes());
    t.extend_from_slice(&[0, 0]); // value padding
    let mut data = Vec::new();
    for (tag, text) in strings {
        let value = [text.as_bytes(), b"\0"].concat();
        t.extend_from_slice(&tag.to_le_bytes());
        t.extend_from_slice(&2u16.to_le_bytes()); // ASCII
        t.extend_from_slice(&(value.len() as u32).to_le_bytes());
        t.extend_from_slice(&(data_at as u32).to_le_bytes());
        data_at += value.len();
        data.extend(value);
    }
    t.extend_from_slice(&0u32.to_le_bytes()); // no next IFD
    t.extend(data);
    t
}

/// A JPEG like [`jpeg`]'s with the given EXIF block.
pub fn jpeg_with_exif(img: &RgbImage, exif: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut enc = Encoder::new(&mut out, 88);
    enc.set_sampling_factor(SamplingFactor::R_4_2_0);
    enc.add_exif_metadata(exif).expect("a valid EXIF block");
    enc.encode(img.as_raw(), img.width() as u16, img.height() as u16, ColorType::Rgb).expect("a valid image");
    out
}

/// A 320×200 SVG logo that exercises what costs the renderer memory and time: a gradient, a
/// group with opacity (a layer), a drop shadow (a filter), a pattern fill and a dashed stroke.
pub fn logo_svg() -> String {
    r##"<svg xmlns="http://www.w3.org/2000/svg" width="320" height="200" viewBox="0 0 320 200">
  <defs>
    <linearGradient id="sky" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="#2b6cb0"/><stop offset="1" stop-color="#90cdf4"/></linearGradient>
    <pattern id="dots" width="12" height="12" patternUnits="userSpaceOnUse"><circle cx="6" cy="6" r="2.5" fill="#f6e05e"/></pattern>
    <filter id="shadow" x="-20%" y="-20%" width="140%" height="140%"><feGaussianBlur in="SourceAlpha" stdDeviation="4"/><feOffset dx="4" dy="6"/><feComposite in="SourceGraphic" operator="over"/></filter>
  </defs>
  <rect width="320" height="200" rx="24" fill="url(#sky)"/>
  <g opacity="0.85" filter="url(#shadow)">
    <path d="M40 160 L110 60 L150 120 L190 80 L280 160 Z" fill="#2d3748"/>
    <path d="M110 60 L128 86 L96 86 Z" fill="#fff"/>
  </g>
  <circle cx="250" cy="55" r="26" fill="url(#dots)" stroke="#f6e05e" stroke-width="3"/>
  <rect x="12" y="12" width="296" height="176" rx="18" fill="none" stroke="#fff" stroke-width="2" stroke-dasharray="8 6"/>
</svg>"##
        .to_string()
}
