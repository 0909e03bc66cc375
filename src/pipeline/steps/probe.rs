//! Step 1: what the pipeline needs to know from the file's header only, before any pixel buffer
//! exists: the format, the stored size, the EXIF orientation and how it is coded. Admission is
//! decided from this. Every step that reads an original or an overlay comes through here, so
//! SVG and HEIF are inputs everywhere a raster is.

use crate::error::Result;
use crate::pipeline::codecs::{heif, raster, sniff, vector};
use crate::pipeline::types::Probe;
use crate::transform::Format;

/// An SVG is parsed (not drawn) by `codecs::vector`, an AVIF or HEIC read from its container by
/// `codecs::heif`, anything else by `codecs::raster`.
pub fn probe(bytes: &[u8]) -> Result<Probe> {
    match sniff(bytes)? {
        Format::Svg => vector::probe(bytes),
        Format::Avif | Format::Heic => heif::probe(bytes),
        _ => raster::probe(bytes),
    }
}
