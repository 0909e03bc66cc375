//! The CPU a document's filters take, counted on the parsed tree at the scale of the render and
//! refused (413) before anything is drawn.
//!
//! Admission already counts the memory of filters (a canvas per primitive, see `layers`), which
//! bounds the work of the primitives that touch each pixel a fixed number of times: offsets,
//! blends, colour matrices, blurs (resvg's box blur costs the same at any `stdDeviation`),
//! lighting. Three primitives cost more per pixel, without bound, for the same memory:
//!
//! - `feMorphology` looks at a (2·rx+1)×(2·ry+1) window per pixel (`radius`, in output pixels,
//!   up to the filter region's size: quadratic in the region);
//! - `feTurbulence` sums `numOctaves` octaves of noise per pixel (usvg accepts any count);
//! - `feConvolveMatrix` multiplies `order`×`order` kernel cells per pixel.
//!
//! So each primitive costs its filter region's pixels (clipped as resvg clips it, to five times
//! the canvas each way) times that factor, and a render whose filters add up to more than
//! [`MAX_FILTER_WORK`] is refused naming the costliest primitive and attribute. Refused rather
//! than clamped: a smaller radius or fewer octaves would draw a different picture. The bound
//! depends on the output size, so a smaller output of the same document may be drawn.

use crate::error::{Error, Result};
use resvg::usvg::{self, filter::Kind, Group, Node, Transform};

/// Pixel operations a render's filters may take: about a quarter of a second of resvg's
/// morphology natively, as much as 134 passes over a 1000×1000 canvas.
pub const MAX_FILTER_WORK: u64 = 1 << 27;

/// What the costliest primitive is, for the message.
struct Worst {
    work: u64,
    what: String,
}

/// Refuses (413) a tree whose filters take more than [`MAX_FILTER_WORK`] pixel operations drawn
/// onto a `width`×`height` canvas with `scale` from the document's units.
pub fn check(tree: &usvg::Tree, scale: Transform, (width, height): (u32, u32)) -> Result<()> {
    let mut total = 0u64;
    let mut worst = Worst { work: 0, what: String::new() };
    let canvas = (width as f64, height as f64);
    let mut groups = vec![tree.root()];
    groups.extend(tree.clip_paths().iter().map(|c| c.root()));
    groups.extend(tree.masks().iter().map(|m| m.root()));
    groups.extend(tree.patterns().iter().map(|p| p.root()));
    for g in groups {
        walk(g, scale, canvas, &mut total, &mut worst);
    }
    if total > MAX_FILTER_WORK {
        return Err(Error::TooLarge(format!(
            "SVG filters would take {total} pixel operations at {width}×{height}, over the limit of {MAX_FILTER_WORK}; the costliest: {}",
            worst.what
        )));
    }
    Ok(())
}

fn walk(group: &Group, scale: Transform, canvas: (f64, f64), total: &mut u64, worst: &mut Worst) {
    let ts = scale.pre_concat(group.abs_transform());
    for filter in group.filters() {
        let Some(region) = region(filter.rect(), ts, canvas) else { continue };
        for primitive in filter.primitives() {
            let (factor, what) = factor(primitive.kind(), ts, region);
            let work = (region.0 * region.1 * factor).min(u64::MAX as f64) as u64;
            *total = total.saturating_add(work);
            if work > worst.work {
                *worst = Worst { work, what: format!("{what} over a {:.0}×{:.0} pixel region", region.0, region.1) };
            }
        }
    }
    for child in group.children() {
        match child {
            Node::Group(g) => walk(g, scale, canvas, total, worst),
            Node::Text(t) => walk(t.flattened(), scale, canvas, total, worst),
            _ => {}
        }
    }
}

/// The filter region in output pixels, clipped to resvg's bound for layers (from −2 to +3
/// canvases each way).
fn region(rect: usvg::NonZeroRect, ts: Transform, (w, h): (f64, f64)) -> Option<(f64, f64)> {
    let r = rect.transform(ts)?;
    let clip = |lo: f32, hi: f32, side: f64| ((hi as f64).min(3.0 * side) - (lo as f64).max(-2.0 * side)).max(0.0).ceil();
    Some((clip(r.left(), r.right(), w), clip(r.top(), r.bottom(), h)))
}

/// Operations per pixel of a primitive, and what it is for the message.
fn factor(kind: &Kind, ts: Transform, (rw, rh): (f64, f64)) -> (f64, String) {
    match kind {
        Kind::Morphology(m) => {
            let (sx, sy) = ts.get_scale();
            // resvg rounds the radius in pixels and keeps it within the region.
            let rx = (m.radius_x().get() as f64 * sx as f64).round().min(rw);
            let ry = (m.radius_y().get() as f64 * sy as f64).round().min(rh);
            let what = format!("feMorphology radius {} {} ({rx:.0}×{ry:.0} pixels)", m.radius_x().get(), m.radius_y().get());
            ((2.0 * rx + 1.0) * (2.0 * ry + 1.0), what)
        }
        Kind::Turbulence(t) => (t.num_octaves().max(1) as f64, format!("feTurbulence numOctaves {}", t.num_octaves())),
        Kind::ConvolveMatrix(c) => {
            let m = c.matrix();
            ((m.columns() as f64 * m.rows() as f64).max(1.0), format!("feConvolveMatrix order {} {}", m.columns(), m.rows()))
        }
        Kind::GaussianBlur(_) => (1.0, "feGaussianBlur".into()),
        Kind::DropShadow(_) => (1.0, "feDropShadow".into()),
        Kind::Image(_) => (1.0, "feImage".into()),
        _ => (1.0, "a primitive".into()),
    }
}
