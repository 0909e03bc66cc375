//! Writes the sample originals the project uses for `npm start` and the integration tests, so
//! nothing is copied from elsewhere: `cargo run --release --bin make-samples -- <dir>`.
//!
//! - `photo.jpg`     4000×3000 photo-like JPEG (smooth light, texture, sharp edges, noise)
//! - `alpha.png`     1200×800 RGBA PNG: a soft-edged disc on full transparency
//! - `portrait.jpg`  stored 1800×1200 with EXIF orientation 6, so it displays as 1200×1800
//! - `progressive.jpg` 2400×1600 progressive JPEG
//! - `grey.png`      640×480 16-bit greyscale PNG
//! - `big.jpg`, `big-progressive.jpg`  6000×4000 (24 MP), baseline and progressive

use image::codecs::png::PngEncoder;
use image::{ExtendedColorType, ImageBuffer, ImageEncoder, Luma, Rgb, RgbImage, Rgba, RgbaImage};
use jpeg_encoder::{ColorType, Encoder, SamplingFactor};
use std::path::Path;

fn main() {
    let dir = std::env::args().nth(1).unwrap_or_else(|| "samples".into());
    let dir = Path::new(&dir);
    std::fs::create_dir_all(dir).expect("create output directory");

    write_jpeg(&dir.join("photo.jpg"), &photo(4000, 3000, 1), false, None);
    write_jpeg(&dir.join("progressive.jpg"), &photo(2400, 1600, 2), true, None);
    let big = photo(6000, 4000, 3);
    write_jpeg(&dir.join("big.jpg"), &big, false, None);
    write_jpeg(&dir.join("big-progressive.jpg"), &big, true, None);
    drop(big);
    // Stored landscape, shown portrait: orientation 6 means "rotate 90° clockwise to display".
    write_jpeg(&dir.join("portrait.jpg"), &portrait_stored_sideways(1800, 1200), false, Some(6));

    let disc = alpha_disc(1200, 800);
    let mut png = Vec::new();
    PngEncoder::new(&mut png).write_image(disc.as_raw(), disc.width(), disc.height(), ExtendedColorType::Rgba8).unwrap();
    std::fs::write(dir.join("alpha.png"), png).unwrap();

    let grey: ImageBuffer<Luma<u16>, Vec<u16>> = ImageBuffer::from_fn(640, 480, |x, y| Luma([((x * 100 + y * 37) % 65536) as u16]));
    let bytes: Vec<u8> = grey.as_raw().iter().flat_map(|v| v.to_be_bytes()).collect();
    let mut png = Vec::new();
    PngEncoder::new(&mut png).write_image(&bytes, 640, 480, ExtendedColorType::L16).unwrap();
    std::fs::write(dir.join("grey.png"), png).unwrap();

    std::fs::write(dir.join("animated.gif"), bouncing_ball(400, 300, 12)).unwrap();

    println!("samples written to {}", dir.display());
}

/// Low-frequency light, mid-frequency texture, a few hard-edged shapes and sensor-like noise:
/// the mix that makes JPEG sizes and resize costs behave like a real photo's.
fn photo(w: u32, h: u32, seed: u32) -> RgbImage {
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

/// Sky on the left, ground on the right: once rotated 90° clockwise the sky is on top.
fn portrait_stored_sideways(w: u32, h: u32) -> RgbImage {
    RgbImage::from_fn(w, h, |x, y| if x < w / 3 { Rgb([100, 160, 230]) } else { Rgb([70 + (y % 50) as u8, 120, 50]) })
}

fn alpha_disc(w: u32, h: u32) -> RgbaImage {
    let (cx, cy, r) = (w as f32 / 2.0, h as f32 / 2.0, h as f32 * 0.4);
    RgbaImage::from_fn(w, h, |x, y| {
        let d = ((x as f32 - cx).powi(2) + (y as f32 - cy).powi(2)).sqrt();
        let a = ((r - d) / 8.0).clamp(0.0, 1.0);
        Rgba([230, 40 + (x % 200) as u8, 60, (a * 255.0) as u8])
    })
}

/// An animated GIF: a ball crossing a striped background, `frames` frames of 80 ms, looping.
fn bouncing_ball(w: u32, h: u32, frames: u32) -> Vec<u8> {
    use image::codecs::gif::{GifEncoder, Repeat};
    use image::{Delay, Frame};
    let mut out = Vec::new();
    let mut enc = GifEncoder::new_with_speed(&mut out, 10);
    enc.set_repeat(Repeat::Infinite).unwrap();
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
        enc.encode_frame(Frame::from_parts(img, 0, 0, Delay::from_numer_denom_ms(80, 1))).unwrap();
    }
    drop(enc);
    out
}

fn clamp(v: f32) -> u8 {
    v.clamp(0.0, 255.0) as u8
}

fn write_jpeg(path: &Path, img: &RgbImage, progressive: bool, orientation: Option<u16>) {
    let mut out = Vec::new();
    let mut enc = Encoder::new(&mut out, 88);
    enc.set_sampling_factor(SamplingFactor::R_4_2_0);
    enc.set_progressive(progressive);
    if let Some(o) = orientation {
        enc.add_exif_metadata(&exif_orientation(o)).unwrap();
    }
    enc.encode(img.as_raw(), img.width() as u16, img.height() as u16, ColorType::Rgb).unwrap();
    std::fs::write(path, out).unwrap();
}

/// A minimal little-endian TIFF header with one IFD entry: Orientation (0x0112), SHORT, 1 value.
fn exif_orientation(o: u16) -> Vec<u8> {
    let mut t = b"II*\0".to_vec();
    t.extend_from_slice(&8u32.to_le_bytes()); // offset of IFD0
    t.extend_from_slice(&1u16.to_le_bytes()); // one entry
    t.extend_from_slice(&0x0112u16.to_le_bytes());
    t.extend_from_slice(&3u16.to_le_bytes()); // SHORT
    t.extend_from_slice(&1u32.to_le_bytes()); // count
    t.extend_from_slice(&o.to_le_bytes());
    t.extend_from_slice(&[0, 0]); // value padding
    t.extend_from_slice(&0u32.to_le_bytes()); // no next IFD
    t
}
