//! The Multi-Picture Format index (CIPA DC-007) in the primary image's APP2: where each image of
//! the file starts and how long it is. Offsets count from the MPF structure's own TIFF header (the
//! byte after `MPF\0`); the first image's offset is 0.

/// The APP2 signature.
pub const SIGNATURE: &[u8] = b"MPF\0";

const VERSION: u16 = 0xB000;
const NUMBER_OF_IMAGES: u16 = 0xB001;
const ENTRIES: u16 = 0xB002;
const LONG: u16 = 4;
const UNDEFINED: u16 = 7;
/// An MP entry's attribute for the primary image: baseline MP primary, JPEG.
const PRIMARY: u32 = 0x0003_0000;

/// One image the index lists: its offset from the MPF header, and its length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    pub offset: u32,
    pub size: u32,
}

/// The images an MPF payload (after `MPF\0`) lists, in order; empty when it is malformed.
pub fn entries(tiff: &[u8]) -> Vec<Entry> {
    let le = match tiff.get(..4) {
        Some(b"II*\0") => true,
        Some(b"MM\0*") => false,
        _ => return Vec::new(),
    };
    // Offsets are untrusted: checked, never wrapped (usize is 32 bits in wasm).
    let at = |at: usize, n: usize| tiff.get(at..at.checked_add(n)?);
    let u16_at = |i: usize| at(i, 2).map(|b| if le { u16::from_le_bytes([b[0], b[1]]) } else { u16::from_be_bytes([b[0], b[1]]) });
    let u32_at = |i: usize| {
        at(i, 4).map(|b| {
            let b = [b[0], b[1], b[2], b[3]];
            if le {
                u32::from_le_bytes(b)
            } else {
                u32::from_be_bytes(b)
            }
        })
    };
    let read = || -> Option<Vec<Entry>> {
        let ifd = u32_at(4)? as usize;
        let count = u16_at(ifd)? as usize;
        let (mut n, mut list) = (None, None);
        for i in 0..count.min(64) {
            let entry = ifd.checked_add(2 + i * 12)?;
            match u16_at(entry)? {
                NUMBER_OF_IMAGES => n = u32_at(entry.checked_add(8)?),
                ENTRIES => list = Some((u32_at(entry.checked_add(4)?)? as usize, u32_at(entry.checked_add(8)?)? as usize)),
                _ => {}
            }
        }
        let (bytes, offset) = list?;
        let n = (n? as usize).min(bytes / 16).min(16);
        (0..n)
            .map(|i| {
                let e = offset.checked_add(i * 16)?;
                Some(Entry { size: u32_at(e.checked_add(4)?)?, offset: u32_at(e.checked_add(8)?)? })
            })
            .collect()
    };
    read().unwrap_or_default()
}

/// The APP2 payload (with `MPF\0`) listing a primary image of `primary` bytes and, after it, the
/// images of `others` bytes, each in turn. `payload_at` is where this payload will start in the
/// file (after the segment's marker and length), so offsets can be counted from it.
pub fn payload(payload_at: usize, primary: u32, others: &[u32]) -> Vec<u8> {
    let n = 1 + others.len() as u32;
    let mut p = SIGNATURE.to_vec();
    let tiff = p.len();
    p.extend_from_slice(b"MM\0*");
    p.extend_from_slice(&8u32.to_be_bytes());
    let entries_at = 8 + 2 + 3 * 12 + 4; // header, count, three entries, the next IFD's offset
    p.extend_from_slice(&3u16.to_be_bytes());
    let mut entry = |tag: u16, kind: u16, count: u32, value: [u8; 4]| {
        p.extend_from_slice(&tag.to_be_bytes());
        p.extend_from_slice(&kind.to_be_bytes());
        p.extend_from_slice(&count.to_be_bytes());
        p.extend_from_slice(&value);
    };
    entry(VERSION, UNDEFINED, 4, *b"0100");
    entry(NUMBER_OF_IMAGES, LONG, 1, n.to_be_bytes());
    entry(ENTRIES, UNDEFINED, 16 * n, (entries_at as u32).to_be_bytes());
    p.extend_from_slice(&0u32.to_be_bytes());
    // The others follow the primary, which ends `primary` bytes into the file.
    let header_in_file = (payload_at + tiff) as u32;
    let mut next = primary;
    let mut list = vec![(PRIMARY, primary, 0)];
    for &size in others {
        list.push((0, size, next.saturating_sub(header_in_file)));
        next += size;
    }
    for (attribute, size, offset) in list {
        p.extend_from_slice(&attribute.to_be_bytes());
        p.extend_from_slice(&size.to_be_bytes());
        p.extend_from_slice(&offset.to_be_bytes());
        p.extend_from_slice(&[0; 4]); // no dependent images
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_written_index_reads_back_with_offsets_from_its_own_header() {
        let p = payload(100, 5000, &[700, 30]);
        let e = entries(&p[SIGNATURE.len()..]);
        // The header starts at 100 + 4 in the file: the second image at 5000 is 4896 from it.
        assert_eq!(e, vec![Entry { offset: 0, size: 5000 }, Entry { offset: 4896, size: 700 }, Entry { offset: 5596, size: 30 }]);
    }

    #[test]
    fn little_endian_indexes_read_and_garbage_reads_as_nothing() {
        let mut t = b"II*\0".to_vec();
        t.extend_from_slice(&8u32.to_le_bytes());
        t.extend_from_slice(&2u16.to_le_bytes());
        for (tag, kind, count, value) in [(NUMBER_OF_IMAGES, LONG, 1u32, 2u32), (ENTRIES, UNDEFINED, 32, 38)] {
            t.extend_from_slice(&tag.to_le_bytes());
            t.extend_from_slice(&kind.to_le_bytes());
            t.extend_from_slice(&count.to_le_bytes());
            t.extend_from_slice(&value.to_le_bytes());
        }
        t.extend_from_slice(&0u32.to_le_bytes());
        for (size, offset) in [(10u32, 0u32), (20, 99)] {
            t.extend_from_slice(&PRIMARY.to_le_bytes());
            t.extend_from_slice(&size.to_le_bytes());
            t.extend_from_slice(&offset.to_le_bytes());
            t.extend_from_slice(&[0; 4]);
        }
        assert_eq!(entries(&t), vec![Entry { offset: 0, size: 10 }, Entry { offset: 99, size: 20 }]);
        assert!(entries(&t[..30]).is_empty());
        assert!(entries(b"MM\0*\xff\xff\xff\xff").is_empty());
    }
}
