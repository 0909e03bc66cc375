//! AVIF input. avif-parse reads the container (the primary item's AV1 data and its alpha
//! item's, and their sequence headers: the size, bit depth and sampling, before any decoding),
//! [`props`] the orientation and colour properties, the host's [`port::Av1Decoder`] (dav1d)
//! decodes, and [`yuv`] turns the planes into 8-bit pixels. A grid (tiled) image, an animation's
//! frames beyond the primary image and HDR transfer curves are not supported (README).

pub mod port;
pub mod props;
pub mod yuv;

use super::decode::Decoded;
use super::probe::{self, Probe};
use crate::error::{Error, Result};
use crate::transform::Format;
use avif_parse::{AV1Metadata, AvifData};

/// Whether an ISO BMFF file is AVIF: `avif` or `avis` as its major brand or among the compatible
/// brands of its `ftyp` (a HEIF file names `heic`, `mif1` and the like instead).
pub fn is_avif(bytes: &[u8]) -> bool {
    let Some((kind, ftyp)) = props::boxes(bytes).next() else { return false };
    kind == *b"ftyp" && ftyp.len() >= 4 && {
        let brand = |b: &[u8]| b == b"avif" || b == b"avis";
        brand(&ftyp[..4]) || ftyp.get(8..).unwrap_or_default().chunks_exact(4).any(brand)
    }
}

fn parse(bytes: &[u8]) -> Result<AvifData> {
    AvifData::from_reader(&mut &bytes[..]).map_err(|e| match e {
        avif_parse::Error::Unsupported(what) => Error::Unsupported(format!("AVIF: {what}")),
        other => Error::Undecodable(format!("AVIF: {other}")),
    })
}

fn metadata(obus: &[u8]) -> Result<AV1Metadata> {
    AV1Metadata::parse_av1_bitstream(obus).map_err(|e| Error::Undecodable(format!("AVIF: AV1 sequence header: {e}")))
}

/// Bytes dav1d's own memory (an instance of its own for each picture) reaches while decoding a
/// picture whose planes are `plane_bytes`: measured (V8, `scripts/bench_avif.mjs`) 0.6 MB before
/// any picture, then 2.15–2.7 B/px at 4:2:0 and 4.0 at 4:4:4 (1 to 12 MP, 8 bits): the
/// padded planes, 1.4× the plain ones, and block data. With a margin: 2 MB + 1.4× + ¼ B/px.
pub fn decoder_bytes(width: u32, height: u32, plane_bytes: u64) -> u64 {
    (2 << 20) + plane_bytes * 7 / 5 + width as u64 * height as u64 / 4
}

/// Size, orientation and what decoding will hold, from the container and the sequence headers.
pub fn probe(bytes: &[u8]) -> Result<Probe> {
    let avif = parse(bytes)?;
    let meta = metadata(&avif.primary_item)?;
    let alpha = avif.alpha_item.as_deref().map(metadata).transpose()?;
    let (width, height) = (meta.max_frame_width.get(), meta.max_frame_height.get());
    let sample = if meta.bit_depth > 8 { 2 } else { 1 };
    let (cw, ch) = if meta.monochrome {
        (0, 0)
    } else {
        (width.div_ceil(1 + meta.chroma_subsampling.0 as u32), height.div_ceil(1 + meta.chroma_subsampling.1 as u32))
    };
    let colour = (width as u64 * height as u64 + 2 * cw as u64 * ch as u64) * sample;
    let channels = if meta.monochrome { 1 } else { 3 } + alpha.is_some() as u8;
    Ok(Probe {
        format: Format::Avif,
        width,
        height,
        orientation: props::read(bytes).orientation(),
        decoded_bpp: channels,
        channels,
        progressive: false,
        held_bytes: 0,
        kept_blocks: 0,
        // Read from dav1d's memory a row at a time: a few rows of floats.
        plane_bytes: 0,
        // The alpha item (a grey picture) is decoded while the colour one is still held.
        decoder_bytes: decoder_bytes(width, height, colour)
            + alpha.map_or(0, |_| decoder_bytes(width, height, width as u64 * height as u64 * sample)),
    })
}

/// The primary image (and its alpha) as 8-bit pixels, in stored orientation; its ICC profile,
/// or one made from its colour code points when they are not sRGB's.
pub fn decode(bytes: &[u8], probe: &Probe) -> Result<Decoded> {
    let decoder = port::decoder()?;
    let avif = parse(bytes)?;
    let display = props::read(bytes);
    let max_pixels = probe.width as u64 * probe.height as u64;
    let colour = decoder.decode(&avif.primary_item, max_pixels)?;
    if (colour.width, colour.height) != (probe.width, probe.height) {
        return Err(Error::Undecodable("AVIF: the picture is not the size its sequence header says".into()));
    }
    let alpha = match avif.alpha_item.as_deref() {
        Some(obus) => Some(decoder.decode(obus, max_pixels)?),
        None => None,
    };
    let cicp = display.nclx.unwrap_or(colour.cicp);
    let image = yuv::to_image(&colour, cicp, alpha.as_ref().map(|a| (a, avif.premultiplied_alpha)))?;
    let icc = display.icc.or_else(|| icc_for(cicp));
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

use port::Cicp;

#[cfg(test)]
mod tests;
