//! [`Shape`]: what happens to decoded pixels, decided from the header before any pixel is
//! decoded (`steps::geometry::shape`, `steps::overlays::place`), and read by every pixel step.
//! Plain data: it depends on no step.

use super::types::{Canvas, Rect};
use crate::transform::{Adjust, Border};
use image::metadata::Orientation;
use image::RgbaImage;
use std::ops::Range;

/// A mezzanine is close to the output's size, so a JPEG DCT scale down to just the output's
/// pixels would do most of the reduction with its crude filter: on a 24 MP photo's mezzanine,
/// 400 px outputs measured luma SSIM 0.955 against a float Lanczos resize of the original, 0.994
/// when decoded at twice the output's size or more (Lanczos then does at least half the work).
pub const MEZZANINE_MARGIN: f64 = 2.0;

/// What happens to decoded pixels, decided from the header before decoding: the same for a
/// still image and for every frame of an animation. Regions are in stored coordinates:
/// orientation is applied to the small output only.
pub struct Shape {
    /// The part of the full-size stored image that is kept.
    pub(in crate::pipeline) region: Rect,
    /// Full stored size.
    pub(in crate::pipeline) stored: (f64, f64),
    /// Resize target, in stored orientation.
    pub(in crate::pipeline) out: (u32, u32),
    pub(in crate::pipeline) orientation: Orientation,
    pub(in crate::pipeline) auto_crop: bool,
    /// `gravity=entropy`: the pixels choose by entropy rather than gradient energy.
    pub(in crate::pipeline) entropy: bool,
    /// `gravity=face` on a crop: the zoom (0–1) the faces found are framed with.
    pub(in crate::pipeline) faces: Option<f64>,
    /// Where a crop window may go: the stored image, less what a trim cut off.
    pub(in crate::pipeline) bounds: Rect,
    pub(in crate::pipeline) canvas: Option<Canvas>,
    pub(in crate::pipeline) output: (u32, u32),
    pub(in crate::pipeline) background: [u8; 4],
    pub(in crate::pipeline) adjust: Adjust,
    pub(in crate::pipeline) border: Option<Border>,
    /// Overlays ready to draw (`steps::overlays::place`).
    pub(in crate::pipeline) overlays: Vec<Placed>,
    /// How many times the output's pixels the decode must have at least (1, more for a
    /// mezzanine: [`Shape::within`], and for a face zoom, whose window is found in the pixels).
    pub(in crate::pipeline) margin: f64,
}

impl Shape {
    /// Bytes the prepared overlays hold.
    pub fn overlay_bytes(&self) -> u64 {
        self.overlays.iter().map(Placed::bytes).sum()
    }

    /// How many output-sized RGBA copies the effects hold at once (0 without effects).
    pub fn effect_copies(&self) -> u32 {
        let blur = if self.adjust.blur > 0 { 3 } else { 0 };
        let sharpen = if self.adjust.sharpen.0 > 0 { 6 } else { 0 };
        let frame = if self.border.is_some() || !self.overlays.is_empty() { 2 } else { 0 };
        blur.max(sharpen).max(frame)
    }

    /// The size of the encoded image.
    pub fn output_size(&self) -> (u32, u32) {
        self.output
    }

    /// The smallest full-image size that still has enough pixels for the output (shrink-on-load).
    /// Before `trim=border` has found its frame, for the untrimmed output (`pipeline::still` decodes again
    /// if the frame turns out to need more).
    pub fn needed(&self) -> (f64, f64) {
        let (w, h) = (self.stored.0 * self.out.0 as f64 / self.region.width, self.stored.1 * self.out.1 as f64 / self.region.height);
        ((w * self.margin).min(self.stored.0.max(w)), (h * self.margin).min(self.stored.1.max(h)))
    }

    /// The same plan for pixels of a reduced copy of the whole stored image, `w`×`h` (a
    /// mezzanine): the kept region scaled with it, so admission and decoding read that copy, at
    /// no less than twice the pixels needed ([`MEZZANINE_MARGIN`]).
    pub fn within(mut self, w: u32, h: u32) -> Shape {
        let (kx, ky) = (w as f64 / self.stored.0, h as f64 / self.stored.1);
        self.region = self.region.scaled_within(kx, ky, w, h);
        self.bounds = self.bounds.scaled_within(kx, ky, w, h);
        self.stored = (w as f64, h as f64);
        self.margin = self.margin.max(MEZZANINE_MARGIN);
        self
    }

    /// Whether the output has transparency: from the source, or from a transparent `pad`.
    pub fn has_alpha(&self, source_channels: u8) -> bool {
        source_channels.is_multiple_of(2) || (self.canvas.is_some() && self.background[3] < 255)
    }
}

/// An overlay ready to draw: its pixels and where they go on the canvas: the top-left corner of
/// one copy, and the columns and rows covered (one copy's, or the copies tiled from it along an
/// axis that repeats; clipped to the canvas when drawn).
pub struct Placed {
    pub(in crate::pipeline) img: RgbaImage,
    pub(in crate::pipeline) origin: (i64, i64),
    pub(in crate::pipeline) columns: Range<i64>,
    pub(in crate::pipeline) rows: Range<i64>,
    pub(in crate::pipeline) composite: crate::config::Composite,
}

impl Placed {
    /// Bytes held while the image is made.
    pub fn bytes(&self) -> u64 {
        self.img.as_raw().len() as u64
    }
}
