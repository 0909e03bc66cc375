//! Steps 1 and 4 for any source: a raster image is read by [`probe`] and [`decode`], an AVIF or
//! HEIC by [`heif`], an SVG by [`vector`] (which uses [`probe`] and [`decode`] for the raster
//! images inside it). Every step that reads an
//! original or an overlay comes through here, so SVG is an input everywhere a raster is.
//!
//! [`probe`]: super::probe
//! [`decode`]: super::decode
//! [`vector`]: super::vector
//! [`heif`]: super::heif

use super::decode::{self, Decoded};
use super::probe::{self, Probe};
use super::{heif, vector};
use crate::error::Result;
use crate::transform::Format;

/// Format, size and orientation from the header only (an SVG is parsed, not drawn).
pub fn probe(bytes: &[u8]) -> Result<Probe> {
    match probe::sniff(bytes)? {
        Format::Svg => vector::probe(bytes),
        Format::Avif | Format::Heic => heif::probe(bytes),
        _ => probe::probe(bytes),
    }
}

/// The pixels: a raster decoded (JPEG shrunk to no less than `at_least`), an SVG drawn at
/// exactly `at_least`.
pub fn decode(bytes: &[u8], probe: &Probe, at_least: (u32, u32), max_alloc: u64) -> Result<Decoded> {
    match probe.format {
        Format::Svg => Ok(Decoded { image: vector::render(bytes, at_least)?, icc: None, exif: None }),
        Format::Avif | Format::Heic => heif::decode(bytes, probe),
        _ => decode::decode(bytes, probe, at_least, max_alloc),
    }
}
