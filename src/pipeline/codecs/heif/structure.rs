//! The image a HEIF file's headers describe: the primary item as one coded picture or a grid of
//! them (AV1 for AVIF, HEVC for HEIC), its alpha item, sizes and codec configuration — all
//! before any decoding.

use super::container::Heif;
use super::hevc;
use crate::error::{Error, Result};
use crate::pipeline::codecs::port::Codec;

/// How an item's pixels are coded: one picture, or a grid of equal tiles (row by row).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Coded {
    Single(u32),
    Grid { columns: u32, tiles: Vec<u32> },
}

impl Coded {
    /// The coded pictures, in order, and how many make a row.
    pub fn tiles(&self) -> (Vec<u32>, u32) {
        match self {
            Coded::Single(id) => (vec![*id], 1),
            Coded::Grid { columns, tiles } => (tiles.clone(), *columns),
        }
    }
}

pub struct Structure<'a> {
    pub heif: Heif<'a>,
    pub codec: Codec,
    pub colour: Coded,
    /// The alpha item, and whether the colour is premultiplied by it (`prem`).
    pub alpha: Option<(Coded, bool)>,
    pub size: (u32, u32),
    /// The clean aperture (`clap`) kept of `size`: x, y, width, height.
    pub crop: Option<(u32, u32, u32, u32)>,
    pub tile: (u32, u32),
    pub bit_depth: u8,
    pub monochrome: bool,
    /// Chroma halved horizontally, vertically.
    pub subsampled: (bool, bool),
}

const MAX_TILES: u32 = 1024;

const ALPHA_URNS: [&[u8]; 2] = [b"urn:mpeg:mpegB:cicp:systems:auxiliary:alpha", b"urn:mpeg:hevc:2015:auxid:1"];

pub fn read(bytes: &[u8]) -> Result<Structure<'_>> {
    read_item(bytes, None)
}

/// As [`read`], for another image item than the primary (a gain map), which is then the one
/// `heif.primary` names.
pub fn read_item(bytes: &[u8], item: Option<u32>) -> Result<Structure<'_>> {
    let mut heif = Heif::parse(bytes)?;
    if let Some(id) = item {
        heif.primary = id;
    }
    let (colour, size, codec) = coded(&heif, heif.primary)?;
    let first = colour.tiles().0[0];
    let tile = heif.size(first).ok_or_else(|| Error::Undecodable("HEIF: an image item has no size (ispe)".into()))?;
    if let Coded::Grid { columns, tiles } = &colour {
        let rows = tiles.len() as u32 / columns;
        if (tile.0 as u64 * *columns as u64) < size.0 as u64 || (tile.1 as u64 * rows as u64) < size.1 as u64 {
            return Err(Error::Undecodable("HEIF: the grid's tiles do not cover its size".into()));
        }
    }
    let (bit_depth, monochrome, subsampled) = match codec {
        Codec::Av1 => {
            let av1c = heif.property(first, b"av1C").filter(|c| c.len() >= 3);
            let flags = av1c.ok_or_else(|| Error::Undecodable("AVIF: no AV1 configuration (av1C)".into()))?[2];
            let depth = if flags & 0x40 == 0 {
                8
            } else if flags & 0x20 == 0 {
                10
            } else {
                12
            };
            (depth, flags & 0x10 != 0, (flags & 0x08 != 0, flags & 0x04 != 0))
        }
        Codec::Hevc => {
            let hvcc = heif.property(first, b"hvcC").ok_or_else(|| Error::Undecodable("HEIC: no HEVC configuration (hvcC)".into()))?;
            let (chroma, depth, _) = hevc::config(hvcc)?;
            (depth, chroma == 0, (chroma == 1 || chroma == 2, chroma == 1))
        }
    };
    if bit_depth > 12 {
        return Err(Error::Unsupported(format!("HEIF: {bit_depth}-bit pictures are not read")));
    }
    let alpha_id =
        heif.referring(b"auxl", heif.primary).into_iter().find(|&id| heif.auxiliary_type(id).is_some_and(|t| ALPHA_URNS.contains(&t)));
    let alpha = match alpha_id {
        Some(id) => {
            let (coded_alpha, alpha_size, alpha_codec) = coded(&heif, id)?;
            let same_tiling = match (&colour, &coded_alpha) {
                (Coded::Single(_), Coded::Single(_)) => true,
                (Coded::Grid { columns: a, tiles: t }, Coded::Grid { columns: b, tiles: u }) => a == b && t.len() == u.len(),
                _ => false,
            };
            let alpha_tile = heif.size(coded_alpha.tiles().0[0]);
            if alpha_size != size || !same_tiling || alpha_codec != codec || alpha_tile != Some(tile) {
                return Err(Error::Unsupported("HEIF: an alpha plane not laid out as its image is not read".into()));
            }
            Some((coded_alpha, heif.references(b"prem", heif.primary).contains(&id)))
        }
        None => None,
    };
    let crop = heif.property(heif.primary, b"clap").and_then(|clap| clean_aperture(clap, size));
    Ok(Structure { heif, codec, colour, alpha, size, crop, tile, bit_depth, monochrome, subsampled })
}

impl Structure<'_> {
    /// The size shown: the clean aperture, or the whole image.
    pub fn shown(&self) -> (u32, u32) {
        self.crop.map_or(self.size, |(_, _, w, h)| (w, h))
    }
}

/// The rectangle a `clap` box keeps (its centre offset from the image's, as libheif reads it);
/// `None` for one that is malformed or reaches outside the image, which is then shown whole.
fn clean_aperture(clap: &[u8], (width, height): (u32, u32)) -> Option<(u32, u32, u32, u32)> {
    let word = |i: usize| -> Option<u32> { Some(u32::from_be_bytes(clap.get(i * 4..i * 4 + 4)?.try_into().ok()?)) };
    let ratio = |n: f64, d: u32| (d != 0).then(|| n / d as f64);
    let w = ratio(word(0)? as f64, word(1)?)?.round();
    let h = ratio(word(2)? as f64, word(3)?)?.round();
    let dx = ratio(word(4)? as i32 as f64, word(5)?)?;
    let dy = ratio(word(6)? as i32 as f64, word(7)?)?;
    let left = (dx + (width as f64 - 1.0) / 2.0 - (w - 1.0) / 2.0).round();
    let top = (dy + (height as f64 - 1.0) / 2.0 - (h - 1.0) / 2.0).round();
    let inside = w >= 1.0 && h >= 1.0 && left >= 0.0 && top >= 0.0 && left + w <= width as f64 && top + h <= height as f64;
    inside.then_some((left as u32, top as u32, w as u32, h as u32))
}

fn codec_of(kind: &[u8; 4]) -> Option<Codec> {
    match kind {
        b"av01" => Some(Codec::Av1),
        b"hvc1" => Some(Codec::Hevc),
        _ => None,
    }
}

/// An item as coded picture(s), its size and codec.
fn coded(heif: &Heif, id: u32) -> Result<(Coded, (u32, u32), Codec)> {
    let kind = heif.kind(id)?;
    if let Some(codec) = codec_of(&kind) {
        let size = heif.size(id).ok_or_else(|| Error::Undecodable("HEIF: the image has no size (ispe)".into()))?;
        return Ok((Coded::Single(id), size, codec));
    }
    if &kind != b"grid" {
        return Err(Error::Unsupported(format!("HEIF: a '{}' image item is not read", String::from_utf8_lossy(&kind))));
    }
    let data = heif.data(id)?;
    let bad = || Error::Undecodable("HEIF: the grid description is malformed".into());
    let &[_version, flags, rows, columns] = data.first_chunk::<4>().ok_or_else(bad)?;
    let rest = &data[4..];
    let field = |i: usize| -> Option<u32> {
        if flags & 1 == 1 {
            Some(u32::from_be_bytes(rest.get(i * 4..i * 4 + 4)?.try_into().ok()?))
        } else {
            Some(u16::from_be_bytes(rest.get(i * 2..i * 2 + 2)?.try_into().ok()?) as u32)
        }
    };
    let size = (field(0).ok_or_else(bad)?, field(1).ok_or_else(bad)?);
    let tiles = heif.references(b"dimg", id);
    let (rows, columns) = (rows as u32 + 1, columns as u32 + 1);
    // Each tile is a decoder instance: a phone's 48 MP photo has 192; tens of thousands of tiny
    // ones would be CPU time spent on nothing but starting decoders.
    if rows * columns > MAX_TILES {
        return Err(Error::TooLarge(format!("HEIF: a grid of {} tiles, over the {MAX_TILES} read here", rows * columns)));
    }
    if tiles.len() as u32 != rows * columns || size.0 == 0 || size.1 == 0 {
        return Err(bad());
    }
    let codec = codec_of(&heif.kind(tiles[0])?).ok_or_else(|| Error::Unsupported("HEIF: grid tiles of this kind are not read".into()))?;
    for &tile in &tiles {
        if codec_of(&heif.kind(tile)?) != Some(codec) || heif.size(tile) != heif.size(tiles[0]) {
            return Err(Error::Undecodable("HEIF: grid tiles differ in kind or size".into()));
        }
    }
    Ok((Coded::Grid { columns, tiles }, size, codec))
}
