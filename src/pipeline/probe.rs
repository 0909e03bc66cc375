//! Reads what the pipeline needs to know from the file's header only, before any pixel buffer
//! exists: the format (from magic bytes, never from the key's extension), the stored size, the
//! EXIF orientation and how the JPEG is coded. Admission control is decided from this.

use crate::error::{Error, Result};
use crate::transform::Format;
use image::metadata::Orientation;
use image::{ImageDecoder, ImageReader};
use std::io::Cursor;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Probe {
    pub format: Format,
    /// Size as stored, before orientation is applied.
    pub width: u32,
    pub height: u32,
    pub orientation: Orientation,
    /// Bytes per pixel the decoder produces (16-bit samples count twice); drives memory estimates.
    pub decoded_bpp: u8,
    /// Channels after reduction to 8 bits (1 grey, 2 grey+alpha, 3 RGB, 4 RGBA; CMYK becomes RGB).
    pub channels: u8,
    /// Progressive JPEGs buffer every DCT coefficient while decoding.
    pub progressive: bool,
}

impl Probe {
    /// Size as displayed, after orientation.
    pub fn oriented_size(&self) -> (u32, u32) {
        if swaps_axes(self.orientation) {
            (self.height, self.width)
        } else {
            (self.width, self.height)
        }
    }
}

pub fn swaps_axes(o: Orientation) -> bool {
    matches!(o, Orientation::Rotate90 | Orientation::Rotate270 | Orientation::Rotate90FlipH | Orientation::Rotate270FlipH)
}

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
        let brand = String::from_utf8_lossy(&bytes[8..12]).into_owned();
        let name = if brand.starts_with("avi") { "AVIF" } else { "HEIF/HEIC" };
        return Err(Error::Unsupported(format!("{name} input is not supported")));
    }
    if starts(b"II*\0") || starts(b"MM\0*") {
        return Err(Error::Unsupported("TIFF input is not supported".into()));
    }
    if starts(b"<svg") || starts(b"<?xml") {
        return Err(Error::Unsupported("SVG input is not supported".into()));
    }
    Err(Error::Undecodable("not a JPEG, PNG, WebP, GIF or BMP file".into()))
}

pub fn probe(bytes: &[u8]) -> Result<Probe> {
    match sniff(bytes)? {
        Format::Jpeg => probe_jpeg(bytes),
        other => probe_with_image(bytes, other),
    }
}

fn probe_jpeg(bytes: &[u8]) -> Result<Probe> {
    let mut decoder = jpeg_decoder::Decoder::new(bytes);
    decoder.read_info().map_err(|e| Error::Undecodable(format!("JPEG header: {e}")))?;
    let info = decoder.info().ok_or_else(|| Error::Undecodable("JPEG header has no frame".into()))?;
    let orientation = decoder.exif_data().and_then(Orientation::from_exif_chunk).unwrap_or(Orientation::NoTransforms);
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
        progressive: info.coding_process == jpeg_decoder::CodingProcess::DctProgressive,
    })
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
    Ok(Probe { format, width, height, orientation, decoded_bpp, channels, progressive: false })
}

pub fn image_format(f: Format) -> image::ImageFormat {
    match f {
        Format::Jpeg => image::ImageFormat::Jpeg,
        Format::Png => image::ImageFormat::Png,
        Format::Webp => image::ImageFormat::WebP,
        Format::Gif => image::ImageFormat::Gif,
        Format::Bmp => image::ImageFormat::Bmp,
        Format::Avif => image::ImageFormat::Avif,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_by_signature_not_extension() {
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0]).unwrap(), Format::Jpeg);
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n....").unwrap(), Format::Png);
        assert_eq!(sniff(b"RIFF\0\0\0\0WEBPVP8 ").unwrap(), Format::Webp);
        assert_eq!(sniff(b"GIF89a....").unwrap(), Format::Gif);
        assert_eq!(sniff(b"\0\0\0\x1cftypavif\0\0").unwrap_err().status(), 415);
        assert_eq!(sniff(b"\0\0\0\x18ftypheic\0\0").unwrap_err().status(), 415);
        assert_eq!(sniff(b"II*\0\x08\0\0\0").unwrap_err().status(), 415);
        assert_eq!(sniff(b"hello world").unwrap_err().status(), 422);
        assert_eq!(sniff(b"").unwrap_err().status(), 422);
    }
}
