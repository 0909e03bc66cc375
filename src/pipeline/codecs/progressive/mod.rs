//! Progressive JPEGs decoded at 1/2 or 1/4 scale, keeping only the coefficients that scale reads.
//!
//! Why our own decoder: a progressive JPEG sends every block's coefficients in several passes,
//! so a decoder must hold them all until the last pass. jpeg-decoder (like libjpeg) holds all 64
//! of every block at 2 bytes each whatever the output size: 72 MB for a 24 MP photo, which is
//! over the memory budget even for a thumbnail. A decode at k/8 scale reads only each block's
//! top-left k×k coefficients, so this one keeps just those, plus one bit per coefficient saying
//! whether it is non-zero yet (the refinement passes need that for all 64): 40 bytes a block at
//! 1/2 and 16 at 1/4 instead of 128. No maintained crate decodes this way. Files it does not
//! take (baseline, 12-bit, CMYK, unusual sampling) and full-size decodes stay with jpeg-decoder.

mod bits;
mod output;
mod scan;
#[cfg(test)]
mod tests;

use crate::error::{Error, Result};
use bits::{Bits, Huffman};
use output::{Colour, Component};
pub use scan::bytes_per_block;
use scan::{Coefficients, Scan, ScanComponent, ZIGZAG};

fn bad(what: &str) -> Error {
    Error::Undecodable(format!("JPEG: {what}"))
}

/// The refusal of a file of more than [`MAX_SCANS`] scans (413: the work it asks is too large).
pub fn too_many_scans() -> Error {
    Error::TooLarge(format!("this JPEG has more than {MAX_SCANS} scans, each a pass over the whole picture"))
}

/// Decoded pixels: grey (1 channel) or RGB (3), row-major.
pub struct Reduced {
    pub width: u32,
    pub height: u32,
    pub channels: u8,
    pub pixels: Vec<u8>,
}

/// Blocks (padded to whole MCUs) whose coefficients this decoder keeps, or `None` when it does
/// not take the file (jpeg-decoder does). From the frame header alone, for admission.
pub fn kept_blocks(bytes: &[u8]) -> Option<u64> {
    let mut pos = 2;
    while let Some((marker, segment, next)) = segment_at(bytes, pos).ok().flatten() {
        if marker == 0xC2 {
            let frame = Frame::parse(segment).ok().flatten()?;
            return Some(frame.components.iter().map(|c| (c.grid.0 * c.grid.1) as u64).sum());
        }
        if is_other_frame(marker) {
            return None;
        }
        pos = next;
    }
    None
}

/// Most scans a JPEG may have, baseline or progressive, in either decoder. Every scan is a pass
/// over each block of its components whatever its bytes: at a marker the entropy decoder reads
/// zero bits, so a 10-byte scan header with no data is a whole pass (a refinement scan reads all
/// 63 coefficients of every block), and a 1 MB file can hold 100,000 of them. libjpeg's and
/// jpegtran's progressive script writes 10 scans for colour (6 for grey), jpeg-encoder 12,
/// mozjpeg's optimised scans choose among 64 candidates, a sequential file has one per
/// component at most: 100 leaves room over all of them, and is the bound libjpeg-turbo's own
/// fuzzers decode under (`TJPARAM_SCANLIMIT` 100, "Progressive JPEG image has more than 100
/// scans"; `djpeg -maxscans`). Counted by [`scans`] before either decoder starts
/// (`jpeg::tests`).
pub const MAX_SCANS: usize = 100;

/// The scans (SOS segments) before the end of the image, counted from the marker structure
/// without decoding (the entropy-coded data between them is skipped): a linear pass over the
/// bytes. Counting stops at `MAX_SCANS + 1`, and at a malformed segment (left to the decoder).
pub fn scans(bytes: &[u8]) -> usize {
    let (mut pos, mut scans) = (2, 0);
    while let Some((marker, _, next)) = segment_at(bytes, pos).ok().flatten() {
        match marker {
            0xD9 => break,
            0xDA => scans += 1,
            _ => {}
        }
        if scans > MAX_SCANS {
            break;
        }
        pos = next;
    }
    scans
}

/// Decodes `bytes` at `eighths`/8 scale (2 or 4); `Ok(None)` when the file is not one this
/// decoder takes.
pub fn decode(bytes: &[u8], eighths: u32) -> Result<Option<Reduced>> {
    if bytes.get(..2) != Some(&[0xFF, 0xD8]) {
        return Err(bad("no start-of-image marker"));
    }
    let side = eighths as usize;
    let mut d = Decoder::default();
    let mut pos = 2;
    let mut coefs: Option<Coefficients> = None;
    let mut scans = 0;
    while let Some((marker, segment, next)) = segment_at(bytes, pos)? {
        pos = next;
        match marker {
            0xD9 => break,
            0xC2 if d.frame.is_none() => match Frame::parse(segment)? {
                Some(frame) => d.frame = Some(frame),
                None => return Ok(None),
            },
            m if m == 0xC2 || is_other_frame(m) => return Ok(None),
            0xC4 => d.huffman(segment)?,
            0xDB => d.quantisation(segment)?,
            0xDD => {
                d.restart_interval = segment.get(..2).map(|b| u16::from_be_bytes([b[0], b[1]]) as usize).ok_or_else(|| bad("short DRI"))?
            }
            0xE0 if segment.starts_with(b"JFIF\0") => d.jfif = true,
            0xEE if segment.starts_with(b"Adobe") && segment.len() >= 12 => d.adobe = Some(segment[11]),
            0xDA => {
                // `jpeg::decode` counted them first; this keeps the decoder bounded on its own.
                scans += 1;
                if scans > MAX_SCANS {
                    return Err(too_many_scans());
                }
                if coefs.is_none() {
                    let frame = d.frame.as_ref().ok_or_else(|| bad("a scan before the frame header"))?;
                    if d.colour(frame).is_none() {
                        return Ok(None);
                    }
                    coefs = Some(Coefficients::new(side, &frame.components.iter().map(|c| c.grid).collect::<Vec<_>>()));
                }
                let scan = d.scan(segment)?;
                let mut bits = Bits::new(bytes, pos);
                if let Some(coefs) = coefs.as_mut() {
                    scan::decode(&mut bits, &scan, coefs)?;
                }
                pos = bits.next_marker();
            }
            _ => {}
        }
    }
    let (frame, coefs) = match (d.frame.take(), coefs) {
        (Some(frame), Some(coefs)) if scans > 0 => (frame, coefs),
        _ => return Err(bad("no image data")),
    };
    let Some(colour) = d.colour(&frame) else { return Ok(None) };
    let mut components = Vec::new();
    let mut planes = Vec::new();
    for (c, plane) in frame.components.iter().zip(coefs.planes) {
        let quant = d.latched[c.index].ok_or_else(|| bad("a component is in no scan"))?;
        planes.push((output::samples(&plane, side, &quant), plane.blocks_w * side));
        components.push(Component { ratio: (frame.max.0 / c.h, frame.max.1 / c.v), size: c.size });
    }
    let out = ((frame.width * side).div_ceil(8), (frame.height * side).div_ceil(8));
    let pixels = output::pixels(&planes, &components, side, out, colour);
    Ok(Some(Reduced { width: out.0 as u32, height: out.1 as u32, channels: if colour == Colour::Grey { 1 } else { 3 }, pixels }))
}

/// SOF markers of the other coding processes (baseline, extended, lossless, arithmetic).
fn is_other_frame(marker: u8) -> bool {
    matches!(marker, 0xC0 | 0xC1 | 0xC3 | 0xC5..=0xC7 | 0xC9..=0xCB | 0xCD..=0xCF)
}

/// The marker at or after `pos` (bytes between segments skipped, as libjpeg and jpeg-decoder
/// allow), its segment's body, and where the next one may start. `None` at the end of the data.
fn segment_at(bytes: &[u8], mut pos: usize) -> Result<Option<(u8, &[u8], usize)>> {
    loop {
        while pos < bytes.len() && bytes[pos] != 0xFF {
            pos += 1;
        }
        while pos < bytes.len() && bytes[pos] == 0xFF {
            pos += 1;
        }
        let Some(&marker) = bytes.get(pos) else { return Ok(None) };
        pos += 1;
        match marker {
            0x00 | 0x01 | 0xD0..=0xD7 => continue,
            0xD8 | 0xD9 => return Ok(Some((marker, &[], pos))),
            _ => {
                let len = bytes
                    .get(pos..pos + 2)
                    .map(|b| u16::from_be_bytes([b[0], b[1]]) as usize)
                    .ok_or_else(|| bad("truncated marker segment"))?;
                let body = bytes.get(pos + 2..pos + len.max(2)).ok_or_else(|| bad("truncated marker segment"))?;
                return Ok(Some((marker, body, pos + len.max(2))));
            }
        }
    }
}

struct FrameComponent {
    index: usize,
    id: u8,
    h: usize,
    v: usize,
    quant_table: usize,
    /// Samples at full scale, real blocks, and blocks padded to whole MCUs.
    size: (usize, usize),
    blocks: (usize, usize),
    grid: (usize, usize),
}

struct Frame {
    width: usize,
    height: usize,
    components: Vec<FrameComponent>,
    max: (usize, usize),
    mcus: (usize, usize),
}

impl Frame {
    /// `None`: a frame this decoder leaves to jpeg-decoder.
    fn parse(s: &[u8]) -> Result<Option<Frame>> {
        let short = || bad("truncated frame header");
        let (precision, height, width, count) = match s {
            [p, h0, h1, w0, w1, n, ..] => {
                (*p, u16::from_be_bytes([*h0, *h1]) as usize, u16::from_be_bytes([*w0, *w1]) as usize, *n as usize)
            }
            _ => return Err(short()),
        };
        if precision != 8 || height == 0 || !(count == 1 || count == 3) {
            return Ok(None);
        }
        if width == 0 {
            return Err(bad("frame width is zero"));
        }
        let specs = s.get(6..6 + 3 * count).ok_or_else(short)?;
        let sampling: Vec<(usize, usize)> = specs.chunks(3).map(|c| ((c[1] >> 4) as usize, (c[1] & 15) as usize)).collect();
        if sampling.iter().any(|&(h, v)| !(1..=4).contains(&h) || !(1..=4).contains(&v)) {
            return Err(bad("invalid sampling factors"));
        }
        // A single component is never interleaved: its sampling factors mean nothing.
        let sampling = if count == 1 { vec![(1, 1)] } else { sampling };
        let max = (sampling.iter().map(|s| s.0).max().unwrap_or(1), sampling.iter().map(|s| s.1).max().unwrap_or(1));
        if sampling.iter().any(|&(h, v)| max.0 % h != 0 || max.1 % v != 0) {
            return Ok(None);
        }
        let mcus = (width.div_ceil(8 * max.0), height.div_ceil(8 * max.1));
        let mut components = Vec::new();
        for (index, (spec, &(h, v))) in specs.chunks(3).zip(&sampling).enumerate() {
            let size = ((width * h).div_ceil(max.0), (height * v).div_ceil(max.1));
            let blocks = (size.0.div_ceil(8), size.1.div_ceil(8));
            let grid = if count == 1 { blocks } else { (mcus.0 * h, mcus.1 * v) };
            let quant_table = spec[2] as usize;
            if quant_table > 3 {
                return Err(bad("invalid quantisation table index"));
            }
            components.push(FrameComponent { index, id: spec[0], h, v, quant_table, size, blocks, grid });
        }
        Ok(Some(Frame { width, height, components, max, mcus }))
    }
}

/// Tables and settings as the segments define them.
#[derive(Default)]
struct Decoder {
    frame: Option<Frame>,
    dc: [Option<Huffman>; 4],
    ac: [Option<Huffman>; 4],
    quant: [Option<[u16; 64]>; 4],
    /// Each component's table as it was at its first scan (as libjpeg latches it).
    latched: [Option<[u16; 64]>; 3],
    restart_interval: usize,
    jfif: bool,
    adobe: Option<u8>,
}

impl Decoder {
    fn huffman(&mut self, mut s: &[u8]) -> Result<()> {
        while let [class_id, rest @ ..] = s {
            let counts: [u8; 16] = rest.get(..16).and_then(|c| c.try_into().ok()).ok_or_else(|| bad("truncated Huffman table"))?;
            let n: usize = counts.iter().map(|&c| c as usize).sum();
            let values = rest.get(16..16 + n).ok_or_else(|| bad("truncated Huffman table"))?;
            let (class, id) = ((class_id >> 4) as usize, (class_id & 15) as usize);
            if class > 1 || id > 3 {
                return Err(bad("invalid Huffman table class or index"));
            }
            let table = Some(Huffman::new(&counts, values)?);
            if class == 0 {
                self.dc[id] = table;
            } else {
                self.ac[id] = table;
            }
            s = &rest[16 + n..];
        }
        Ok(())
    }

    fn quantisation(&mut self, mut s: &[u8]) -> Result<()> {
        while let [precision_id, rest @ ..] = s {
            let (wide, id) = (precision_id >> 4 != 0, (precision_id & 15) as usize);
            let len = if wide { 128 } else { 64 };
            let raw = rest.get(..len).ok_or_else(|| bad("truncated quantisation table"))?;
            if id > 3 {
                return Err(bad("invalid quantisation table index"));
            }
            let mut table = [0u16; 64];
            for (k, &n) in ZIGZAG.iter().enumerate() {
                table[n as usize] = if wide { u16::from_be_bytes([raw[2 * k], raw[2 * k + 1]]) } else { raw[k] as u16 };
            }
            self.quant[id] = Some(table);
            s = &rest[len..];
        }
        Ok(())
    }

    fn scan(&mut self, s: &[u8]) -> Result<Scan<'_>> {
        let frame = self.frame.as_ref().ok_or_else(|| bad("a scan before the frame header"))?;
        let count = *s.first().ok_or_else(|| bad("empty scan header"))? as usize;
        let body = s.get(1..1 + 2 * count + 3).filter(|_| (1..=4).contains(&count)).ok_or_else(|| bad("malformed scan header"))?;
        let mut components = Vec::new();
        for spec in body[..2 * count].chunks(2) {
            let c = frame.components.iter().find(|c| c.id == spec[0]).ok_or_else(|| bad("a scan names a component the frame lacks"))?;
            if self.latched[c.index].is_none() {
                self.latched[c.index] = Some(self.quant[c.quant_table].ok_or_else(|| bad("a quantisation table is missing"))?);
            }
            let (dc, ac) = ((spec[1] >> 4) as usize, (spec[1] & 15) as usize);
            components.push(ScanComponent {
                plane: c.index,
                h: c.h,
                v: c.v,
                blocks_w: c.blocks.0,
                blocks_h: c.blocks.1,
                dc: self.dc.get(dc).and_then(Option::as_ref),
                ac: self.ac.get(ac).and_then(Option::as_ref),
            });
        }
        let tail = &body[2 * count..];
        Ok(Scan {
            components,
            ss: tail[0] as usize,
            se: tail[1] as usize,
            ah: (tail[2] >> 4) as u32,
            al: (tail[2] & 15) as u32,
            mcus: frame.mcus,
            restart_interval: self.restart_interval,
        })
    }

    /// As jpeg-decoder decides it: component ids 1,2,3 or JFIF → YCbCr, "RGB" or Adobe's
    /// transform 0 → RGB; the big-gamut variants (ids 1,34,35 and "rgb") are left to it.
    fn colour(&self, frame: &Frame) -> Option<Colour> {
        if frame.components.len() == 1 {
            return Some(Colour::Grey);
        }
        let ids: Vec<u8> = frame.components.iter().map(|c| c.id).collect();
        match ids[..] {
            [1, 2, 3] => return Some(Colour::YCbCr),
            [82, 71, 66] => return Some(Colour::Rgb),
            [1, 34, 35] | [114, 103, 98] => return None,
            _ => {}
        }
        if self.jfif {
            return Some(Colour::YCbCr);
        }
        Some(if self.adobe == Some(0) { Colour::Rgb } else { Colour::YCbCr })
    }
}
