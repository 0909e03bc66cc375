//! Where every output pixel comes from: pure arithmetic, no pixels. Given the displayed
//! (oriented) source size and the transform, decide the output size and the source region
//! that is scaled into it. Sides round to the nearest pixel, at least 1 (as sharp and imgproxy).

use crate::transform::{Fit, Transform};

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
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Plan {
    /// Output size, as displayed.
    pub width: u32,
    pub height: u32,
    /// Region of the (displayed) source that fills the output.
    pub source: Rect,
}

impl Plan {
    /// True when the output is the source, pixel for pixel.
    pub fn is_noop(&self, src_w: u32, src_h: u32) -> bool {
        (self.width, self.height) == (src_w, src_h) && self.source == full(src_w, src_h)
    }
}

/// Decides the output for a `src_w`×`src_h` (displayed) image. `max_w`/`max_h` cap every output,
/// including one that only changes the format.
pub fn plan(src_w: u32, src_h: u32, t: &Transform, max_w: u32, max_h: u32) -> Plan {
    let (sw, sh) = (src_w as f64, src_h as f64);
    let whole = full(src_w, src_h);
    let (bw, bh) = match (t.width, t.height) {
        (Some(w), Some(h)) => (w, h),
        // One side given: the other is free, up to the configured maximum.
        (Some(w), None) => (w, max_h),
        (None, Some(h)) => (max_w, h),
        // Nothing given (a format change): only the maximum applies, and nothing is enlarged.
        (None, None) => return inside(sw, sh, max_w, max_h, false, whole),
    };
    let both = t.width.is_some() && t.height.is_some();
    match t.fit {
        Fit::ScaleDown => inside(sw, sh, bw, bh, false, whole),
        Fit::Contain => inside(sw, sh, bw, bh, true, whole),
        Fit::Cover if both => cover(sw, sh, bw, bh),
        Fit::Crop if both => {
            if (bw as f64) <= sw && (bh as f64) <= sh {
                cover(sw, sh, bw, bh)
            } else {
                // Never enlarge: cut the box down to the source, then take its centre unscaled.
                let (w, h) = (bw.min(src_w), bh.min(src_h));
                let source = Rect { left: (sw - w as f64) / 2.0, top: (sh - h as f64) / 2.0, width: w as f64, height: h as f64 };
                if (w as f64) < sw || (h as f64) < sh {
                    Plan { width: w, height: h, source }
                } else {
                    Plan { width: w, height: h, source: whole }
                }
            }
        }
        Fit::Cover => inside(sw, sh, bw, bh, true, whole),
        Fit::Crop => inside(sw, sh, bw, bh, false, whole),
        Fit::Squeeze => {
            // A missing side keeps the aspect ratio, so only a given pair can distort.
            let scaled = inside(sw, sh, bw, bh, true, whole);
            Plan { width: t.width.unwrap_or(scaled.width), height: t.height.unwrap_or(scaled.height), source: whole }
        }
    }
}

/// Scales the whole source to fit inside `bw`×`bh`.
fn inside(sw: f64, sh: f64, bw: u32, bh: u32, enlarge: bool, whole: Rect) -> Plan {
    let scale = (bw as f64 / sw).min(bh as f64 / sh);
    if scale >= 1.0 && !enlarge {
        return Plan { width: sw as u32, height: sh as u32, source: whole };
    }
    // The binding side is exact; only the other one is rounded.
    let (width, height) = if bw as f64 / sw <= bh as f64 / sh { (bw, side(sh * bw as f64 / sw)) } else { (side(sw * bh as f64 / sh), bh) };
    Plan { width, height, source: whole }
}

/// Fills `bw`×`bh` exactly, cropping the overflow around the centre.
fn cover(sw: f64, sh: f64, bw: u32, bh: u32) -> Plan {
    let scale = (bw as f64 / sw).max(bh as f64 / sh);
    let (cw, ch) = ((bw as f64 / scale).min(sw), (bh as f64 / scale).min(sh));
    Plan { width: bw, height: bh, source: Rect { left: (sw - cw) / 2.0, top: (sh - ch) / 2.0, width: cw, height: ch } }
}

fn side(x: f64) -> u32 {
    (x.round() as u32).max(1)
}

fn full(w: u32, h: u32) -> Rect {
    Rect { left: 0.0, top: 0.0, width: w as f64, height: h as f64 }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(w: Option<u32>, h: Option<u32>, fit: Fit) -> Transform {
        Transform { width: w, height: h, fit, ..Default::default() }
    }

    fn size(src: (u32, u32), tr: &Transform) -> (u32, u32) {
        let p = plan(src.0, src.1, tr, 4096, 4096);
        (p.width, p.height)
    }

    #[test]
    fn computed_sides_round_to_nearest() {
        assert_eq!(size((600, 400), &t(Some(100), None, Fit::ScaleDown)), (100, 67));
        assert_eq!(size((600, 400), &t(None, Some(100), Fit::ScaleDown)), (150, 100));
        assert_eq!(size((3000, 1), &t(Some(10), None, Fit::ScaleDown)), (10, 1), "at least one pixel");
    }

    /// Every fit × (landscape, portrait, square) × (down, up), with a 300×200 box.
    #[test]
    fn every_fit_on_every_shape() {
        let boxed = |fit| t(Some(300), Some(200), fit);
        let cases: &[(Fit, (u32, u32), (u32, u32))] = &[
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
            (Fit::Squeeze, (1200, 600), (300, 200)),
            (Fit::Squeeze, (600, 1200), (300, 200)),
            (Fit::Squeeze, (1000, 1000), (300, 200)),
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
            (Fit::Squeeze, (120, 60), (300, 200)),
            (Fit::Squeeze, (60, 120), (300, 200)),
            (Fit::Squeeze, (100, 100), (300, 200)),
        ];
        for &(fit, src, want) in cases {
            assert_eq!(size(src, &boxed(fit)), want, "{fit:?} {src:?}");
        }
    }

    #[test]
    fn cover_crops_the_centre_of_the_source() {
        let p = plan(1200, 600, &t(Some(300), Some(300), Fit::Cover), 4096, 4096);
        assert_eq!(p.source, Rect { left: 300.0, top: 0.0, width: 600.0, height: 600.0 });
    }

    #[test]
    fn crop_never_enlarges_but_still_crops_an_oversized_side() {
        // Source wider than the box but shorter: keep the full height, crop the width's centre.
        let p = plan(1000, 100, &t(Some(300), Some(200), Fit::Crop), 4096, 4096);
        assert_eq!((p.width, p.height), (300, 100));
        assert_eq!(p.source, Rect { left: 350.0, top: 0.0, width: 300.0, height: 100.0 });
    }

    #[test]
    fn the_configured_maximum_caps_every_output() {
        let p = plan(10000, 5000, &Transform::default(), 4096, 4096);
        assert_eq!((p.width, p.height), (4096, 2048));
        let p = plan(100, 1000, &t(Some(1000), None, Fit::Contain), 4096, 4096);
        assert_eq!((p.width, p.height), (410, 4096), "enlarging stops at the maximum height");
        assert!(plan(800, 600, &Transform::default(), 4096, 4096).is_noop(800, 600));
    }
}
