//! What every entry of the pipeline does before deciding to decode: probe the bytes' header
//! (step 1), then plan the geometry (step 2) — on the original's size when the bytes are its
//! mezzanine, then in the mezzanine's own pixels. Admission (step 3) follows in each entry, since
//! what it admits differs: a still, an animation, a thumbnail, a mezzanine or nothing at all.

use super::steps::{geometry, probe};
use super::Shape;
use crate::config::Limits;
use crate::error::Result;
use crate::pipeline::types::Probe;
use crate::transform::Transform;
use image::metadata::Orientation;

/// The probe of `bytes` and the shape of `transform` on them. `of`: the displayed size of the
/// original `bytes` are a mezzanine of.
pub fn prepare(bytes: &[u8], transform: &Transform, limits: &Limits, of: Option<(u32, u32)>) -> Result<(Probe, Shape)> {
    let probe = probe::probe(bytes)?;
    let shape = shaped(&probe, transform, limits, of)?;
    Ok((probe, shape))
}

/// Step 2 alone, for an entry that read the probe first (to decide whether to go on).
pub fn shaped(probe: &Probe, transform: &Transform, limits: &Limits, of: Option<(u32, u32)>) -> Result<Shape> {
    match of {
        None => geometry::shape(probe, transform, limits, None),
        Some(of) => Ok(geometry::shape(&as_original(probe, of), transform, limits, None)?.within(probe.width, probe.height)),
    }
}

/// The header the geometry reads for a mezzanine of an original displayed at `of`: the
/// mezzanine's own, at the original's size (both upright).
fn as_original(mezzanine: &Probe, of: (u32, u32)) -> Probe {
    Probe { width: of.0, height: of.1, orientation: Orientation::NoTransforms, ..*mezzanine }
}
