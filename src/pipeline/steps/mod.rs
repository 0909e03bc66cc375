//! The steps, one file each, declared in the order a still image goes through them
//! ([`super::run`] calls them in this order; an animation runs `decode` to `border` frame by frame).
//! A new step is a file here, its line below, and a call in `run` (or, if it works on decoded
//! pixels, a `step` function added to [`PIXEL_STEPS`]).

pub mod probe; // format, size, orientation and coding from the header only
pub mod geometry; // the output size, the source region and the canvas (pure arithmetic)
pub mod admit; // the decode scale and the peak memory, refused over budget (413)
pub mod decode; // the stored pixels, shrunk in the DCT domain where the output allows
pub mod trim; // what is cut off before anything else; `trim=border` finds the frame in the pixels
pub mod region; // the crop window, slid to the detail for `gravity=auto`
pub mod resize; // Lanczos3 to the output size
pub mod orient; // EXIF orientation, flip, rotate
pub mod colour; // the source's ICC profile to sRGB
pub mod adjust; // brightness, saturation, contrast, gamma, blur, sharpen
pub mod pad; // `fit=pad`: the canvas around the image
pub mod overlays; // `draw`: logos and watermarks
pub mod border; // a frame around everything
pub mod encode; // JPEG, PNG, WebP, AVIF, GIF

use super::shape::Shape;
use super::types::Pixels;
use crate::error::Result;

/// One step on decoded pixels, reading the geometry decided before decoding.
pub type Step = fn(Pixels, &Shape) -> Result<Pixels>;

/// The steps on decoded pixels, in the order they run, for a still image and for every frame of
/// an animation (the part of the list above from `region` to `border`).
pub const PIXEL_STEPS: [Step; 8] =
    [region::step, resize::step, orient::step, colour::step, adjust::step, pad::step, overlays::step, border::step];

/// Runs [`PIXEL_STEPS`] in order on decoded pixels.
pub fn apply(shape: &Shape, mut pixels: Pixels) -> Result<Pixels> {
    for step in PIXEL_STEPS {
        pixels = step(pixels, shape)?;
    }
    Ok(pixels)
}
