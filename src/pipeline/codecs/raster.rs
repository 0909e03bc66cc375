//! Raster images: JPEG through [`jpeg`], PNG, WebP, GIF and BMP through `image`, all reduced to
//! 8-bit pixels in one of four layouts (grey, grey+alpha, RGB, RGBA). An image inside an SVG is
//! read here too, so an SVG or HEIF file there is refused rather than drawn.

use super::{jpeg, sniff};
use crate::error::{Error, Result};
use crate::pipeline::types::{Decoded, Probe};
use crate::transform::Format;
use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, ImageReader, Limits};
use std::io::Cursor;

/// A raster image's header (JPEG, PNG, WebP, GIF, BMP).
pub fn probe(bytes: &[u8]) -> Result<Probe> {
    match sniff(bytes)? {
        Format::Jpeg => jpeg::probe(bytes),
        Format::Svg | Format::Avif | Format::Heic => Err(Error::Unsupported("only raster images are read here".into())),
        Format::Webp => {
            check_webp_frames(bytes)?;
            probe_with_image(bytes, Format::Webp)
        }
        Format::Gif => {
            let mut probe = probe_with_image(bytes, Format::Gif)?;
            probe.plane_bytes = probe.plane_bytes.max(first_gif_frame(bytes)? * 5);
            Ok(probe)
        }
        other => probe_with_image(bytes, other),
    }
}

/// The pixels of a GIF's first frame's own rectangle, from its image descriptor. It may be
/// declared larger than the canvas (the logical screen), and `image` decodes it whole (RGBA, and
/// the gif crate's palette indices: five bytes a pixel) before placing it on the canvas, so
/// admission counts it as the decoder's planes: a 1×1 canvas declaring a 4000×4000 frame would
/// otherwise be admitted at a few bytes and allocate 80 MB (tests/animation_bounds.rs).
fn first_gif_frame(bytes: &[u8]) -> Result<u64> {
    let mut options = gif::DecodeOptions::new();
    options.skip_frame_decoding(true);
    let bad = |e: gif::DecodingError| Error::Undecodable(format!("GIF: {e}"));
    let mut decoder = options.read_info(Cursor::new(bytes)).map_err(bad)?;
    Ok(decoder.next_frame_info().map_err(bad)?.map_or(0, |f| f.width as u64 * f.height as u64))
}

/// Decodes the stored pixels of a raster image. For JPEG, `at_least` asks for a DCT-scaled
/// decode no smaller than that size (stored coordinates); other formats always decode at full
/// size.
pub fn decode(bytes: &[u8], probe: &Probe, at_least: (u32, u32), max_alloc: u64) -> Result<Decoded> {
    let Decoded { image, icc, exif } = match probe.format {
        Format::Jpeg => jpeg::decode(bytes, probe, at_least)?,
        Format::Svg | Format::Avif | Format::Heic => return Err(Error::Unsupported("only raster images are decoded here".into())),
        other => decode_with_image(bytes, other, max_alloc)?,
    };
    Ok(Decoded { image: to_8bit(image), icc, exif })
}

/// image-webp 0.2.4 panics (an out-of-range slice in its YUV conversion) on an animation frame
/// whose lossy bitstream is not the size its `ANMF` header says (found by `cargo fuzz`, kept in
/// `fuzz/regressions/pipeline/`); it checks this for frames without alpha only. So every lossy
/// frame's size is checked against its frame header here, and a mismatch is a 422.
fn check_webp_frames(bytes: &[u8]) -> Result<()> {
    let bad = || Error::Undecodable("WebP frame size does not match its header".into());
    for (tag, body) in riff_chunks(bytes.get(12..).unwrap_or_default()) {
        if tag != b"ANMF" || body.len() < 16 {
            continue;
        }
        let frame = (u24(&body[6..9]) + 1, u24(&body[9..12]) + 1);
        for (tag, sub) in riff_chunks(&body[16..]) {
            if tag == b"VP8 " && sub.len() >= 10 && sub[3..6] == [0x9d, 0x01, 0x2a] {
                let size = (u16::from_le_bytes([sub[6], sub[7]]) as u32 & 0x3fff, u16::from_le_bytes([sub[8], sub[9]]) as u32 & 0x3fff);
                if size != frame {
                    return Err(bad());
                }
            }
        }
    }
    Ok(())
}

/// RIFF chunks (four-character tag, body) until the data ends or a header does not fit.
fn riff_chunks(mut data: &[u8]) -> impl Iterator<Item = (&[u8], &[u8])> {
    std::iter::from_fn(move || {
        let tag = data.get(..4)?;
        let len = u32::from_le_bytes(data.get(4..8)?.try_into().ok()?) as usize;
        let body = data.get(8..8usize.checked_add(len)?)?;
        data = data.get((8 + len + (len & 1)).min(data.len())..).unwrap_or_default();
        Some((tag, body))
    })
}

fn u24(b: &[u8]) -> u32 {
    u32::from_le_bytes([b[0], b[1], b[2], 0])
}

fn probe_with_image(bytes: &[u8], format: Format) -> Result<Probe> {
    let mut reader = ImageReader::with_format(Cursor::new(bytes), image_format(format));
    // Only the header is read here, so no limit applies yet: admission decides next, with a
    // clear message, from the size this returns. `decode` sets the limits for the pixels.
    reader.no_limits();
    let mut decoder = reader.into_decoder()?;
    let (width, height) = decoder.dimensions();
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let color = decoder.color_type();
    let (decoded_bpp, channels) = (color.bytes_per_pixel(), color.channel_count());
    let plane_bytes = width as u64 * height as u64 * decoded_bpp as u64;
    Ok(Probe {
        format,
        width,
        height,
        orientation,
        decoded_bpp,
        channels,
        progressive: false,
        held_bytes: 0,
        kept_blocks: 0,
        plane_bytes,
        decoder_bytes: 0,
    })
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

pub fn image_format(f: Format) -> image::ImageFormat {
    match f {
        Format::Jpeg => image::ImageFormat::Jpeg,
        Format::Png => image::ImageFormat::Png,
        Format::Webp => image::ImageFormat::WebP,
        Format::Gif => image::ImageFormat::Gif,
        Format::Bmp => image::ImageFormat::Bmp,
        Format::Avif => image::ImageFormat::Avif,
        // Not reached: SVG is read by `vector`, HEIC by `heif`, never by `image`.
        Format::Svg | Format::Heic => image::ImageFormat::Png,
    }
}
