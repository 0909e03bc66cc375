//! [`Shape`]: what happens to decoded pixels, decided from the header before any pixel is
//! decoded, and read by every pixel step.

use super::codecs::port::Codecs;
use super::steps::geometry::{self, Canvas, Rect};
use super::steps::{orient, overlays, trim, PIXEL_STEPS};
use super::types::{swaps_axes, Pixels, Probe};
use crate::config::{Limits, Overlay};
use crate::error::Result;
use crate::transform::{Adjust, Border, Fit, Format, Transform};
use image::metadata::Orientation;
use image::DynamicImage;

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
    pub(in crate::pipeline) canvas: Option<Canvas>,
    pub(in crate::pipeline) output: (u32, u32),
    pub(in crate::pipeline) background: [u8; 4],
    pub(in crate::pipeline) adjust: Adjust,
    pub(in crate::pipeline) border: Option<Border>,
    /// Overlays ready to draw ([`Shape::prepare_overlays`]).
    pub(in crate::pipeline) overlays: Vec<overlays::Placed>,
}

impl Shape {
    pub fn new(probe: &Probe, transform: &Transform, limits: &Limits) -> Result<Shape> {
        Shape::build(probe, transform, limits, None)
    }

    /// `found`: the region a `trim=border` kept, in stored pixels, once it is known.
    pub fn build(probe: &Probe, transform: &Transform, limits: &Limits, found: Option<Rect>) -> Result<Shape> {
        // A vector has no pixel ceiling: "never enlarge" (scale-down, crop) means nothing for it,
        // so an SVG is drawn at the size asked, as contain and cover would.
        let vector;
        let transform = match (probe.format, transform.fit) {
            (Format::Svg, Fit::ScaleDown | Fit::Crop) => {
                let fit = if transform.fit == Fit::Crop { Fit::Cover } else { Fit::Contain };
                vector = Transform { fit, ..transform.clone() };
                &vector
            }
            _ => transform,
        };
        let stored = (probe.width as f64, probe.height as f64);
        // Trims count on the upright image (EXIF orientation applied), before rotate and flip.
        let (upright_w, upright_h) = probe.oriented_size();
        let asked = match &transform.trim {
            Some(t) => trim::edges(t, upright_w, upright_h)?.map(|r| orient::to_stored(r, probe.orientation, stored.0, stored.1)),
            None => None,
        };
        let kept = found.or(asked).unwrap_or(Rect { left: 0.0, top: 0.0, width: stored.0, height: stored.1 });
        let orientation = transform.orientation_after(probe.orientation);
        let turned = swaps_axes(orientation);
        let (kept_w, kept_h) = (kept.width.round() as u32, kept.height.round() as u32);
        let shown = if turned { (kept_h, kept_w) } else { (kept_w, kept_h) };
        let plan = geometry::plan(shown.0, shown.1, transform, limits.max_width, limits.max_height);
        let inside = orient::to_stored(plan.source, orientation, kept.width, kept.height);
        let border = transform.border;
        let (w, h) = plan.output_size();
        let output = border.map_or((w, h), |b| (w + b.left + b.right, h + b.top + b.bottom));
        Ok(Shape {
            region: Rect { left: kept.left + inside.left, top: kept.top + inside.top, ..inside },
            stored,
            out: if turned { (plan.height, plan.width) } else { (plan.width, plan.height) },
            orientation,
            auto_crop: plan.auto_crop,
            canvas: plan.canvas,
            output,
            background: transform.background_or_white(),
            adjust: transform.adjust,
            border,
            overlays: Vec::new(),
        })
    }

    /// Decodes and places the overlays for this output (before the source is decoded, so
    /// admission counts them).
    pub fn prepare_overlays(&mut self, overlays: &[(Overlay, Vec<u8>)], limits: &Limits, codecs: &Codecs<'_>) -> Result<()> {
        let canvas = match self.border {
            Some(b) => (self.output.0 - b.left - b.right, self.output.1 - b.top - b.bottom),
            None => self.output,
        };
        self.overlays =
            overlays.iter().map(|(spec, bytes)| overlays::prepare(spec, bytes, canvas, limits.memory_budget, codecs)).collect::<Result<_>>()?;
        Ok(())
    }

    /// Bytes the prepared overlays hold.
    pub fn overlay_bytes(&self) -> u64 {
        self.overlays.iter().map(overlays::Placed::bytes).sum()
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
        (self.stored.0 * self.out.0 as f64 / self.region.width, self.stored.1 * self.out.1 as f64 / self.region.height)
    }

    /// Whether the output has transparency: from the source, or from a transparent `pad`.
    pub fn has_alpha(&self, source_channels: u8) -> bool {
        source_channels.is_multiple_of(2) || (self.canvas.is_some() && self.background[3] < 255)
    }

    /// Runs [`PIXEL_STEPS`] in order.
    pub fn apply(&self, mut pixels: Pixels) -> Result<DynamicImage> {
        for step in PIXEL_STEPS {
            pixels = step(pixels, self)?;
        }
        Ok(pixels.img)
    }
}
