//! Reads what the pipeline needs to know from the file's header only, before any pixel buffer
//! exists: the format (from magic bytes, never from the key's extension), the stored size, the
//! EXIF orientation and how the JPEG is coded. Admission control is decided from this.

use crate::error::{Error, Result};
use crate::pipeline::codecs::{heif, vector};
use crate::pipeline::types::Probe;
use crate::transform::Format;
use image::metadata::Orientation;
use image::{ImageDecoder, ImageReader};
use std::io::Cursor;

/// Identifies the format from its signature. Formats we know but do not decode are a 415 with
/// their name; bytes that match nothing are a 422.
pub fn sniff(bytes: &[u8]) -> Result<Format> {
    let starts = |sig: &[u8]| bytes.starts_with(sig);
    if starts(&[0xFF, 0xD8, 0xFF]) {
        return Ok(Format::Jpeg);
    }
    if starts(b"\x89PNG\r\n\x1a\n") {
        return Ok(Format::Png);
    }
    if bytes.len() >= 12 && starts(b"RIFF") && &bytes[8..12] == b"WEBP" {
        return Ok(Format::Webp);
    }
    if starts(b"GIF87a") || starts(b"GIF89a") {
        return Ok(Format::Gif);
    }
    if starts(b"BM") && bytes.len() >= 26 {
        return Ok(Format::Bmp);
    }
    if bytes.len() >= 12 && &bytes[4..8] == b"ftyp" {
        return crate::pipeline::codecs::heif::container::format_of(bytes)
            .ok_or_else(|| Error::Unsupported("this ISO media file is not an AVIF or HEIC image".into()));
    }
    if starts(b"II*\0") || starts(b"MM\0*") {
        return Err(Error::Unsupported("TIFF input is not supported".into()));
    }
    if crate::svg::looks_like_svg(bytes) {
        return Ok(Format::Svg);
    }
    Err(Error::Undecodable("not a JPEG, PNG, WebP, GIF, BMP, AVIF, HEIC or SVG file".into()))
}

/// Format, size and orientation from the header only, for any source: an SVG is parsed (not
/// drawn) by `codecs::vector`, an AVIF or HEIC read from its container by `codecs::heif`. Every
/// step that reads an original or an overlay comes through here, so SVG and HEIF are inputs
/// everywhere a raster is.
pub fn probe(bytes: &[u8]) -> Result<Probe> {
    match sniff(bytes)? {
        Format::Svg => vector::probe(bytes),
        Format::Avif | Format::Heic => heif::probe(bytes),
        _ => raster(bytes),
    }
}

/// A raster image's header (JPEG, PNG, WebP, GIF, BMP). An image inside an SVG is read here, so
/// an SVG or HEIF there is refused rather than drawn.
pub fn raster(bytes: &[u8]) -> Result<Probe> {
    match sniff(bytes)? {
        Format::Jpeg => probe_jpeg(bytes),
        Format::Svg | Format::Avif | Format::Heic => Err(Error::Unsupported("only raster images are read here".into())),
        Format::Webp => {
            check_webp_frames(bytes)?;
            probe_with_image(bytes, Format::Webp)
        }
        other => probe_with_image(bytes, other),
    }
}

fn probe_jpeg(bytes: &[u8]) -> Result<Probe> {
    let mut decoder = jpeg_decoder::Decoder::new(bytes);
    decoder.read_info().map_err(|e| Error::Undecodable(format!("JPEG header: {e}")))?;
    let info = decoder.info().ok_or_else(|| Error::Undecodable("JPEG header has no frame".into()))?;
    let orientation = decoder.exif_data().and_then(Orientation::from_exif_chunk).unwrap_or(Orientation::NoTransforms);
    let progressive = info.coding_process == jpeg_decoder::CodingProcess::DctProgressive;
    let sampling = jpeg_sampling(bytes).ok_or_else(|| Error::Undecodable("JPEG frame header is malformed".into()))?;
    let samples = component_samples(info.width as u32, info.height as u32, &sampling);
    let held_bytes = if progressive { samples * 2 } else { 0 };
    Ok(Probe {
        format: Format::Jpeg,
        width: info.width as u32,
        height: info.height as u32,
        orientation,
        decoded_bpp: info.pixel_format.pixel_bytes() as u8,
        channels: match info.pixel_format {
            jpeg_decoder::PixelFormat::L8 | jpeg_decoder::PixelFormat::L16 => 1,
            _ => 3,
        },
        progressive,
        held_bytes,
        kept_blocks: if progressive { crate::pipeline::codecs::progressive::kept_blocks(bytes).unwrap_or(0) } else { 0 },
        plane_bytes: samples,
        decoder_bytes: 0,
    })
}

/// The (horizontal, vertical) sampling factors of each component, from the frame header (SOF).
fn jpeg_sampling(bytes: &[u8]) -> Option<Vec<(u32, u32)>> {
    let mut i = 2; // after SOI
    while i + 4 <= bytes.len() {
        if bytes[i] != 0xFF {
            return None;
        }
        let marker = bytes[i + 1];
        if marker == 0xFF {
            i += 1; // fill byte
            continue;
        }
        let len = u16::from_be_bytes([bytes[i + 2], bytes[i + 3]]) as usize;
        let segment = bytes.get(i + 4..i + 2 + len)?;
        // SOF0..SOF15, except DHT (C4), JPG (C8) and DAC (CC).
        if (0xC0..=0xCF).contains(&marker) && ![0xC4, 0xC8, 0xCC].contains(&marker) {
            let n = *segment.get(5)? as usize;
            return (0..n).map(|c| segment.get(6 + c * 3 + 1).map(|hv| ((hv >> 4) as u32, (hv & 15) as u32))).collect();
        }
        i += 2 + len;
    }
    None
}

/// Samples of every component at its own sampling, padded to whole 8×8 blocks.
fn component_samples(width: u32, height: u32, sampling: &[(u32, u32)]) -> u64 {
    let h_max = sampling.iter().map(|s| s.0).max().unwrap_or(1).max(1) as u64;
    let v_max = sampling.iter().map(|s| s.1).max().unwrap_or(1).max(1) as u64;
    let blocks = |len: u64, f: u64, max: u64| (len * f).div_ceil(max).div_ceil(8);
    sampling.iter().map(|&(h, v)| blocks(width as u64, h as u64, h_max) * blocks(height as u64, v as u64, v_max) * 64).sum()
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

#[cfg(test)]
mod tests {
    use super::*;

    fn jpeg(w: u16, h: u16, sampling: jpeg_encoder::SamplingFactor, progressive: bool) -> Vec<u8> {
        let mut out = Vec::new();
        let mut enc = jpeg_encoder::Encoder::new(&mut out, 80);
        enc.set_sampling_factor(sampling);
        enc.set_progressive(progressive);
        enc.encode(&vec![128u8; w as usize * h as usize * 3], w, h, jpeg_encoder::ColorType::Rgb).unwrap();
        out
    }

    #[test]
    fn progressive_coefficient_storage_follows_the_chroma_sampling() {
        let p420 = probe(&jpeg(160, 80, jpeg_encoder::SamplingFactor::R_4_2_0, true)).unwrap();
        // Y: 20×10 blocks, Cb and Cr: 10×5 blocks each, 128 bytes a block.
        assert_eq!(p420.held_bytes, (200 + 50 + 50) * 128);
        let p444 = probe(&jpeg(160, 80, jpeg_encoder::SamplingFactor::R_4_4_4, true)).unwrap();
        assert_eq!(p444.held_bytes, 3 * 200 * 128);
        let baseline = probe(&jpeg(160, 80, jpeg_encoder::SamplingFactor::R_4_2_0, false)).unwrap();
        assert_eq!((baseline.held_bytes, baseline.plane_bytes), (0, (200 + 50 + 50) * 64));
    }

    #[test]
    fn sniffs_by_signature_not_extension() {
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0]).unwrap(), Format::Jpeg);
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n....").unwrap(), Format::Png);
        assert_eq!(sniff(b"RIFF\0\0\0\0WEBPVP8 ").unwrap(), Format::Webp);
        assert_eq!(sniff(b"GIF89a....").unwrap(), Format::Gif);
        assert_eq!(sniff(b"\0\0\0\x10ftypavif\0\0\0\0").unwrap(), Format::Avif);
        assert_eq!(sniff(b"\0\0\0\x14ftypmif1\0\0\0\0avif").unwrap(), Format::Avif);
        assert_eq!(sniff(b"\0\0\0\x14ftypmif1\0\0\0\0heic").unwrap(), Format::Heic);
        assert_eq!(sniff(b"\0\0\0\x10ftypisom\0\0\0\0").unwrap_err().status(), 415);
        assert_eq!(sniff(b"\0\0\0\x18ftypheic\0\0").unwrap_err().status(), 415);
        assert_eq!(sniff(b"II*\0\x08\0\0\0").unwrap_err().status(), 415);
        assert_eq!(sniff(b"\xef\xbb\xbf<?xml version='1.0'?>\n<svg/>").unwrap(), Format::Svg);
        assert_eq!(sniff(b"<?xml version='1.0'?><html/>").unwrap_err().status(), 422);
        assert_eq!(sniff(b"hello world").unwrap_err().status(), 422);
        assert_eq!(sniff(b"").unwrap_err().status(), 422);
    }
}
