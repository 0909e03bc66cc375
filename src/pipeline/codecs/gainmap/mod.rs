//! HDR gain maps in JPEG: a second, smaller JPEG after the photo that says, pixel by pixel, how
//! much brighter an HDR screen may show it (Android's Ultra HDR; ISO 21496-1 as Adobe and Apple
//! write it). [`read`] finds the map and its metadata, kept byte for byte; [`write`] puts a map
//! made at a new size back behind a new base, with both metadata forms browsers read. A JPEG's
//! header segments are read and inserted by `codecs::segments`.
//!
//! | file          | holds                                                              |
//! |---------------|--------------------------------------------------------------------|
//! | `mpf.rs`      | the Multi-Picture Format index: where the map starts               |
//! | `xmp.rs`      | Adobe's `hdrgm` XMP (Ultra HDR)                                    |
//! | `iso.rs`      | ISO 21496-1's binary metadata                                      |

pub mod iso;
mod mpf;
use super::segments;
mod write;
mod xmp;

pub use write::write;

/// A gain map's values, in the units both metadata forms use: boosts and HDR capacities as
/// log2, offsets and gamma as plain numbers; per channel (all three alike for a grey map).
#[derive(Debug, Clone, PartialEq)]
pub struct Values {
    pub min: [f64; 3],
    pub max: [f64; 3],
    pub gamma: [f64; 3],
    pub offset_sdr: [f64; 3],
    pub offset_hdr: [f64; 3],
    pub capacity_min: f64,
    pub capacity_max: f64,
    pub base_is_hdr: bool,
    /// 1 for a grey map, 3 for one map per colour channel.
    pub channels: u8,
    /// ISO 21496-1: the map applies in the base image's colour space (`hdrgm` always does).
    pub use_base_colour_space: bool,
}

impl Values {
    /// A grey map's values as Ultra HDR writes them by default: log2 boosts from `min` to `max`,
    /// gamma 1, offsets of 1/64, an HDR capacity from 0 to `max`, an SDR base.
    pub const fn grey(min: f64, max: f64) -> Values {
        Values {
            min: [min; 3],
            max: [max; 3],
            gamma: [1.0; 3],
            offset_sdr: [1.0 / 64.0; 3],
            offset_hdr: [1.0 / 64.0; 3],
            capacity_min: 0.0,
            capacity_max: max,
            base_is_hdr: false,
            channels: 1,
            use_base_colour_space: true,
        }
    }

    /// The map's 8-bit value that leaves a pixel as it is (a boost of 1, log2 0): what a map
    /// gets where the output has pixels the original had not (`fit=pad`, `border`, overlays).
    pub fn neutral(&self) -> u8 {
        let (min, max, gamma) = (self.min[0], self.max[0], self.gamma[0]);
        let at = if max > min { ((0.0 - min) / (max - min)).clamp(0.0, 1.0) } else { 0.0 };
        (at.powf(gamma) * 255.0).round() as u8
    }
}

/// A gain map as the original carries it.
#[derive(Debug, Clone)]
pub struct GainMap {
    /// The map image (a JPEG), as stored.
    pub image: Vec<u8>,
    pub values: Values,
    /// The map image's segments that describe it (its `hdrgm` XMP, its ISO 21496-1 APP2, its
    /// ICC profile), marker and payload, byte for byte.
    pub kept: Vec<(u8, Vec<u8>)>,
    /// The primary image's ISO 21496-1 APP2 payload (the versions), byte for byte.
    pub primary_iso: Option<Vec<u8>>,
}

impl GainMap {
    /// A map known by its values alone (no image, no segments of its own to keep): how the
    /// writer describes a map whose original metadata is not a JPEG's.
    pub fn from_values(values: Values) -> GainMap {
        GainMap { image: Vec::new(), values, kept: Vec::new(), primary_iso: None }
    }
}

/// Whether a JPEG's header says it has a gain map (an `hdrgm` version in its XMP, or an ISO
/// 21496-1 segment): read from the header alone.
pub fn declared(jpeg: &[u8]) -> bool {
    let head = segments::header(jpeg);
    segments::app(&head, 2, iso::SIGNATURE).is_some() || segments::app(&head, 1, xmp::SIGNATURE).is_some_and(xmp::declares_gain_map)
}

/// The gain map of a JPEG, when its header declares one and the map image is where the MPF index
/// (or, without one, the XMP container directory) says, with metadata either form gives. `None`
/// for any other JPEG, a camera's MPO included, and for a map that cannot be found or read.
pub fn read(jpeg: &[u8]) -> Option<GainMap> {
    let head = segments::header(jpeg);
    let primary_iso = segments::app(&head, 2, iso::SIGNATURE);
    let primary_xmp = segments::app(&head, 1, xmp::SIGNATURE).filter(|x| xmp::declares_gain_map(x));
    if primary_iso.is_none() && primary_xmp.is_none() {
        return None;
    }
    candidates(jpeg, &head, primary_xmp).into_iter().find_map(|image| {
        let map_head = segments::header(image);
        let map_iso = segments::app(&map_head, 2, iso::SIGNATURE);
        let map_xmp = segments::app(&map_head, 1, xmp::SIGNATURE);
        // ISO's fractions are exact; XMP's decimals are what Ultra HDR files carry alone.
        let values = map_iso.and_then(iso::values).or_else(|| map_xmp.and_then(xmp::values))?;
        let describes = |s: &&segments::Segment| {
            (s.marker == 0xE1 && s.payload.starts_with(xmp::SIGNATURE) && xmp::declares_gain_map(s.payload))
                || (s.marker == 0xE2 && (s.payload.starts_with(iso::SIGNATURE) || s.payload.starts_with(b"ICC_PROFILE\0")))
        };
        let kept = map_head.iter().filter(describes).map(|s| (s.marker, s.payload.to_vec())).collect();
        Some(GainMap { image: image.to_vec(), values, kept, primary_iso: primary_iso.map(<[u8]>::to_vec) })
    })
}

/// The images after the primary that may be its gain map: those the MPF index lists (offsets from
/// its header), else the container directory's last item, at the end of the file.
fn candidates<'a>(jpeg: &'a [u8], head: &[segments::Segment<'a>], primary_xmp: Option<&[u8]>) -> Vec<&'a [u8]> {
    let starts_as_jpeg = |b: &&[u8]| b.starts_with(&[0xFF, 0xD8, 0xFF]);
    if let Some(index) = segments::app(head, 2, mpf::SIGNATURE) {
        // Where the index's own header is in the file: the payload is a slice of `jpeg`.
        let header_at = index.as_ptr() as usize - jpeg.as_ptr() as usize + mpf::SIGNATURE.len();
        let listed: Vec<&[u8]> = mpf::entries(&index[mpf::SIGNATURE.len()..])
            .into_iter()
            .skip(1)
            .filter_map(|e| {
                let start = header_at.checked_add(e.offset as usize)?;
                jpeg.get(start..start.checked_add(e.size as usize)?)
            })
            .filter(starts_as_jpeg)
            .collect();
        if !listed.is_empty() {
            return listed;
        }
    }
    let length = primary_xmp.and_then(xmp::map_length);
    length.and_then(|l| jpeg.len().checked_sub(l).map(|start| &jpeg[start..])).filter(starts_as_jpeg).into_iter().collect()
}

#[cfg(test)]
mod tests;
