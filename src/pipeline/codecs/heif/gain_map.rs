//! An AVIF's or HEIC's gain map (ISO 21496-1 in HEIF): a `tmap` derived item whose `dimg`
//! references are the base (the primary image) and the map (a hidden image item, coded as the
//! base is), its payload a version byte and ISO 21496-1's record. Read as libavif does: only
//! with the `tmap` brand, version 0, and a record that parses.

use super::container::Heif;
use crate::pipeline::codecs::gainmap::{iso, Values};

/// Files name one `tmap`; a crafted one may name thousands, each costing a look through the
/// references.
const MAX_TMAPS: usize = 8;
const MAX_RECORD: u64 = 1024;

/// The map's item and its values, from the headers alone; `None` for a file without a gain map,
/// one this reader is told to ignore, or one whose base is the HDR rendition (its transfer curve
/// is not tone-mapped here, so the map would point the wrong way).
pub fn find(bytes: &[u8]) -> Option<(u32, Values)> {
    let heif = Heif::parse(bytes).ok()?;
    if !heif.brands.contains(b"tmap") {
        return None;
    }
    // A record is 62 or 142 bytes: anything much longer is not one (and is never joined).
    heif.items_of_kind(b"tmap").into_iter().take(MAX_TMAPS).find_map(|tmap| {
        let [base, map] = heif.references(b"dimg", tmap)[..] else { return None };
        (heif.data_len(tmap)? <= MAX_RECORD).then_some(())?;
        let payload = heif.data(tmap).ok()?;
        let (&version, record) = payload.split_first()?;
        let values = iso::record(record).filter(|v| !v.base_is_hdr)?;
        (base == heif.primary && version == 0 && heif.size(map).is_some()).then_some((map, values))
    })
}
