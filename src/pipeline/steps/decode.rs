//! Step 4: the stored pixels, decoded by the codec for the format (a JPEG shrunk in the DCT
//! domain to no less than the output needs).

use crate::error::Result;
use crate::pipeline::codecs::port::Codecs;
use crate::pipeline::codecs::{heif, raster, vector};
use crate::pipeline::types::{Decoded, Probe};
use crate::transform::Format;

/// The pixels of any source: a raster decoded (JPEG shrunk to no less than `at_least`), an SVG
/// drawn at exactly `at_least`, an AVIF or HEIC through the host's picture decoder.
pub fn decode(bytes: &[u8], probe: &Probe, at_least: (u32, u32), max_alloc: u64, codecs: &Codecs<'_>) -> Result<Decoded> {
    match probe.format {
        Format::Svg => Ok(Decoded { image: vector::render(bytes, at_least)?, icc: None, exif: None }),
        Format::Avif | Format::Heic => heif::decode(bytes, probe, codecs),
        _ => raster::decode(bytes, probe, at_least, max_alloc),
    }
}
