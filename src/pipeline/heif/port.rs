//! The picture decoders the pipeline needs from its host for HEIF files: AV1 (dav1d) for AVIF
//! and HEVC (libde265) for HEIC, each a wasm module of its own in the worker (`codecs/`,
//! `edge/heif.rs`). Installed once per isolate, before the first request, because every step
//! that reads an original (probe, decode, `format=json`, overlays, uploads) may meet one; without
//! its decoder, that input is a 415 (HEIC's is installed only with `HEIC=true`: README).

use crate::error::{Error, Result};
use std::sync::OnceLock;

/// How the chroma planes are sampled (dav1d's `Dav1dPixelLayout`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    Grey,
    Yuv420,
    Yuv422,
    Yuv444,
}

impl Layout {
    /// dav1d's and libde265's numbering (the same).
    pub fn from_code(v: u32) -> Option<Layout> {
        match v {
            0 => Some(Layout::Grey),
            1 => Some(Layout::Yuv420),
            2 => Some(Layout::Yuv422),
            3 => Some(Layout::Yuv444),
            _ => None,
        }
    }

    /// Chroma plane size for a `width`×`height` luma plane (`(0, 0)` for grey).
    pub fn chroma_size(self, width: u32, height: u32) -> (u32, u32) {
        match self {
            Layout::Grey => (0, 0),
            Layout::Yuv420 => (width.div_ceil(2), height.div_ceil(2)),
            Layout::Yuv422 => (width.div_ceil(2), height),
            Layout::Yuv444 => (width, height),
        }
    }
}

/// Colour signalling in ITU-T H.273 code points (an AVIF `colr` box of type `nclx`, or else the
/// AV1 sequence header's).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cicp {
    pub primaries: u8,
    pub transfer: u8,
    pub matrix: u8,
    pub full_range: bool,
}

/// One decoded AV1 frame. Its planes stay where the decoder put them (dav1d's own memory in
/// the worker) and are read a row at a time, so our memory never holds them whole.
pub struct Picture {
    pub width: u32,
    pub height: u32,
    pub bit_depth: u8,
    pub layout: Layout,
    pub cicp: Cicp,
    pub rows: Box<dyn Rows>,
}

/// Row access to a picture's Y, U and V planes (U and V absent for grey); samples are one byte
/// each at 8 bits, two (little-endian) above.
pub trait Rows {
    /// Copies row `y` of `plane` into `out` (exactly one row's bytes), or says it cannot.
    fn copy_row(&self, plane: usize, y: u32, out: &mut [u8]) -> Result<()>;
}

/// Planes held in memory, `strides` bytes a row (tests, and any host that decodes natively).
pub struct StoredRows {
    pub planes: [Vec<u8>; 3],
    pub strides: [usize; 3],
}

impl Rows for StoredRows {
    fn copy_row(&self, plane: usize, y: u32, out: &mut [u8]) -> Result<()> {
        let start = y as usize * self.strides[plane];
        let row = self.planes[plane].get(start..start + out.len());
        out.copy_from_slice(row.ok_or_else(|| Error::Undecodable("AV1: decoded plane is smaller than its size".into()))?);
        Ok(())
    }
}

/// The video codecs HEIF images are coded with here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Codec {
    /// AVIF.
    Av1,
    /// HEIC.
    Hevc,
}

pub trait PictureDecoder {
    /// Decodes one still picture (AV1 OBUs; HEVC NAL units each behind a 4-byte length,
    /// parameter sets first); a picture of more than `max_pixels` is refused (the container's
    /// size was admitted, the bitstream is checked against it by the decoder).
    fn decode(&self, data: &[u8], max_pixels: u64) -> Result<Picture>;
}

static AV1: OnceLock<&'static (dyn PictureDecoder + Sync)> = OnceLock::new();
static HEVC: OnceLock<&'static (dyn PictureDecoder + Sync)> = OnceLock::new();

/// Installs the host's decoder for `codec` (the first call wins; later ones are no-ops).
pub fn install(codec: Codec, decoder: &'static (dyn PictureDecoder + Sync)) {
    let _ = match codec {
        Codec::Av1 => AV1.set(decoder),
        Codec::Hevc => HEVC.set(decoder),
    };
}

pub fn decoder(codec: Codec) -> Result<&'static (dyn PictureDecoder + Sync)> {
    match codec {
        Codec::Av1 => {
            AV1.get().copied().ok_or_else(|| Error::Unsupported("AVIF input needs the AV1 decoder, which this build does not have".into()))
        }
        Codec::Hevc => HEVC.get().copied().ok_or_else(|| {
            Error::Unsupported("HEIC input is off here: HEIC=true turns it on (HEVC is patent-encumbered: see the README)".into())
        }),
    }
}
