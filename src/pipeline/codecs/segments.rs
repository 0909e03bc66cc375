//! A JPEG's header segments (SOI up to the first SOS): what a gain map's metadata lives in, read
//! and inserted without touching the coded picture.

/// One marker segment of a JPEG's header: its marker and payload (after the length field).
pub struct Segment<'a> {
    pub marker: u8,
    pub payload: &'a [u8],
}

/// The header segments of the JPEG at the start of `bytes`, up to its first SOS; the walk stops at
/// anything malformed (a file cut short reads as the segments before the cut).
pub fn header(bytes: &[u8]) -> Vec<Segment<'_>> {
    let mut out = Vec::new();
    if !bytes.starts_with(&[0xFF, 0xD8]) {
        return out;
    }
    let mut i = 2;
    while let (Some(&0xFF), Some(&marker)) = (bytes.get(i), bytes.get(i + 1)) {
        if marker == 0xFF {
            i += 1; // fill byte
            continue;
        }
        if marker == 0xDA || !(0xC0..=0xFE).contains(&marker) {
            break;
        }
        let Some(len) = bytes.get(i + 2..i + 4).map(|l| u16::from_be_bytes([l[0], l[1]]) as usize) else { break };
        let Some(payload) = bytes.get(i + 4..(i + 2 + len).max(i + 4)) else { break };
        if len < 2 {
            break;
        }
        out.push(Segment { marker, payload });
        i += 2 + len;
    }
    out
}

/// The payload of the first APPn segment (`0xE0 + n`) whose payload starts with `signature`.
pub fn app<'a>(segments: &[Segment<'a>], n: u8, signature: &[u8]) -> Option<&'a [u8]> {
    segments.iter().find(|s| s.marker == 0xE0 + n && s.payload.starts_with(signature)).map(|s| s.payload)
}

/// `jpeg` with `segments` (marker, payload) written after its leading APP0/APP1 segments (JFIF and
/// EXIF stay first, where their readers look), before its tables.
pub fn inserted(jpeg: &[u8], segments: &[(u8, &[u8])]) -> Vec<u8> {
    let at = insertion_point(jpeg);
    let extra: usize = segments.iter().map(|(_, p)| 4 + p.len()).sum();
    let mut out = Vec::with_capacity(jpeg.len() + extra);
    out.extend_from_slice(&jpeg[..at]);
    for (marker, payload) in segments {
        out.extend_from_slice(&[0xFF, *marker]);
        out.extend_from_slice(&((payload.len() + 2) as u16).to_be_bytes());
        out.extend_from_slice(payload);
    }
    out.extend_from_slice(&jpeg[at..]);
    out
}

/// Where [`inserted`] writes: after SOI and the APP0/APP1 segments that follow it.
pub fn insertion_point(jpeg: &[u8]) -> usize {
    2 + header(jpeg).iter().take_while(|s| s.marker == 0xE0 || s.marker == 0xE1).map(|s| size(s.payload)).sum::<usize>()
}

/// The bytes a segment takes in a file: marker, length and payload.
pub fn size(payload: &[u8]) -> usize {
    4 + payload.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jpeg_with(segments: &[(u8, &[u8])]) -> Vec<u8> {
        let mut j = vec![0xFF, 0xD8];
        for (m, p) in segments {
            j.extend_from_slice(&[0xFF, *m]);
            j.extend_from_slice(&((p.len() + 2) as u16).to_be_bytes());
            j.extend_from_slice(p);
        }
        j.extend_from_slice(&[0xFF, 0xDA, 0, 2, 1, 2, 3, 0xFF, 0xD9]);
        j
    }

    #[test]
    fn segments_are_read_up_to_the_scan_and_inserted_after_jfif_and_exif() {
        let j = jpeg_with(&[(0xE0, b"JFIF\0x"), (0xE1, b"Exif\0\0y"), (0xDB, b"table")]);
        let read: Vec<_> = header(&j).iter().map(|s| (s.marker, s.payload.to_vec())).collect();
        assert_eq!(read, vec![(0xE0, b"JFIF\0x".to_vec()), (0xE1, b"Exif\0\0y".to_vec()), (0xDB, b"table".to_vec())]);
        let with = inserted(&j, &[(0xE2, b"MPF\0z")]);
        let markers: Vec<u8> = header(&with).iter().map(|s| s.marker).collect();
        assert_eq!(markers, vec![0xE0, 0xE1, 0xE2, 0xDB]);
        assert_eq!(app(&header(&with), 2, b"MPF\0"), Some(b"MPF\0z".as_slice()));
        assert_eq!(with.len(), j.len() + size(b"MPF\0z"));
        assert!(with.ends_with(&[0xFF, 0xDA, 0, 2, 1, 2, 3, 0xFF, 0xD9]));
    }

    #[test]
    fn a_file_cut_inside_a_segment_or_with_a_bad_length_ends_the_walk() {
        let j = jpeg_with(&[(0xE1, b"first"), (0xE2, b"second segment")]);
        assert_eq!(header(&j[..12]).len(), 1);
        let mut bad = j.clone();
        bad[4..6].copy_from_slice(&[0, 1]); // a length below 2
        assert!(header(&bad).is_empty());
        assert!(header(b"not a jpeg").is_empty());
    }
}
