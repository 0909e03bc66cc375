//! The one boundary for the codecs that live outside Rust, each a wasm module of its own in the
//! worker (built by the repository's `codecs/`, reached through `edge::WasmCodecs`): libwebp
//! for WebP and its animation encoder, dav1d for AVIF, libde265 for HEIC. The host hands a [`Codecs`]
//! to every pipeline call that may meet one; natively, [`Codecs::NATIVE`] has `image`'s lossless
//! WebP and no picture decoder (AVIF and HEIC are then a 415).

use crate::error::{Error, Result};
use image::codecs::webp::WebPEncoder;
use image::ImageEncoder;

/// What the host provides. A picture decoder that is absent makes its input a 415 (HEIC's is
/// present only with `HEIC=true`).
#[derive(Clone, Copy)]
pub struct Codecs<'a> {
    pub webp: &'a dyn WebpEncoder,
    /// dav1d, for AVIF.
    pub av1: Option<&'a dyn PictureDecoder>,
    /// libde265, for HEIC.
    pub hevc: Option<&'a dyn PictureDecoder>,
}

impl Codecs<'_> {
    /// What a native build has: lossless WebP from `image`, no HEIF decoder.
    pub const NATIVE: Codecs<'static> = Codecs { webp: &LosslessWebp, av1: None, hevc: None };

    /// The decoder for `codec`, or the 415 that says why there is none.
    pub fn picture(&self, codec: Codec) -> Result<&dyn PictureDecoder> {
        match codec {
            Codec::Av1 => {
                self.av1.ok_or_else(|| Error::Unsupported("AVIF input needs the AV1 decoder, which this build does not have".into()))
            }
            Codec::Hevc => self.hevc.ok_or_else(|| {
                Error::Unsupported("HEIC input is off here: HEIC=true turns it on (HEVC is patent-encumbered: see docs/formats.md)".into())
            }),
        }
    }
}

/// A WebP encoder for 8-bit RGBA pixels.
pub trait WebpEncoder {
    fn encode_rgba(&self, rgba: &[u8], width: u32, height: u32, quality: u8) -> Result<Vec<u8>>;

    /// An animated WebP written frame by frame (libwebp's animation encoder, in the worker);
    /// `loops` 0 is forever.
    fn animation(&self, _width: u32, _height: u32, _loops: u32, _quality: u8) -> Result<Box<dyn AnimationWriter>> {
        Err(Error::Unsupported("animated WebP output is not available here".into()))
    }
}

/// An animation being written: frames of RGBA pixels of the animation's size, in order.
pub trait AnimationWriter {
    /// Adds a frame shown from `start_ms`.
    fn add(&mut self, rgba: &[u8], start_ms: u32) -> Result<()>;
    /// Ends the animation at `end_ms` (when the last frame stops) and returns the file.
    fn finish(self: Box<Self>, end_ms: u32) -> Result<Vec<u8>>;
}

/// `image`'s WebP encoder: lossless only (so `quality` is ignored), 10–20× larger than lossy for
/// photos. Used where libwebp is not available.
pub struct LosslessWebp;

impl WebpEncoder for LosslessWebp {
    fn encode_rgba(&self, rgba: &[u8], width: u32, height: u32, _quality: u8) -> Result<Vec<u8>> {
        let mut out = Vec::new();
        WebPEncoder::new_lossless(&mut out)
            .write_image(rgba, width, height, image::ExtendedColorType::Rgba8)
            .map_err(|e| Error::Internal(format!("encoding failed: {e}")))?;
        Ok(out)
    }
}

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
