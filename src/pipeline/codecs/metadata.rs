//! `metadata`: the EXIF a JPEG output carries. `copyright` (Cloudflare's default) keeps only the
//! copyright and artist tags, which EU and US image-rights practice relies on; `keep` keeps it
//! all with the orientation tag set to 1, because the pixels are already turned upright (a
//! viewer must not turn them again); `none` writes nothing. The colour profile is never needed:
//! every output is converted to sRGB.
//!
//! EXIF is a small TIFF structure; reading IFD0's entries and writing a two-entry IFD are a few
//! lines each, so no EXIF crate is linked into the worker for it.

use crate::transform::Metadata;

const ORIENTATION: u16 = 0x0112;
const ARTIST: u16 = 0x013B;
const COPYRIGHT: u16 = 0x8298;
const ASCII: u16 = 2;
const SHORT: u16 = 3;

/// The APP1 payload (`Exif\0\0` + TIFF) to write for `metadata`, from the source's EXIF (the
/// TIFF structure, as `jpeg-decoder` returns it). `None` when there is nothing to keep.
pub fn app1(exif: Option<&[u8]>, metadata: Metadata) -> Option<Vec<u8>> {
    // Some containers (WebP's EXIF chunk) keep the JPEG prefix.
    let exif = exif.map(|e| e.strip_prefix(b"Exif\0\0".as_slice()).unwrap_or(e));
    let tiff = match metadata {
        Metadata::None => return None,
        Metadata::Copyright => copyright_only(exif?)?,
        Metadata::Keep => upright(exif?)?,
    };
    // One APP segment holds at most 65,533 bytes; a larger EXIF (a big embedded thumbnail) is dropped.
    (tiff.len() + 6 <= 65_533).then(|| [b"Exif\0\0".as_slice(), &tiff].concat())
}

/// Byte order of a TIFF structure.
#[derive(Clone, Copy)]
struct Order(bool);

impl Order {
    fn u16(self, b: &[u8], at: usize) -> Option<u16> {
        let s: [u8; 2] = b.get(at..at + 2)?.try_into().ok()?;
        Some(if self.0 { u16::from_le_bytes(s) } else { u16::from_be_bytes(s) })
    }

    fn u32(self, b: &[u8], at: usize) -> Option<u32> {
        let s: [u8; 4] = b.get(at..at + 4)?.try_into().ok()?;
        Some(if self.0 { u32::from_le_bytes(s) } else { u32::from_be_bytes(s) })
    }
}

/// One IFD entry: (tag, type, count, offset of the entry in the TIFF structure).
type Entry = (u16, u16, u32, usize);

/// IFD0's entries.
fn ifd0(tiff: &[u8]) -> Option<(Order, Vec<Entry>)> {
    let order = match tiff.get(..4)? {
        b"II*\0" => Order(true),
        b"MM\0*" => Order(false),
        _ => return None,
    };
    let start = order.u32(tiff, 4)? as usize;
    let count = order.u16(tiff, start)? as usize;
    // Only whole 12-byte entries: a block cut short inside one ends the list (the value field at
    // `at + 8` is written by `upright`). Offsets are untrusted: checked, never wrapped.
    let entries = (0..count.min(512))
        .map_while(|i| start.checked_add(2 + i * 12))
        .map_while(|at| {
            tiff.get(at..at.checked_add(12)?)?;
            Some((order.u16(tiff, at)?, order.u16(tiff, at + 2)?, order.u32(tiff, at + 4)?, at))
        })
        .collect();
    Some((order, entries))
}

/// A copy with the orientation tag (if any) set to 1.
fn upright(tiff: &[u8]) -> Option<Vec<u8>> {
    let (order, entries) = ifd0(tiff)?;
    let mut out = tiff.to_vec();
    if let Some(&(_, SHORT, 1, at)) = entries.iter().find(|e| e.0 == ORIENTATION) {
        let one = if order.0 { [1, 0] } else { [0, 1] };
        out.get_mut(at + 8..at + 10)?.copy_from_slice(&one);
    }
    Some(out)
}

/// A new little-endian TIFF holding only IFD0's artist and copyright strings.
fn copyright_only(tiff: &[u8]) -> Option<Vec<u8>> {
    let (order, entries) = ifd0(tiff)?;
    let mut kept: Vec<(u16, Vec<u8>)> = Vec::new();
    for &(tag, kind, count, at) in &entries {
        if !(tag == ARTIST || tag == COPYRIGHT) || kind != ASCII || count == 0 || count > 4096 {
            continue;
        }
        let len = count as usize;
        let value = if len <= 4 { tiff.get(at + 8..at + 8 + len)? } else { tiff.get(order.u32(tiff, at + 8)? as usize..)?.get(..len)? };
        kept.push((tag, value.to_vec()));
    }
    if kept.is_empty() {
        return None;
    }
    // Header (8), entry count (2), entries (12 each), next-IFD offset (4), then the strings.
    let mut data_at = 8 + 2 + 12 * kept.len() + 4;
    let mut out = b"II*\0\x08\0\0\0".to_vec();
    out.extend((kept.len() as u16).to_le_bytes());
    let mut data: Vec<u8> = Vec::new();
    for (tag, value) in &kept {
        out.extend(tag.to_le_bytes());
        out.extend(ASCII.to_le_bytes());
        out.extend((value.len() as u32).to_le_bytes());
        if value.len() <= 4 {
            let mut inline = value.clone();
            inline.resize(4, 0);
            out.extend(inline);
        } else {
            out.extend((data_at as u32).to_le_bytes());
            data.extend(value);
            data_at += value.len();
        }
    }
    out.extend(0u32.to_le_bytes());
    out.extend(data);
    Some(out)
}

/// Reads IFD0's ASCII tag `tag` (this module's tests).
#[cfg(test)]
fn ascii_tag(tiff: &[u8], tag: u16) -> Option<String> {
    let (order, entries) = ifd0(tiff)?;
    let &(_, _, count, at) = entries.iter().find(|e| e.0 == tag && e.1 == ASCII)?;
    let len = count as usize;
    let raw = if len <= 4 { tiff.get(at + 8..at + 8 + len)? } else { tiff.get(order.u32(tiff, at + 8)? as usize..)?.get(..len)? };
    Some(String::from_utf8_lossy(raw).trim_end_matches('\0').to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A big-endian TIFF with orientation 6, a GPS-like private tag, an artist and a copyright.
    pub fn sample() -> Vec<u8> {
        let mut t = b"MM\0*\0\0\0\x08".to_vec();
        let strings_at = 8 + 2 + 4 * 12 + 4;
        t.extend(4u16.to_be_bytes());
        let mut entry = |tag: u16, kind: u16, count: u32, value: [u8; 4]| {
            t.extend(tag.to_be_bytes());
            t.extend(kind.to_be_bytes());
            t.extend(count.to_be_bytes());
            t.extend(value);
        };
        entry(ORIENTATION, SHORT, 1, [0, 6, 0, 0]);
        entry(ARTIST, ASCII, 4, *b"Ann\0");
        entry(COPYRIGHT, ASCII, 12, (strings_at as u32).to_be_bytes());
        entry(0x8825, 4, 1, [0, 0, 0, 0]);
        t.extend(0u32.to_be_bytes());
        t.extend(b"(c) Ann 26\0\0");
        t
    }

    #[test]
    fn copyright_keeps_only_artist_and_copyright() {
        let out = app1(Some(&sample()), Metadata::Copyright).unwrap();
        let tiff = &out[6..];
        assert_eq!(ascii_tag(tiff, COPYRIGHT).as_deref(), Some("(c) Ann 26"));
        assert_eq!(ascii_tag(tiff, ARTIST).as_deref(), Some("Ann"));
        let (_, entries) = ifd0(tiff).unwrap();
        assert_eq!(entries.len(), 2, "orientation and the GPS pointer are gone");
    }

    #[test]
    fn keep_sets_orientation_to_one_and_none_writes_nothing() {
        let out = app1(Some(&sample()), Metadata::Keep).unwrap();
        let (order, entries) = ifd0(&out[6..]).unwrap();
        let at = entries.iter().find(|e| e.0 == ORIENTATION).unwrap().3;
        assert_eq!(order.u16(&out[6..], at + 8), Some(1));
        assert_eq!(entries.len(), 4);
        assert_eq!(app1(Some(&sample()), Metadata::None), None);
        assert_eq!(app1(None, Metadata::Copyright), None);
        assert_eq!(app1(Some(b"garbage"), Metadata::Keep), None);
    }

    /// Every truncation of a real EXIF block, and offsets near the top of the address space, in
    /// every mode: never a panic (an uploaded photo's EXIF is the attacker's).
    #[test]
    fn cut_and_crafted_exif_never_panics() {
        let whole = sample();
        for len in 0..whole.len() {
            for mode in [Metadata::Keep, Metadata::Copyright, Metadata::None] {
                let _ = app1(Some(&whole[..len]), mode);
            }
        }
        // The review's case: one orientation entry cut right after its count field.
        let cut = [0x49, 0x49, 0x2A, 0x00, 0x08, 0x00, 0x00, 0x00, 0x01, 0x00, 0x12, 0x01, 0x03, 0x00, 0x01, 0x00, 0x00, 0x00];
        let _ = app1(Some(&cut), Metadata::Keep);
        let far = [0x49, 0x49, 0x2A, 0x00, 0xFF, 0xFF, 0xFF, 0xFF];
        assert_eq!(app1(Some(&far), Metadata::Keep), None);
    }
}
