//! HEIF input: AVIF (AV1) and HEIC (HEVC). The container ([`container`])
//! and [`structure`] give the primary item — one picture, or a grid of them — and its alpha item,
//! sizes and codec configuration before any decoding; [`props`] the orientation and colour; the
//! host's [`PictureDecoder`](crate::pipeline::codecs::port::PictureDecoder) for the codec (dav1d, libde265) decodes each picture and [`yuv`]
//! turns its planes into 8-bit pixels, tile by tile into place for a grid. An animation's frames
//! beyond the primary image, thumbnails, depth maps and HDR transfer curves are not applied;
//! a `tmap` gain map is found by [`gain_map`] and decoded by [`decode_item`] (docs/formats.md).

pub mod container;
pub mod gain_map;
pub mod hevc;
pub mod props;
pub mod structure;
pub mod yuv;

use crate::error::{Error, Result};
use crate::pipeline::codecs::port::{Cicp, Codec, Codecs, Picture};
use crate::pipeline::types::{Decoded, Probe};
use crate::transform::Format;

/// Bytes a decoder's own memory (an instance of its own for each picture) reaches while decoding
/// a `width`×`height` picture whose planes are `plane_bytes`, measured in workerd (`x-memory`,
/// 8-bit 4:2:0 and 4:4:4, 0.5 to 12 MP), with a margin:
/// - dav1d: 0.6 MB before any picture, then 2.15–2.7 B/px at 4:2:0 and 4.0 at 4:4:4 — its padded
///   planes (1.4× the plain ones) and block data: 2 MB + 1.4× the planes + ¼ B/px;
/// - libde265: 0.3 MB, then 4.2–4.4 B/px at 4:2:0 (50.8 MB for 12 MP), keeping more for each
///   block (motion, modes, deblocking): 2 MB + 1.6× the planes + 2 B/px.
pub fn decoder_bytes(codec: Codec, width: u32, height: u32, plane_bytes: u64) -> u64 {
    let px = width as u64 * height as u64;
    match codec {
        Codec::Av1 => (2 << 20) + plane_bytes * 7 / 5 + px / 4,
        Codec::Hevc => (2 << 20) + plane_bytes * 8 / 5 + px * 2,
    }
}

/// Size, orientation and what decoding will hold, from the headers alone.
pub fn probe(bytes: &[u8]) -> Result<Probe> {
    let img = structure::read(bytes)?;
    let (width, height) = img.shown();
    let (tw, th) = img.tile;
    let sample = if img.bit_depth > 8 { 2 } else { 1 };
    let chroma = |side: u32, halved: bool| if halved { side.div_ceil(2) } else { side } as u64;
    let chroma_planes = if img.monochrome { 0 } else { 2 * chroma(tw, img.subsampled.0) * chroma(th, img.subsampled.1) };
    let tile_planes = (tw as u64 * th as u64 + chroma_planes) * sample;
    let channels = if img.monochrome { 1 } else { 3 } + img.alpha.is_some() as u8;
    // One tile at a time; an alpha tile (a grey picture) is decoded while its colour tile is held.
    let alpha_bytes = img.alpha.as_ref().map_or(0, |_| decoder_bytes(img.codec, tw, th, tw as u64 * th as u64 * sample));
    Ok(Probe {
        format: if img.codec == Codec::Av1 { Format::Avif } else { Format::Heic },
        width,
        height,
        orientation: props::Display::of(&img.heif, img.heif.primary).orientation(),
        decoded_bpp: channels,
        channels,
        progressive: false,
        held_bytes: 0,
        kept_blocks: 0,
        // Planes are read from the decoder's memory a row at a time: a few rows of floats.
        plane_bytes: 0,
        decoder_bytes: decoder_bytes(img.codec, tw, th, tile_planes) + alpha_bytes,
    })
}

/// The primary image (and its alpha) as 8-bit pixels, in stored orientation; its ICC profile,
/// or one made from its colour code points when they are not sRGB's.
pub fn decode(bytes: &[u8], probe: &Probe, codecs: &Codecs<'_>) -> Result<Decoded> {
    let img = structure::read(bytes)?;
    if img.shown() != (probe.width, probe.height) {
        return Err(Error::Internal("HEIF probed and decoded differently".into()));
    }
    decode_structure(img, codecs)
}

/// Another image item than the primary (a gain map), as 8-bit pixels, when its decoder's memory
/// fits `decoder_budget`.
pub fn decode_item(bytes: &[u8], item: u32, decoder_budget: u64, codecs: &Codecs<'_>) -> Result<Decoded> {
    let img = structure::read_item(bytes, Some(item))?;
    let (tw, th) = img.tile;
    let planes = (tw as u64 * th as u64 * 3) * if img.bit_depth > 8 { 2 } else { 1 };
    if decoder_bytes(img.codec, tw, th, planes) > decoder_budget {
        return Err(Error::TooLarge("its pictures are over the decoder's budget (HEIF_MEMORY_BUDGET_MB)".into()));
    }
    decode_structure(img, codecs)
}

fn decode_structure(img: structure::Structure<'_>, codecs: &Codecs<'_>) -> Result<Decoded> {
    let decoder = codecs.picture(img.codec)?;
    let shown = img.shown();
    let display = props::Display::of(&img.heif, img.heif.primary);
    let (tiles, columns) = img.colour.tiles();
    let alpha_tiles = img.alpha.as_ref().map(|(coded, _)| coded.tiles().0);
    let premultiplied = img.alpha.as_ref().is_some_and(|(_, prem)| *prem);
    let tile_pixels = img.tile.0 as u64 * img.tile.1 as u64;
    let picture = |id: u32| -> Result<Picture> {
        let data = img.heif.data(id)?;
        let p = match img.codec {
            Codec::Av1 => decoder.decode(&data, tile_pixels)?,
            Codec::Hevc => {
                let hvcc = img.heif.property(id, b"hvcC").ok_or_else(|| Error::Undecodable("HEIC: a picture has no hvcC".into()))?;
                // HEVC codes whole blocks (up to 64 px) and crops to the picture's size after.
                let coded = |side: u32| side.div_ceil(64) as u64 * 64;
                decoder.decode(&hevc::stream(hvcc, &data)?, coded(img.tile.0) * coded(img.tile.1))?
            }
        };
        if (p.width, p.height) != img.tile {
            return Err(Error::Undecodable("HEIF: a picture is not the size its item says".into()));
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
            out = vec![0u8; shown.0 as usize * shown.1 as usize * channels];
        } else if yuv::channels(&colour, alpha.is_some()) != channels {
            return Err(Error::Undecodable("HEIF: grid tiles differ in their channels".into()));
        }
        let (x, y) = img.crop.map_or((0, 0), |(x, y, _, _)| (x as i64, y as i64));
        let at = ((i as u32 % columns) as i64 * img.tile.0 as i64 - x, (i as u32 / columns) as i64 * img.tile.1 as i64 - y);
        yuv::convert_into(&colour, signalled, alpha.as_ref().map(|a| (a, premultiplied)), &mut out, img.shown(), at)?;
    }
    let image = yuv::image_from(out, img.shown(), channels)?;
    let icc = display.icc.or_else(|| cicp.and_then(icc_for));
    Ok(Decoded { image, icc, exif: exif(&img.heif) })
}

/// The primary image's EXIF (the TIFF structure), for `metadata`: an `Exif` item describing it
/// (`cdsc`), whose data starts with the offset of the TIFF header.
fn exif(heif: &container::Heif) -> Option<Vec<u8>> {
    let id = heif.referring(b"cdsc", heif.primary).into_iter().find(|&id| heif.kind(id).is_ok_and(|k| &k == b"Exif"))?;
    let data = heif.data(id).ok()?;
    let offset = u32::from_be_bytes(data.get(..4)?.try_into().ok()?) as usize;
    data.get(4usize.checked_add(offset)?..).map(<[u8]>::to_vec)
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
