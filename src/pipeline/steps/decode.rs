//! Decoding to 8-bit pixels in one of four layouts (grey, grey+alpha, RGB, RGBA).
//!
//! JPEG goes through `jpeg-decoder`, not `image`'s zune-jpeg: zune 0.5.15 silently decodes some
//! valid 4:2:0 files to green garbage, and `jpeg-decoder` can also decode at 1/2, 1/4 or 1/8 scale
//! in the DCT domain (shrink-on-load), which is what keeps big photos inside the memory budget.
//! A progressive JPEG decoded at 1/2 or 1/4 scale goes through [`progressive`] instead, which
//! keeps only the coefficients that scale reads (jpeg-decoder keeps them all).

use super::probe::image_format;
use super::{admit, colour};
use crate::pipeline::codecs::port::Codecs;
use crate::pipeline::codecs::{heif, progressive, vector};
use crate::pipeline::types::{Decoded, Probe};
use crate::error::{Error, Result};
use crate::transform::Format;
use image::{DynamicImage, GrayImage, ImageDecoder, ImageReader, Limits, RgbImage};
use std::io::Cursor;

/// The pixels of any source: a raster decoded (JPEG shrunk to no less than `at_least`), an SVG
/// drawn at exactly `at_least`, an AVIF or HEIC through the host's picture decoder.
pub fn decode(bytes: &[u8], probe: &Probe, at_least: (u32, u32), max_alloc: u64, codecs: &Codecs<'_>) -> Result<Decoded> {
    match probe.format {
        Format::Svg => Ok(Decoded { image: vector::render(bytes, at_least)?, icc: None, exif: None }),
        Format::Avif | Format::Heic => heif::decode(bytes, probe, codecs),
        _ => raster(bytes, probe, at_least, max_alloc),
    }
}

/// Decodes the stored pixels of a raster image. For JPEG, `at_least` asks for a DCT-scaled
/// decode no smaller than that size (stored coordinates); other formats always decode at full
/// size.
pub fn raster(bytes: &[u8], probe: &Probe, at_least: (u32, u32), max_alloc: u64) -> Result<Decoded> {
    let Decoded { image, icc, exif } = match probe.format {
        Format::Jpeg => decode_any_jpeg(bytes, probe, at_least)?,
        Format::Svg | Format::Avif | Format::Heic => return Err(Error::Unsupported("only raster images are decoded here".into())),
        other => decode_with_image(bytes, other, max_alloc)?,
    };
    Ok(Decoded { image: to_8bit(image), icc, exif })
}

/// A progressive file at a reduced scale through `progressive` when it takes the file (as
/// admission counted it: `Probe::kept_blocks`), everything else through jpeg-decoder.
fn decode_any_jpeg(bytes: &[u8], probe: &Probe, at_least: (u32, u32)) -> Result<Decoded> {
    let eighths = admit::jpeg_eighths(probe, at_least);
    if probe.kept_blocks > 0 && eighths < 8 {
        if let Some(decoded) = decode_progressive(bytes, eighths)? {
            return Ok(decoded);
        }
    }
    decode_jpeg(bytes, at_least)
}

fn decode_jpeg(bytes: &[u8], at_least: (u32, u32)) -> Result<Decoded> {
    let bad = |e: jpeg_decoder::Error| Error::Undecodable(format!("JPEG: {e}"));
    let mut d = jpeg_decoder::Decoder::new(bytes);
    d.read_info().map_err(bad)?;
    let clamp = |v: u32| v.clamp(1, u16::MAX as u32) as u16;
    let (w, h) = d.scale(clamp(at_least.0), clamp(at_least.1)).map_err(bad)?;
    let pixels = d.decode().map_err(bad)?;
    let format = d.info().ok_or_else(|| Error::Undecodable("JPEG has no frame".into()))?.pixel_format;
    let icc = d.icc_profile();
    let exif = d.exif_data().map(<[u8]>::to_vec);
    let (w, h) = (w as u32, h as u32);
    let short = || Error::Undecodable("JPEG pixel data is shorter than its header says".into());
    use jpeg_decoder::PixelFormat as P;
    Ok(match format {
        P::L8 => Decoded { image: DynamicImage::ImageLuma8(GrayImage::from_raw(w, h, pixels).ok_or_else(short)?), icc: None, exif },
        P::RGB24 => Decoded { image: DynamicImage::ImageRgb8(RgbImage::from_raw(w, h, pixels).ok_or_else(short)?), icc, exif },
        P::L16 => {
            // Big-endian 16-bit samples: keep the high byte.
            let grey: Vec<u8> = pixels.chunks_exact(2).map(|s| s[0]).collect();
            Decoded { image: DynamicImage::ImageLuma8(GrayImage::from_raw(w, h, grey).ok_or_else(short)?), icc: None, exif }
        }
        // CMYK has to become RGB before resizing, so its profile is applied here.
        P::CMYK32 => {
            let rgb = colour::cmyk_to_srgb(&pixels, icc.as_deref());
            Decoded { image: DynamicImage::ImageRgb8(RgbImage::from_raw(w, h, rgb).ok_or_else(short)?), icc: None, exif }
        }
    })
}

/// A progressive JPEG at a reduced scale; its ICC profile and EXIF from the headers.
fn decode_progressive(bytes: &[u8], eighths: u32) -> Result<Option<Decoded>> {
    let Some(reduced) = progressive::decode(bytes, eighths)? else { return Ok(None) };
    let mut headers = jpeg_decoder::Decoder::new(bytes);
    headers.read_info().map_err(|e| Error::Undecodable(format!("JPEG: {e}")))?;
    let (icc, exif) = (headers.icc_profile(), headers.exif_data().map(<[u8]>::to_vec));
    let short = || Error::Internal("progressive decode made fewer pixels than its size".into());
    let (w, h) = (reduced.width, reduced.height);
    Ok(Some(match reduced.channels {
        1 => Decoded { image: DynamicImage::ImageLuma8(GrayImage::from_raw(w, h, reduced.pixels).ok_or_else(short)?), icc: None, exif },
        _ => Decoded { image: DynamicImage::ImageRgb8(RgbImage::from_raw(w, h, reduced.pixels).ok_or_else(short)?), icc, exif },
    }))
}

fn decode_with_image(bytes: &[u8], format: Format, max_alloc: u64) -> Result<Decoded> {
    let mut reader = ImageReader::with_format(Cursor::new(bytes), image_format(format));
    // The last line of defence: admission control already refused anything this large.
    let mut limits = Limits::default();
    limits.max_alloc = Some(max_alloc);
    reader.limits(limits);
    let mut decoder = reader.into_decoder()?;
    let icc = decoder.icc_profile().ok().flatten();
    let exif = decoder.exif_metadata().ok().flatten();
    Ok(Decoded { image: DynamicImage::from_decoder(decoder)?, icc, exif })
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
