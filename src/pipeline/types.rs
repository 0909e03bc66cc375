//! The types the pipeline's steps hand each other: what a header says ([`Probe`]), decoded
//! pixels ([`Decoded`], then [`Pixels`] through the pixel steps), rectangles, and what the
//! pipeline gives back ([`Output`]). [`Shape`](super::shape::Shape), the plan decided before
//! decoding, has a file of its own. Plain data: it depends on nothing else of the pipeline.

use crate::transform::Format;
use image::metadata::Orientation;
use image::DynamicImage;

/// What the header says, before any pixel buffer exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Probe {
    pub format: Format,
    /// Size as stored, before orientation is applied.
    pub width: u32,
    pub height: u32,
    pub orientation: Orientation,
    /// Bytes per pixel the decoder produces (16-bit samples count twice); drives memory estimates.
    pub decoded_bpp: u8,
    /// Channels after reduction to 8 bits (1 grey, 2 grey+alpha, 3 RGB, 4 RGBA; CMYK becomes RGB).
    pub channels: u8,
    /// Progressive JPEGs buffer every DCT coefficient while decoding.
    pub progressive: bool,
    /// Bytes the decoder holds whatever the decode scale: a progressive JPEG's coefficients (2 per
    /// coefficient, per component at its own sampling), an SVG's embedded images; else 0.
    pub held_bytes: u64,
    /// A progressive JPEG that `progressive` takes: its blocks, whose coefficients it
    /// keeps only in part at a reduced scale (admission counts `held_bytes` at full size); else 0.
    pub kept_blocks: u64,
    /// Bytes of the decoder's own sample planes at full size: per component at its sampling
    /// for JPEG (1.5 a pixel for 4:2:0), the decoded pixels for other formats.
    pub plane_bytes: u64,
    /// Peak bytes of a decoder that runs in a wasm instance of its own (dav1d, for AVIF),
    /// checked against its own budget; else 0.
    pub decoder_bytes: u64,
}

impl Probe {
    /// Size as displayed, after orientation.
    pub fn oriented_size(&self) -> (u32, u32) {
        if swaps_axes(self.orientation) {
            (self.height, self.width)
        } else {
            (self.width, self.height)
        }
    }
}

/// Whether an EXIF orientation turns the image a quarter (width and height trade places).
pub fn swaps_axes(o: Orientation) -> bool {
    matches!(o, Orientation::Rotate90 | Orientation::Rotate270 | Orientation::Rotate90FlipH | Orientation::Rotate270FlipH)
}

/// Decoded pixels, the ICC profile they are in (`None`: sRGB, or already converted), and a
/// JPEG's EXIF (the TIFF structure), for `metadata`.
pub struct Decoded {
    pub image: DynamicImage,
    pub icc: Option<Vec<u8>>,
    pub exif: Option<Vec<u8>>,
}

/// Decoded pixels on their way through [`PIXEL_STEPS`](super::steps::PIXEL_STEPS).
pub struct Pixels {
    pub img: DynamicImage,
    /// The part of `img` that is kept, once [`region::step`](super::steps::region::step) has
    /// chosen it (an animation chooses it on the first frame and hands it to every other frame).
    pub region: Option<Rect>,
    /// The ICC profile the pixels are in (`None`: sRGB).
    pub icc: Option<Vec<u8>>,
    /// Why the crop is not what was asked (`gravity=face` with no face found), said by `region`.
    pub note: Option<&'static str>,
}

/// The encoded result and what it cost.
#[derive(Debug)]
pub struct Output {
    pub bytes: Vec<u8>,
    pub format: Format,
    pub width: u32,
    pub height: u32,
    pub timings: Timings,
    /// What admission control estimated for the peak memory of this transform, in bytes.
    pub estimated_peak: u64,
    /// Why the bytes are not what was asked for (an animation served unchanged, another format
    /// than AVIF), for a header.
    pub note: Option<String>,
    /// The original's own bytes (an animation over its budget): not a variant to store.
    pub unchanged: bool,
    /// The original read is one that gets a mezzanine (`pipeline::mezzanine::size_for`).
    pub mezzanine: bool,
}

/// A mezzanine's pixels, to be encoded ([`crate::pipeline::mezzanine`]).
#[derive(Debug)]
pub struct Made {
    /// Upright sRGB pixels, `MEZZANINE_SIDE` on the longer side.
    pub img: DynamicImage,
    /// The original's EXIF (the TIFF structure), for `metadata` of the outputs made from it.
    pub exif: Option<Vec<u8>>,
    /// The original's size as displayed (upright).
    pub of: (u32, u32),
}

/// Milliseconds spent in each step, for `Server-Timing`.
#[derive(Debug, Default, Clone, Copy)]
pub struct Timings {
    pub decode: f64,
    pub resize: f64,
    pub encode: f64,
}

/// A rectangle in source pixels (fractional, as the resizer accepts sub-pixel crops).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rect {
    pub left: f64,
    pub top: f64,
    pub width: f64,
    pub height: f64,
}

impl Rect {
    /// Scales the rectangle by `kx`, `ky` and keeps it inside a `w`×`h` image: scaling by a
    /// ratio of integer sizes can overshoot the edge by a rounding error.
    pub fn scaled_within(self, kx: f64, ky: f64, w: u32, h: u32) -> Rect {
        let (w, h) = (w as f64, h as f64);
        let left = (self.left * kx).clamp(0.0, w);
        let top = (self.top * ky).clamp(0.0, h);
        Rect { left, top, width: (self.width * kx).min(w - left), height: (self.height * ky).min(h - top) }
    }

    /// Scaled by `k` on both axes (no bounds).
    pub fn scaled(self, k: f64) -> Rect {
        Rect { left: self.left * k, top: self.top * k, width: self.width * k, height: self.height * k }
    }

    /// Grown by `k` times its size on every side.
    pub fn grown(self, k: f64) -> Rect {
        let (dx, dy) = (self.width * k, self.height * k);
        Rect { left: self.left - dx, top: self.top - dy, width: self.width + 2.0 * dx, height: self.height + 2.0 * dy }
    }

    /// The smallest rectangle holding both.
    pub fn union(self, other: Rect) -> Rect {
        let (left, top) = (self.left.min(other.left), self.top.min(other.top));
        let right = (self.left + self.width).max(other.left + other.width);
        let bottom = (self.top + self.height).max(other.top + other.height);
        Rect { left, top, width: right - left, height: bottom - top }
    }
}

/// `pad`: the output canvas and where the scaled image sits on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Canvas {
    pub width: u32,
    pub height: u32,
    pub left: u32,
    pub top: u32,
}
