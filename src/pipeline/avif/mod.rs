//! AVIF input. The HEIF container ([`heif`](super::heif)) gives the primary item — one AV1
//! picture, or a grid of them — and its alpha item, sizes (`ispe`, the grid's) and codec
//! configuration (`av1C`) before any decoding; [`props`] the orientation and colour; the host's
//! [`port::Av1Decoder`] (dav1d) decodes each picture and [`yuv`] turns its planes into 8-bit
//! pixels, tile by tile into place for a grid. An animation's frames beyond the primary image,
//! the clean aperture (`clap`) and HDR transfer curves are not applied (README).

pub mod port;
pub mod props;
pub mod yuv;

use super::decode::Decoded;
use super::heif::{self, Heif};
use super::probe::Probe;
use crate::error::{Error, Result};
use crate::transform::Format;
use port::{Cicp, Picture};

/// Whether an ISO BMFF file is AVIF: `avif` or `avis` among the brands of its `ftyp` (a HEIF
/// file names `heic`, `mif1` and the like instead).
pub fn is_avif(bytes: &[u8]) -> bool {
    heif::brands(bytes).iter().any(|b| b == b"avif" || b == b"avis")
}

/// How an item's pixels are coded: one AV1 picture, or a grid of equal tiles (row by row).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Coded {
    Single(u32),
    Grid { columns: u32, tiles: Vec<u32> },
}

/// An AVIF's image as its headers describe it.
struct Avif<'a> {
    heif: Heif<'a>,
    colour: Coded,
    /// The alpha item, and whether the colour is premultiplied by it (`prem`).
    alpha: Option<(Coded, bool)>,
    size: (u32, u32),
    tile: (u32, u32),
    bit_depth: u8,
    monochrome: bool,
    /// Chroma halved horizontally, vertically.
    subsampled: (bool, bool),
}

const ALPHA_URNS: [&[u8]; 2] = [b"urn:mpeg:mpegB:cicp:systems:auxiliary:alpha", b"urn:mpeg:hevc:2015:auxid:1"];

fn read(bytes: &[u8]) -> Result<Avif<'_>> {
    let heif = Heif::parse(bytes)?;
    let (colour, size) = coded(&heif, heif.primary)?;
    let first = match &colour {
        Coded::Single(id) => *id,
        Coded::Grid { tiles, .. } => tiles[0],
    };
    let tile = heif.size(first).ok_or_else(|| Error::Undecodable("AVIF: an image item has no size (ispe)".into()))?;
    if let Coded::Grid { columns, tiles } = &colour {
        let rows = tiles.len() as u32 / columns;
        let covers = tile.0 as u64 * *columns as u64 >= size.0 as u64 && tile.1 as u64 * rows as u64 >= size.1 as u64;
        if !covers {
            return Err(Error::Undecodable("AVIF: the grid's tiles do not cover its size".into()));
        }
    }
    let av1c = heif
        .property(first, b"av1C")
        .filter(|c| c.len() >= 3)
        .ok_or_else(|| Error::Undecodable("AVIF: no AV1 configuration (av1C)".into()))?;
    let flags = av1c[2];
    let bit_depth = if flags & 0x40 == 0 {
        8
    } else if flags & 0x20 == 0 {
        10
    } else {
        12
    };
    let alpha_id =
        heif.referring(b"auxl", heif.primary).into_iter().find(|&id| heif.auxiliary_type(id).is_some_and(|t| ALPHA_URNS.contains(&t)));
    let alpha = match alpha_id {
        Some(id) => {
            let (coded_alpha, alpha_size) = coded(&heif, id)?;
            let same_tiling = match (&colour, &coded_alpha) {
                (Coded::Single(_), Coded::Single(_)) => true,
                (Coded::Grid { columns: a, tiles: t }, Coded::Grid { columns: b, tiles: u }) => a == b && t.len() == u.len(),
                _ => false,
            };
            if alpha_size != size || !same_tiling {
                return Err(Error::Unsupported("AVIF: an alpha plane not laid out as its image is not read".into()));
            }
            Some((coded_alpha, heif.references(b"prem", heif.primary).contains(&id)))
        }
        None => None,
    };
    Ok(Avif {
        colour,
        alpha,
        size,
        tile,
        bit_depth,
        monochrome: flags & 0x10 != 0,
        subsampled: (flags & 0x08 != 0, flags & 0x04 != 0),
        heif,
    })
}

/// An item as AV1 picture(s), and its size.
fn coded(heif: &Heif, id: u32) -> Result<(Coded, (u32, u32))> {
    match &heif.kind(id)? {
        b"av01" => Ok((Coded::Single(id), heif.size(id).ok_or_else(|| Error::Undecodable("AVIF: the image has no size (ispe)".into()))?)),
        b"grid" => {
            let data = heif.data(id)?;
            let bad = || Error::Undecodable("AVIF: the grid description is malformed".into());
            let &[_version, flags, rows, columns] = data.first_chunk::<4>().ok_or_else(bad)?;
            let rest = &data[4..];
            let wide = flags & 1 == 1;
            let field = |i: usize| -> Option<u32> {
                if wide {
                    Some(u32::from_be_bytes(rest.get(i * 4..i * 4 + 4)?.try_into().ok()?))
                } else {
                    Some(u16::from_be_bytes(rest.get(i * 2..i * 2 + 2)?.try_into().ok()?) as u32)
                }
            };
            let size = (field(0).ok_or_else(bad)?, field(1).ok_or_else(bad)?);
            let tiles = heif.references(b"dimg", id);
            let (rows, columns) = (rows as u32 + 1, columns as u32 + 1);
            if tiles.len() as u32 != rows * columns || size.0 == 0 || size.1 == 0 {
                return Err(bad());
            }
            for &tile in &tiles {
                if &heif.kind(tile)? != b"av01" || heif.size(tile) != heif.size(tiles[0]) {
                    return Err(Error::Undecodable("AVIF: grid tiles differ in kind or size".into()));
                }
            }
            Ok((Coded::Grid { columns, tiles }, size))
        }
        other => Err(Error::Unsupported(format!("AVIF: a '{}' image item is not read", String::from_utf8_lossy(other)))),
    }
}

/// Bytes dav1d's own memory (an instance of its own for each picture) reaches while decoding a
/// picture whose planes are `plane_bytes`: measured (V8, `scripts/bench_avif.mjs`) 0.6 MB before
/// any picture, then 2.15–2.7 B/px at 4:2:0 and 4.0 at 4:4:4 (1 to 12 MP, 8 bits): the
/// padded planes, 1.4× the plain ones, and block data. With a margin: 2 MB + 1.4× + ¼ B/px.
pub fn decoder_bytes(width: u32, height: u32, plane_bytes: u64) -> u64 {
    (2 << 20) + plane_bytes * 7 / 5 + width as u64 * height as u64 / 4
}

/// Size, orientation and what decoding will hold, from the headers alone.
pub fn probe(bytes: &[u8]) -> Result<Probe> {
    let avif = read(bytes)?;
    let (width, height) = avif.size;
    let (tw, th) = avif.tile;
    let sample = if avif.bit_depth > 8 { 2 } else { 1 };
    let chroma = |side: u32, halved: bool| if halved { side.div_ceil(2) } else { side } as u64;
    let chroma_planes = if avif.monochrome { 0 } else { 2 * chroma(tw, avif.subsampled.0) * chroma(th, avif.subsampled.1) };
    let tile_planes = (tw as u64 * th as u64 + chroma_planes) * sample;
    let channels = if avif.monochrome { 1 } else { 3 } + avif.alpha.is_some() as u8;
    // One tile at a time; an alpha tile (a grey picture) is decoded while its colour tile is held.
    let alpha_bytes = avif.alpha.as_ref().map_or(0, |_| decoder_bytes(tw, th, tw as u64 * th as u64 * sample));
    Ok(Probe {
        format: Format::Avif,
        width,
        height,
        orientation: props::Display::of(&avif.heif, avif.heif.primary).orientation(),
        decoded_bpp: channels,
        channels,
        progressive: false,
        held_bytes: 0,
        kept_blocks: 0,
        // Planes are read from dav1d's memory a row at a time: a few rows of floats.
        plane_bytes: 0,
        decoder_bytes: decoder_bytes(tw, th, tile_planes) + alpha_bytes,
    })
}

/// The primary image (and its alpha) as 8-bit pixels, in stored orientation; its ICC profile,
/// or one made from its colour code points when they are not sRGB's.
pub fn decode(bytes: &[u8], probe: &Probe) -> Result<Decoded> {
    let decoder = port::decoder()?;
    let avif = read(bytes)?;
    if avif.size != (probe.width, probe.height) {
        return Err(Error::Internal("AVIF probed and decoded differently".into()));
    }
    let display = props::Display::of(&avif.heif, avif.heif.primary);
    let (tiles, columns) = match &avif.colour {
        Coded::Single(id) => (vec![*id], 1),
        Coded::Grid { columns, tiles } => (tiles.clone(), *columns),
    };
    let alpha_tiles = avif.alpha.as_ref().map(|(coded, _)| match coded {
        Coded::Single(id) => vec![*id],
        Coded::Grid { tiles, .. } => tiles.clone(),
    });
    let premultiplied = avif.alpha.as_ref().is_some_and(|(_, prem)| *prem);
    let tile_pixels = avif.tile.0 as u64 * avif.tile.1 as u64;
    let picture = |id: u32| -> Result<Picture> {
        let p = decoder.decode(&avif.heif.data(id)?, tile_pixels)?;
        if (p.width, p.height) != avif.tile {
            return Err(Error::Undecodable("AVIF: a picture is not the size its item says".into()));
        }
        Ok(p)
    };
    let mut out = Vec::new();
    let mut cicp = display.nclx;
    let mut channels = 0;
    for (i, &tile) in tiles.iter().enumerate() {
        let colour = picture(tile)?;
        let alpha = alpha_tiles.as_ref().map(|a| picture(a[i])).transpose()?;
        let signalled = *cicp.get_or_insert(colour.cicp);
        if out.is_empty() {
            channels = yuv::channels(&colour, alpha.is_some());
            out = vec![0u8; probe.width as usize * probe.height as usize * channels];
        } else if yuv::channels(&colour, alpha.is_some()) != channels {
            return Err(Error::Undecodable("AVIF: grid tiles differ in their channels".into()));
        }
        let at = ((i as u32 % columns) * avif.tile.0, (i as u32 / columns) * avif.tile.1);
        yuv::convert_into(&colour, signalled, alpha.as_ref().map(|a| (a, premultiplied)), &mut out, avif.size, at)?;
    }
    let image = yuv::image_from(out, avif.size, channels)?;
    let icc = display.icc.or_else(|| cicp.and_then(icc_for));
    Ok(Decoded { image, icc, exif: None })
}

/// An ICC profile for colour signalled by code points, when it is not sRGB (BT.709 primaries
/// with the sRGB curve, or unspecified): Display P3, BT.2020 and the like, built by moxcms.
fn icc_for(cicp: Cicp) -> Option<Vec<u8>> {
    use moxcms::{CicpColorPrimaries, CicpProfile, ColorProfile, MatrixCoefficients, TransferCharacteristics};
    let srgb = matches!(cicp.primaries, 1 | 2) && matches!(cicp.transfer, 2 | 13);
    if srgb {
        return None;
    }
    let profile = CicpProfile {
        color_primaries: CicpColorPrimaries::try_from(cicp.primaries).ok()?,
        transfer_characteristics: TransferCharacteristics::try_from(cicp.transfer).ok()?,
        matrix_coefficients: MatrixCoefficients::try_from(cicp.matrix).ok()?,
        full_range: cicp.full_range,
    };
    ColorProfile::new_from_cicp(profile).encode().ok()
}

#[cfg(test)]
mod tests;
