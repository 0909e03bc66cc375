//! Where every output pixel comes from: pure arithmetic, no pixels. Given the displayed
//! (oriented) source size and the transform, decide the output size, the source region that is
//! scaled into it and, for `pad`, the canvas around it. Sides round to the nearest pixel, at
//! least 1 (as sharp and imgproxy do).

use super::{orient, trim};
use crate::config::Limits;
use crate::error::Result;
use crate::pipeline::shape::Shape;
use crate::pipeline::types::{swaps_axes, Canvas, Probe, Rect};
use crate::transform::{Fit, Format, Gravity, Transform};

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Plan {
    /// Size the source region is scaled to, as displayed.
    pub width: u32,
    pub height: u32,
    /// Region of the (displayed) source that fills it.
    pub source: Rect,
    /// For `pad`, the larger canvas the image is placed on.
    pub canvas: Option<Canvas>,
    /// The crop window may slide along an axis, and `gravity=auto` asks the pixels where.
    pub auto_crop: bool,
}

impl Plan {
    /// The size of the encoded image.
    pub fn output_size(&self) -> (u32, u32) {
        self.canvas.map(|c| (c.width, c.height)).unwrap_or((self.width, self.height))
    }
}

/// Step 2: the [`Shape`] of this output, from the header alone. `found`: the region a
/// `trim=border` kept, in stored pixels, once it is known (`None` before).
pub fn shape(probe: &Probe, transform: &Transform, limits: &Limits, found: Option<Rect>) -> Result<Shape> {
    // A vector has no pixel ceiling: "never enlarge" (scale-down, crop, aspect-crop) and "never
    // shrink" (scale-up) mean nothing for it, so an SVG is drawn at the size asked, as contain
    // and cover would.
    let vector;
    let transform = match (probe.format, transform.fit) {
        (Format::Svg, Fit::ScaleDown | Fit::Crop | Fit::AspectCrop | Fit::ScaleUp) => {
            let fit = if matches!(transform.fit, Fit::Crop | Fit::AspectCrop) { Fit::Cover } else { Fit::Contain };
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
    let plan = plan(shown.0, shown.1, transform, limits.max_width, limits.max_height);
    let inside = orient::to_stored(plan.source, orientation, kept.width, kept.height);
    // A face zoom narrows the window to what the detector finds: the decode keeps up to 4× the
    // pixels a side at zoom 1 (a head a quarter of the plain crop's width, unblurred), within the
    // budget (`admit::margin_within_budget`).
    let crops = transform.fit.crops() && transform.width.is_some() && transform.height.is_some() && transform.size.is_none();
    let zoom = transform.zoom.map_or(0.0, |z| z.value() as f64);
    let faces = (transform.gravity == Gravity::Face && crops && (plan.auto_crop || zoom > 0.0)).then_some(zoom);
    let border = transform.border;
    let (w, h) = plan.output_size();
    let output = border.map_or((w, h), |b| (w + b.left + b.right, h + b.top + b.bottom));
    Ok(Shape {
        region: Rect { left: kept.left + inside.left, top: kept.top + inside.top, ..inside },
        stored,
        out: if turned { (plan.height, plan.width) } else { (plan.width, plan.height) },
        orientation,
        auto_crop: plan.auto_crop,
        entropy: transform.gravity == Gravity::Entropy,
        faces,
        bounds: kept,
        canvas: plan.canvas,
        output,
        background: transform.background_or_white(),
        adjust: transform.adjust,
        border,
        overlays: Vec::new(),
        // (A vector is drawn at the output's own size: nothing to reduce.)
        margin: match (faces, probe.format) {
            (Some(_), _) => 1.0 + 3.0 * zoom,
            (None, Format::Svg) => 1.0,
            (None, _) => QUALITY_MARGIN,
        },
    })
}

/// The decode keeps at least twice the output's pixels a side, so Lanczos does at least a factor
/// of two of the reduction (libvips' rule): with the DCT scale doing most of it, the output was a
/// box filter's (luma SSIM 0.925–0.961 against a float Lanczos resize of a 6 MP corpus photo at
/// 400–600 px, sharp 0.990–0.993; with this, 0.988–0.993). Dropped to 1 when the larger decode
/// is over the memory budget (`admit::margin_within_budget`).
pub const QUALITY_MARGIN: f64 = 2.0;

/// Decides the output for a `src_w`×`src_h` (displayed) image. `max_w`/`max_h` cap every output,
/// including one that only changes the format.
pub fn plan(src_w: u32, src_h: u32, t: &Transform, max_w: u32, max_h: u32) -> Plan {
    let (sw, sh) = (src_w as f64, src_h as f64);
    let whole = Rect { left: 0.0, top: 0.0, width: sw, height: sh };
    if let Some(preset) = t.size {
        let (bw, bh) = preset.box_for(src_w, src_h);
        return inside(sw, sh, bw.min(max_w), bh.min(max_h), false, whole);
    }
    let (bw, bh) = match (t.width, t.height) {
        (Some(w), Some(h)) => (w, h),
        // One side given: the other is free, up to the configured maximum.
        (Some(w), None) => (w, max_h),
        (None, Some(h)) => (max_w, h),
        // Nothing given (a format change, a rotation): only the maximum applies, nothing is enlarged.
        (None, None) => return inside(sw, sh, max_w, max_h, false, whole),
    };
    let both = t.width.is_some() && t.height.is_some();
    match t.fit {
        Fit::ScaleDown => inside(sw, sh, bw, bh, false, whole),
        Fit::Contain => inside(sw, sh, bw, bh, true, whole),
        Fit::Cover if both => cover(sw, sh, bw, bh, t.gravity),
        Fit::Crop if both => {
            if (bw as f64) <= sw && (bh as f64) <= sh {
                cover(sw, sh, bw, bh, t.gravity)
            } else {
                // Never enlarge: cut the box down to the source, then crop it out unscaled.
                let (w, h) = (bw.min(src_w), bh.min(src_h));
                let source = window(sw, sh, w as f64, h as f64, t.gravity);
                Plan { width: w, height: h, source, canvas: None, auto_crop: t.gravity.from_pixels() && (w < src_w || h < src_h) }
            }
        }
        Fit::Pad if both => {
            let fitted = inside(sw, sh, bw, bh, true, whole);
            let canvas = Canvas { width: bw, height: bh, left: (bw - fitted.width) / 2, top: (bh - fitted.height) / 2 };
            Plan { canvas: Some(canvas), ..fitted }
        }
        Fit::AspectCrop if both => {
            let scale = (bw as f64 / sw).max(bh as f64 / sh);
            if scale <= 1.0 {
                cover(sw, sh, bw, bh, t.gravity)
            } else {
                // Never enlarge: the box shrinks, keeping its shape, to the largest the source has.
                let (cw, ch) = ((bw as f64 / scale).min(sw), (bh as f64 / scale).min(sh));
                let (w, h) = (side(cw), side(ch));
                let source = window(sw, sh, cw, ch, t.gravity);
                Plan { width: w, height: h, source, canvas: None, auto_crop: t.gravity.from_pixels() && (cw < sw || ch < sh) }
            }
        }
        // Never shrink: a source that already reaches the box keeps its size (within the maximum).
        Fit::ScaleUp => match (bw as f64 / sw).min(bh as f64 / sh) > 1.0 {
            true => inside(sw, sh, bw, bh, true, whole),
            false => inside(sw, sh, max_w, max_h, false, whole),
        },
        Fit::Cover | Fit::Pad => inside(sw, sh, bw, bh, true, whole),
        Fit::AspectCrop => inside(sw, sh, bw, bh, false, whole),
        Fit::Crop => inside(sw, sh, bw, bh, false, whole),
        Fit::Squeeze => {
            // A missing side keeps the aspect ratio, so only a given pair can distort.
            let scaled = inside(sw, sh, bw, bh, true, whole);
            Plan { width: t.width.unwrap_or(scaled.width), height: t.height.unwrap_or(scaled.height), ..scaled }
        }
    }
}

/// Scales the whole source to fit inside `bw`×`bh`.
fn inside(sw: f64, sh: f64, bw: u32, bh: u32, enlarge: bool, whole: Rect) -> Plan {
    let scale = (bw as f64 / sw).min(bh as f64 / sh);
    let (width, height) = if scale >= 1.0 && !enlarge {
        (sw as u32, sh as u32)
    } else if bw as f64 / sw <= bh as f64 / sh {
        // The binding side is exact; only the other one is rounded.
        (bw, side(sh * bw as f64 / sw))
    } else {
        (side(sw * bh as f64 / sh), bh)
    };
    Plan { width, height, source: whole, canvas: None, auto_crop: false }
}

/// Fills `bw`×`bh` exactly, cropping the overflow where `gravity` says.
fn cover(sw: f64, sh: f64, bw: u32, bh: u32, gravity: Gravity) -> Plan {
    let scale = (bw as f64 / sw).max(bh as f64 / sh);
    let (cw, ch) = ((bw as f64 / scale).min(sw), (bh as f64 / scale).min(sh));
    let auto_crop = gravity.from_pixels() && (cw < sw || ch < sh);
    Plan { width: bw, height: bh, source: window(sw, sh, cw, ch, gravity), canvas: None, auto_crop }
}

/// A `cw`×`ch` window inside `sw`×`sh`, centred on the gravity's focal point as far as the
/// edges allow, or for `Remainder` with that share of the overflow before it. `Auto` starts
/// centred; the pipeline moves it after looking at the pixels.
fn window(sw: f64, sh: f64, cw: f64, ch: f64, gravity: Gravity) -> Rect {
    let (fx, fy) = gravity.focus().unwrap_or((0.5, 0.5));
    let (left, top) = match gravity {
        Gravity::Remainder { .. } => (fx * (sw - cw), fy * (sh - ch)),
        _ => ((fx * sw - cw / 2.0).clamp(0.0, sw - cw), (fy * sh - ch / 2.0).clamp(0.0, sh - ch)),
    };
    Rect { left, top, width: cw, height: ch }
}

fn side(x: f64) -> u32 {
    (x.round() as u32).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transform::SizePreset;

    fn t(w: Option<u32>, h: Option<u32>, fit: Fit) -> Transform {
        Transform { width: w, height: h, fit, ..Default::default() }
    }

    fn size(src: (u32, u32), tr: &Transform) -> (u32, u32) {
        plan(src.0, src.1, tr, 4096, 4096).output_size()
    }

    #[test]
    fn computed_sides_round_to_nearest() {
        assert_eq!(size((600, 400), &t(Some(100), None, Fit::ScaleDown)), (100, 67));
        assert_eq!(size((600, 400), &t(None, Some(100), Fit::ScaleDown)), (150, 100));
        assert_eq!(size((3000, 1), &t(Some(10), None, Fit::ScaleDown)), (10, 1), "at least one pixel");
    }

    /// (fit, source size, expected output size)
    type Case = (Fit, (u32, u32), (u32, u32));

    /// Every fit × (landscape, portrait, square) × (down, up), with a 300×200 box.
    #[test]
    fn every_fit_on_every_shape() {
        let boxed = |fit| t(Some(300), Some(200), fit);
        let cases: &[Case] = &[
            // down
            (Fit::ScaleDown, (1200, 600), (300, 150)),
            (Fit::ScaleDown, (600, 1200), (100, 200)),
            (Fit::ScaleDown, (1000, 1000), (200, 200)),
            (Fit::Contain, (1200, 600), (300, 150)),
            (Fit::Contain, (600, 1200), (100, 200)),
            (Fit::Contain, (1000, 1000), (200, 200)),
            (Fit::Cover, (1200, 600), (300, 200)),
            (Fit::Cover, (600, 1200), (300, 200)),
            (Fit::Cover, (1000, 1000), (300, 200)),
            (Fit::Crop, (1200, 600), (300, 200)),
            (Fit::Crop, (600, 1200), (300, 200)),
            (Fit::Crop, (1000, 1000), (300, 200)),
            (Fit::Pad, (1200, 600), (300, 200)),
            (Fit::Pad, (600, 1200), (300, 200)),
            (Fit::Pad, (1000, 1000), (300, 200)),
            (Fit::Squeeze, (1200, 600), (300, 200)),
            (Fit::Squeeze, (600, 1200), (300, 200)),
            (Fit::Squeeze, (1000, 1000), (300, 200)),
            (Fit::AspectCrop, (1200, 600), (300, 200)),
            (Fit::AspectCrop, (600, 1200), (300, 200)),
            (Fit::AspectCrop, (1000, 1000), (300, 200)),
            (Fit::ScaleUp, (1200, 600), (1200, 600)),
            (Fit::ScaleUp, (600, 1200), (600, 1200)),
            (Fit::ScaleUp, (1000, 1000), (1000, 1000)),
            // up
            (Fit::ScaleDown, (120, 60), (120, 60)),
            (Fit::ScaleDown, (60, 120), (60, 120)),
            (Fit::ScaleDown, (100, 100), (100, 100)),
            (Fit::Contain, (120, 60), (300, 150)),
            (Fit::Contain, (60, 120), (100, 200)),
            (Fit::Contain, (100, 100), (200, 200)),
            (Fit::Cover, (120, 60), (300, 200)),
            (Fit::Cover, (60, 120), (300, 200)),
            (Fit::Cover, (100, 100), (300, 200)),
            (Fit::Crop, (120, 60), (120, 60)),
            (Fit::Crop, (60, 120), (60, 120)),
            (Fit::Crop, (100, 100), (100, 100)),
            (Fit::Pad, (120, 60), (300, 200)),
            (Fit::Pad, (60, 120), (300, 200)),
            (Fit::Pad, (100, 100), (300, 200)),
            (Fit::Squeeze, (120, 60), (300, 200)),
            (Fit::Squeeze, (60, 120), (300, 200)),
            (Fit::Squeeze, (100, 100), (300, 200)),
            // The box's 3:2 shape, shrunk to what the source has: never enlarged.
            (Fit::AspectCrop, (120, 60), (90, 60)),
            (Fit::AspectCrop, (60, 120), (60, 40)),
            (Fit::AspectCrop, (100, 100), (100, 67)),
            (Fit::ScaleUp, (120, 60), (300, 150)),
            (Fit::ScaleUp, (60, 120), (100, 200)),
            (Fit::ScaleUp, (100, 100), (200, 200)),
        ];
        for &(fit, src, want) in cases {
            assert_eq!(size(src, &boxed(fit)), want, "{fit:?} {src:?}");
        }
    }

    /// Between the two: a source wider than the box but not as tall keeps the box's shape from
    /// its full height (aspect-crop), where `crop` gives up the shape; one side given, the new
    /// modes never enlarge (aspect-crop) or never shrink (scale-up).
    #[test]
    fn aspect_crop_keeps_the_shape_and_scale_up_never_shrinks() {
        assert_eq!(size((800, 150), &t(Some(300), Some(200), Fit::AspectCrop)), (225, 150));
        assert_eq!(size((800, 150), &t(Some(300), Some(200), Fit::Crop)), (300, 150));
        let p = plan(800, 150, &Transform { gravity: Gravity::Right, ..t(Some(300), Some(200), Fit::AspectCrop) }, 4096, 4096);
        assert_eq!((p.source.left, p.source.width, p.source.height), (575.0, 225.0, 150.0), "the window, unscaled, at the gravity");
        assert_eq!(size((600, 400), &t(Some(1200), None, Fit::AspectCrop)), (600, 400));
        assert_eq!(size((600, 400), &t(Some(1200), None, Fit::ScaleUp)), (1200, 800));
        assert_eq!(size((600, 400), &t(Some(100), None, Fit::ScaleUp)), (600, 400));
        assert_eq!(plan(5000, 100, &t(Some(100), None, Fit::ScaleUp), 4096, 4096).output_size(), (4096, 82), "within the maximum");
    }

    #[test]
    fn pad_centres_the_contained_image_on_the_canvas() {
        let p = plan(1200, 600, &t(Some(300), Some(200), Fit::Pad), 4096, 4096);
        assert_eq!((p.width, p.height), (300, 150));
        assert_eq!(p.canvas, Some(Canvas { width: 300, height: 200, left: 0, top: 25 }));
    }

    #[test]
    fn gravity_places_the_crop_window() {
        let cases = [
            (Gravity::Center, 300.0, 0.0),
            (Gravity::Left, 0.0, 0.0),
            (Gravity::Right, 600.0, 0.0),
            (Gravity::TopRight, 600.0, 0.0),
            (Gravity::Focal { x: 100, y: 500 }, 0.0, 0.0),
            (Gravity::Focal { x: 600, y: 500 }, 420.0, 0.0),
            // The overflow is 600 px: 0.6 of it on the left, 0.1 of it, never clamped.
            (Gravity::Remainder { x: 600, y: 500 }, 360.0, 0.0),
            (Gravity::Remainder { x: 100, y: 500 }, 60.0, 0.0),
            (Gravity::Remainder { x: 1000, y: 0 }, 600.0, 0.0),
        ];
        for (g, left, top) in cases {
            let tr = Transform { gravity: g, ..t(Some(300), Some(300), Fit::Cover) };
            let p = plan(1200, 600, &tr, 4096, 4096);
            assert_eq!((p.source.left, p.source.top, p.source.width, p.source.height), (left, top, 600.0, 600.0), "{g:?}");
        }
        let tall = Transform { gravity: Gravity::Bottom, ..t(Some(300), Some(300), Fit::Cover) };
        assert_eq!(plan(600, 1200, &tall, 4096, 4096).source.top, 600.0);
    }

    #[test]
    fn crop_never_enlarges_but_still_crops_an_oversized_side() {
        let p = plan(1000, 100, &t(Some(300), Some(200), Fit::Crop), 4096, 4096);
        assert_eq!((p.width, p.height), (300, 100));
        assert_eq!(p.source, Rect { left: 350.0, top: 0.0, width: 300.0, height: 100.0 });
    }

    #[test]
    fn size_presets_fit_inside_the_oriented_box_without_enlarging() {
        let l = Transform { size: Some(SizePreset::L), ..Default::default() };
        assert_eq!(size((4000, 3000), &l), (960, 720));
        assert_eq!(size((3000, 4000), &l), (720, 960));
        assert_eq!(size((5000, 2000), &l), (1280, 512));
        assert_eq!(size((800, 600), &l), (800, 600));
        assert_eq!(size((2000, 2000), &Transform { size: Some(SizePreset::SXS), ..Default::default() }), (180, 180));
    }

    #[test]
    fn the_configured_maximum_caps_every_output() {
        assert_eq!(plan(10000, 5000, &Transform::default(), 4096, 4096).output_size(), (4096, 2048));
        let p = plan(100, 1000, &t(Some(1000), None, Fit::Contain), 4096, 4096);
        assert_eq!((p.width, p.height), (410, 4096), "enlarging stops at the maximum height");
    }
}
