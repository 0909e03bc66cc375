//! Decoding to 8-bit pixels in one of four layouts (grey, grey+alpha, RGB, RGBA).
//!
//! JPEG goes through `jpeg-decoder`, not `image`'s zune-jpeg: zune 0.5.15 silently decodes some
//! valid 4:2:0 files to green garbage, and `jpeg-decoder` can also decode at 1/2, 1/4 or 1/8 scale
//! in the DCT domain (shrink-on-load), which is what keeps big photos inside the memory budget.

use super::probe::{image_format, Probe};
use crate::error::{Error, Result};
use crate::transform::Format;
use image::{DynamicImage, GrayImage, ImageReader, Limits, RgbImage};
use std::io::Cursor;

/// Decodes the stored pixels. For JPEG, `at_least` asks for a DCT-scaled decode no smaller than
/// that size (stored coordinates); other formats always decode at full size.
pub fn decode(bytes: &[u8], probe: &Probe, at_least: (u32, u32), max_alloc: u64) -> Result<DynamicImage> {
    let img = match probe.format {
        Format::Jpeg => decode_jpeg(bytes, at_least)?,
        other => decode_with_image(bytes, other, max_alloc)?,
    };
    Ok(to_8bit(img))
}

fn decode_jpeg(bytes: &[u8], at_least: (u32, u32)) -> Result<DynamicImage> {
    let bad = |e: jpeg_decoder::Error| Error::Undecodable(format!("JPEG: {e}"));
    let mut d = jpeg_decoder::Decoder::new(bytes);
    d.read_info().map_err(bad)?;
    let clamp = |v: u32| v.clamp(1, u16::MAX as u32) as u16;
    let (w, h) = d.scale(clamp(at_least.0), clamp(at_least.1)).map_err(bad)?;
    let pixels = d.decode().map_err(bad)?;
    let format = d.info().ok_or_else(|| Error::Undecodable("JPEG has no frame".into()))?.pixel_format;
    let (w, h) = (w as u32, h as u32);
    let short = || Error::Undecodable("JPEG pixel data is shorter than its header says".into());
    use jpeg_decoder::PixelFormat as P;
    Ok(match format {
        P::L8 => DynamicImage::ImageLuma8(GrayImage::from_raw(w, h, pixels).ok_or_else(short)?),
        P::RGB24 => DynamicImage::ImageRgb8(RgbImage::from_raw(w, h, pixels).ok_or_else(short)?),
        P::L16 => {
            // Big-endian 16-bit samples: keep the high byte.
            let grey: Vec<u8> = pixels.chunks_exact(2).map(|s| s[0]).collect();
            DynamicImage::ImageLuma8(GrayImage::from_raw(w, h, grey).ok_or_else(short)?)
        }
        P::CMYK32 => DynamicImage::ImageRgb8(RgbImage::from_raw(w, h, cmyk_to_rgb(&pixels)).ok_or_else(short)?),
    })
}

/// Naive CMYK → RGB (no ICC). `jpeg-decoder` already undoes Adobe's inverted storage.
fn cmyk_to_rgb(cmyk: &[u8]) -> Vec<u8> {
    let mut rgb = Vec::with_capacity(cmyk.len() / 4 * 3);
    for px in cmyk.chunks_exact(4) {
        let k = 255 - px[3] as u32;
        for c in &px[..3] {
            rgb.push(((255 - *c as u32) * k / 255) as u8);
        }
    }
    rgb
}

fn decode_with_image(bytes: &[u8], format: Format, max_alloc: u64) -> Result<DynamicImage> {
    let mut reader = ImageReader::with_format(Cursor::new(bytes), image_format(format));
    // The last line of defence: admission control already refused anything this large.
    let mut limits = Limits::default();
    limits.max_alloc = Some(max_alloc);
    reader.limits(limits);
    Ok(reader.decode()?)
}

/// Reduces 16-bit and float images to the 8-bit layouts the resizer and encoders use.
fn to_8bit(img: DynamicImage) -> DynamicImage {
    use DynamicImage as D;
    match img {
        D::ImageLuma8(_) | D::ImageLumaA8(_) | D::ImageRgb8(_) | D::ImageRgba8(_) => img,
        D::ImageLuma16(_) => D::ImageLuma8(img.to_luma8()),
        D::ImageLumaA16(_) => D::ImageLumaA8(img.to_luma_alpha8()),
        D::ImageRgb16(_) | D::ImageRgb32F(_) => D::ImageRgb8(img.to_rgb8()),
        _ => D::ImageRgba8(img.to_rgba8()),
    }
}
