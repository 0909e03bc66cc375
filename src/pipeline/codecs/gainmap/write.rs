//! An Ultra HDR JPEG: a base image, then its gain map, tied together as Android's Ultra HDR 1.1
//! format and ISO 21496-1 both ask, so Chrome, Safari and Android find the map whichever form
//! they read.

use super::{iso, mpf, xmp, GainMap};
use crate::pipeline::codecs::segments;

/// `base` (an encoded JPEG) with `map` (the map, encoded with no metadata) behind it, described
/// by `original`'s metadata: the map image's own segments byte for byte, plus the form it lacked
/// (`hdrgm` XMP or ISO 21496-1) written from its values; the primary gets an `hdrgm` XMP with the
/// container directory, the ISO 21496-1 version segment (the original's when it had one) and the
/// MPF index that says where the map starts.
pub fn write(base: &[u8], map: &[u8], original: &GainMap) -> Vec<u8> {
    let kept = &original.kept;
    let is_xmp = |(m, p): &&(u8, Vec<u8>)| *m == 0xE1 && p.starts_with(xmp::SIGNATURE);
    let is_iso = |(m, p): &&(u8, Vec<u8>)| *m == 0xE2 && p.starts_with(iso::SIGNATURE);
    let xmp_payload = kept.iter().find(is_xmp).map(|(_, p)| p.clone()).unwrap_or_else(|| xmp::for_gain_map(&original.values));
    let iso_payload = kept.iter().find(is_iso).map(|(_, p)| p.clone()).unwrap_or_else(|| iso::for_gain_map(&original.values));
    let mut described: Vec<(u8, &[u8])> = vec![(0xE1, &xmp_payload), (0xE2, &iso_payload)];
    // Anything else the map described itself with (its ICC profile), after those.
    described.extend(kept.iter().filter(|s| !is_xmp(s) && !is_iso(s)).map(|(m, p)| (*m, p.as_slice())));
    let map = segments::inserted(map, &described);

    let primary_xmp = xmp::for_primary(map.len());
    let primary_iso = original.primary_iso.clone().unwrap_or_else(iso::versions);
    // The MPF index comes last of the three, and its length does not depend on the offsets in it.
    let index_at = segments::insertion_point(base) + segments::size(&primary_xmp) + segments::size(&primary_iso) + 4;
    let index_len = mpf::payload(0, 0, &[0]).len();
    let primary = base.len() + segments::size(&primary_xmp) + segments::size(&primary_iso) + 4 + index_len;
    let index = mpf::payload(index_at, primary as u32, &[map.len() as u32]);
    let mut out = segments::inserted(base, &[(0xE1, &primary_xmp), (0xE2, &primary_iso), (0xE2, &index)]);
    debug_assert_eq!(out.len(), primary);
    out.extend_from_slice(&map);
    out
}
