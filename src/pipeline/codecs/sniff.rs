//! Which codec reads a file: from its magic bytes, never from the key's extension.

use crate::error::{Error, Result};
use crate::transform::Format;

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
        return super::heif::container::format_of(bytes)
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

#[cfg(test)]
mod tests {
    use super::*;

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
