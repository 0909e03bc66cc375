//! The primary item's display properties: rotation (`irot`), mirroring (`imir`) and colour
//! (`colr`: an ICC profile or H.273 code points).

use super::container::Heif;
use crate::pipeline::codecs::port::Cicp;
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
    pub fn of(heif: &Heif, id: u32) -> Display {
        let mut display = Display {
            rotation: heif.property(id, b"irot").and_then(|b| b.first()).map_or(0, |b| b & 3),
            mirror: heif.property(id, b"imir").and_then(|b| b.first()).map(|b| b & 1),
            ..Display::default()
        };
        // An image may carry both kinds of `colr`: the profile for colour, the code points for
        // the matrix.
        for body in heif.properties(id, b"colr") {
            colr(body, &mut display);
        }
        display
    }

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
