//! The primary item's display properties, which avif-parse does not return: rotation (`irot`),
//! mirroring (`imir`) and colour (`colr`: an ICC profile or H.273 code points). Read from the
//! item property container (`ipco`) through the associations (`ipma`) of the primary item
//! (`pitm`), as HEIF (ISO/IEC 23008-12) lays them out; anything malformed reads as absent, since
//! avif-parse has already checked the file's structure for the pixels.

use super::port::Cicp;
use image::metadata::Orientation;

/// What the primary item's properties say about showing it.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Display {
    /// `irot`: anticlockwise quarter turns.
    pub rotation: u8,
    /// `imir`: 0 exchanges top and bottom, 1 left and right (the current HEIF text, which
    /// libavif, libheif and browsers follow).
    pub mirror: Option<u8>,
    pub icc: Option<Vec<u8>>,
    pub nclx: Option<Cicp>,
}

impl Display {
    /// The EXIF orientation that does the same: HEIF applies the rotation, then the mirror.
    pub fn orientation(&self) -> Orientation {
        let clockwise = (4 - self.rotation % 4) % 4;
        let rotated = [Orientation::NoTransforms, Orientation::Rotate90, Orientation::Rotate180, Orientation::Rotate270];
        let flipped = [Orientation::FlipHorizontal, Orientation::Rotate90FlipH, Orientation::FlipVertical, Orientation::Rotate270FlipH];
        match self.mirror {
            None => rotated[clockwise as usize],
            Some(1) => flipped[clockwise as usize],
            // Top and bottom exchanged: a left–right mirror after half a turn more.
            Some(_) => flipped[((clockwise + 2) % 4) as usize],
        }
    }
}

pub fn read(file: &[u8]) -> Display {
    read_meta(file).unwrap_or_default()
}

fn read_meta(file: &[u8]) -> Option<Display> {
    let meta = boxes(file).find(|(kind, _)| kind == b"meta")?.1.get(4..)?;
    let primary = boxes(meta).find(|(kind, _)| kind == b"pitm").and_then(|(_, b)| pitm(b))?;
    let iprp = boxes(meta).find(|(kind, _)| kind == b"iprp")?.1;
    let properties: Vec<([u8; 4], &[u8])> = boxes(boxes(iprp).find(|(kind, _)| kind == b"ipco")?.1).collect();
    let mut display = Display::default();
    for (_, ipma) in boxes(iprp).filter(|(kind, _)| kind == b"ipma") {
        for index in associations(ipma, primary)? {
            let Some((kind, body)) = index.checked_sub(1).and_then(|i| properties.get(i)) else { continue };
            match kind {
                b"irot" => display.rotation = body.first()? & 3,
                b"imir" => display.mirror = Some(body.first()? & 1),
                b"colr" => colr(body, &mut display),
                _ => {}
            }
        }
    }
    Some(display)
}

fn pitm(body: &[u8]) -> Option<u32> {
    match body.first()? {
        0 => Some(u16::from_be_bytes(body.get(4..6)?.try_into().ok()?) as u32),
        _ => Some(u32::from_be_bytes(body.get(4..8)?.try_into().ok()?)),
    }
}

/// The 1-based property indices `ipma` associates with `item`.
fn associations(ipma: &[u8], item: u32) -> Option<Vec<usize>> {
    let (version, flags) = (*ipma.first()?, *ipma.get(3)?);
    let count = u32::from_be_bytes(ipma.get(4..8)?.try_into().ok()?);
    let mut at = 8;
    for _ in 0..count {
        let id = if version < 1 {
            at += 2;
            u16::from_be_bytes(ipma.get(at - 2..at)?.try_into().ok()?) as u32
        } else {
            at += 4;
            u32::from_be_bytes(ipma.get(at - 4..at)?.try_into().ok()?)
        };
        let n = *ipma.get(at)? as usize;
        at += 1;
        let wide = flags & 1 == 1;
        let mut found = Vec::with_capacity(n);
        for _ in 0..n {
            // The top bit says "essential"; the rest is the index.
            let index = if wide {
                at += 2;
                (u16::from_be_bytes(ipma.get(at - 2..at)?.try_into().ok()?) & 0x7fff) as usize
            } else {
                at += 1;
                (*ipma.get(at - 1)? & 0x7f) as usize
            };
            found.push(index);
        }
        if id == item {
            return Some(found);
        }
    }
    Some(Vec::new())
}

fn colr(body: &[u8], display: &mut Display) {
    match body.get(..4) {
        Some(b"nclx") if body.len() >= 11 => {
            let code = |at: usize| u16::from_be_bytes([body[at], body[at + 1]]).min(255) as u8;
            display.nclx = Some(Cicp { primaries: code(4), transfer: code(6), matrix: code(8), full_range: body[10] & 0x80 != 0 });
        }
        Some(b"prof") | Some(b"rICC") => display.icc = Some(body[4..].to_vec()),
        _ => {}
    }
}

/// ISO BMFF boxes in `data`: (type, body). A box that does not fit ends the walk.
pub fn boxes(mut data: &[u8]) -> impl Iterator<Item = ([u8; 4], &[u8])> {
    std::iter::from_fn(move || {
        let size = u32::from_be_bytes(data.get(..4)?.try_into().ok()?) as u64;
        let kind: [u8; 4] = data.get(4..8)?.try_into().ok()?;
        let (header, size) = match size {
            0 => (8, data.len() as u64),
            1 => (16, u64::from_be_bytes(data.get(8..16)?.try_into().ok()?)),
            n => (8, n),
        };
        let end = usize::try_from(size).ok().filter(|&end| end >= header && end <= data.len())?;
        let body = &data[header..end];
        data = &data[end..];
        Some((kind, body))
    })
}
