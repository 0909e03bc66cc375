//! `draw`: overlays (logos, watermarks) composited onto the output, as Cloudflare's `draw`
//! option does: each overlay fitted into its own box (`width`, `height`, `fit`, `gravity`),
//! turned, laid on its `background`, faded by `opacity`, then placed by its edge offsets
//! (centred on an axis without one) or tiled (`repeat`). Overlays are prepared once, before the
//! source is decoded, and drawn on every frame of an animation alike.

use super::{decode, geometry, orient, pad, probe, resize};
use crate::config::{Composite, Limits, Overlay, Repeat};
use crate::error::{Error, Result};
use crate::pipeline::codecs::port::Codecs;
use crate::pipeline::shape::{Placed, Shape};
use crate::pipeline::types::Pixels;
use crate::transform::Transform;
use image::{imageops, DynamicImage, Rgba, RgbaImage};

/// The largest overlay image decoded: a logo or a watermark tile, not a photo.
pub const MAX_OVERLAY_PIXELS: u64 = 4_000_000;

/// At most this many tiles are drawn for `repeat` (a 1-pixel tile would otherwise be a million).
const MAX_TILES: usize = 4096;

/// Decodes and places the overlays for `shape`'s output (before the source is decoded, so
/// admission counts them).
pub fn place(shape: &mut Shape, overlays: &[(Overlay, Vec<u8>)], limits: &Limits, codecs: &Codecs<'_>) -> Result<()> {
    let canvas = match shape.border {
        Some(b) => (shape.output.0 - b.left - b.right, shape.output.1 - b.top - b.bottom),
        None => shape.output,
    };
    shape.overlays =
        overlays.iter().map(|(spec, bytes)| prepare(spec, bytes, canvas, limits.memory_budget, codecs)).collect::<Result<_>>()?;
    Ok(())
}

/// Decodes and shapes `bytes` as `spec` says, for a `canvas`-sized output.
pub fn prepare(spec: &Overlay, bytes: &[u8], canvas: (u32, u32), memory_budget: u64, codecs: &Codecs<'_>) -> Result<Placed> {
    let p = probe::probe(bytes)?;
    if p.width as u64 * p.height as u64 > MAX_OVERLAY_PIXELS {
        return Err(Error::TooLarge(format!(
            "overlay '{}' is {}×{}, over {} MP",
            spec.name,
            p.width,
            p.height,
            MAX_OVERLAY_PIXELS / 1_000_000
        )));
    }
    let mut img = decode::decode(bytes, &p, (p.width, p.height), memory_budget, codecs)?.image;
    orient::apply(&mut img, p.orientation);
    if spec.width.is_some() || spec.height.is_some() {
        // A fraction is of the base image (the output inside its border).
        let (width, height) = (spec.width.map(|s| s.of(canvas.0)), spec.height.map(|s| s.of(canvas.1)));
        let boxed = Transform { width, height, fit: spec.fit, gravity: spec.gravity, ..Default::default() };
        let plan = geometry::plan(img.width(), img.height(), &boxed, 4096, 4096);
        img = resize::resize(DynamicImage::ImageRgba8(img.into_rgba8()), plan.source, plan.width, plan.height)?;
        if let Some(c) = plan.canvas {
            img = pad::pad(img, c, [0, 0, 0, 0]);
        }
    }
    let mut rgba = match spec.quarters {
        1 => imageops::rotate90(&img.to_rgba8()),
        2 => imageops::rotate180(&img.to_rgba8()),
        3 => imageops::rotate270(&img.to_rgba8()),
        _ => img.into_rgba8(),
    };
    if let Some(bg) = spec.background {
        let mut under = RgbaImage::from_pixel(rgba.width(), rgba.height(), Rgba(bg));
        imageops::overlay(&mut under, &rgba, 0, 0);
        rgba = under;
    }
    if spec.opacity < 1.0 {
        for px in rgba.pixels_mut() {
            px[3] = (px[3] as f32 * spec.opacity).round() as u8;
        }
    }
    let at = positions(spec, (rgba.width(), rgba.height()), canvas);
    Ok(Placed { img: rgba, at, composite: spec.composite })
}

/// Where the overlay's top-left corner goes: by the edge offsets (centred on an axis without
/// one), then repeated along the axes `repeat` names to cover the canvas.
pub fn positions(spec: &Overlay, size: (u32, u32), canvas: (u32, u32)) -> Vec<(i64, i64)> {
    let (ow, oh) = (size.0.max(1) as i64, size.1.max(1) as i64);
    let (cw, ch) = (canvas.0 as i64, canvas.1 as i64);
    let place = |near: Option<u32>, far: Option<u32>, o: i64, c: i64| match (near, far) {
        (Some(n), _) => n as i64,
        (None, Some(f)) => c - o - f as i64,
        (None, None) => (c - o) / 2,
    };
    let (x0, y0) = (place(spec.left, spec.right, ow, cw), place(spec.top, spec.bottom, oh, ch));
    // Every start along an axis, from before the canvas's edge to past its end.
    let along = |start: i64, o: i64, c: i64| {
        let first = start - (start + o - 1).div_euclid(o) * o;
        (0..).map(move |i| first + i * o).take_while(move |&p| p < c)
    };
    let (xs, ys): (Vec<i64>, Vec<i64>) = match spec.repeat {
        Repeat::Once => (vec![x0], vec![y0]),
        Repeat::X => (along(x0, ow, cw).collect(), vec![y0]),
        Repeat::Y => (vec![x0], along(y0, oh, ch).collect()),
        Repeat::Both => (along(x0, ow, cw).collect(), along(y0, oh, ch).collect()),
    };
    ys.iter().flat_map(|&y| xs.iter().map(move |&x| (x, y))).take(MAX_TILES).collect()
}

/// Pixel step: every overlay, in order, on the image (before `border`).
pub fn step(mut p: Pixels, shape: &Shape) -> Result<Pixels> {
    if shape.overlays.is_empty() {
        return Ok(p);
    }
    let opaque = !p.img.color().has_alpha();
    let mut canvas = p.img.into_rgba8();
    for placed in &shape.overlays {
        for &(x, y) in &placed.at {
            match placed.composite {
                Composite::Over => imageops::overlay(&mut canvas, &placed.img, x, y),
                mode => composite(&mut canvas, &placed.img, x, y, mode),
            }
        }
    }
    // An opaque image stays opaque: what a mode made transparent (`out`, `xor`) shows the
    // background, as anywhere else an image has no alpha to keep.
    if opaque && shape.overlays.iter().any(|o| o.composite != Composite::Over) {
        let bg = shape.background;
        for px in canvas.pixels_mut() {
            let a = px[3] as u16;
            for c in 0..3 {
                px[c] = ((px[c] as u16 * a + bg[c] as u16 * (255 - a) + 127) / 255) as u8;
            }
        }
    }
    p.img = if opaque { DynamicImage::ImageRgb8(DynamicImage::ImageRgba8(canvas).into_rgb8()) } else { DynamicImage::ImageRgba8(canvas) };
    Ok(p)
}

/// Draws `top` at (`x`, `y`) with a Porter–Duff operator (or `lighter`), on premultiplied
/// sRGB values, under the overlay only.
fn composite(canvas: &mut RgbaImage, top: &RgbaImage, x: i64, y: i64, mode: Composite) {
    let (cw, ch) = (canvas.width() as i64, canvas.height() as i64);
    for (tx, ty, src) in top.enumerate_pixels() {
        let (px, py) = (x + tx as i64, y + ty as i64);
        if px < 0 || py < 0 || px >= cw || py >= ch {
            continue;
        }
        let dst = canvas.get_pixel_mut(px as u32, py as u32);
        let (a_s, a_b) = (src[3] as f32 / 255.0, dst[3] as f32 / 255.0);
        // How much of each side shows (Porter and Duff's Fa and Fb).
        let (fa, fb) = match mode {
            Composite::Over => (1.0, 1.0 - a_s),
            Composite::In => (a_b, 0.0),
            Composite::Atop => (a_b, 1.0 - a_s),
            Composite::Out => (1.0 - a_b, 0.0),
            Composite::Xor => (1.0 - a_b, 1.0 - a_s),
            Composite::Lighter => (1.0, 1.0),
        };
        let alpha = (a_s * fa + a_b * fb).min(1.0);
        let mut out = [0u8; 4];
        for c in 0..3 {
            let premultiplied = (src[c] as f32 * a_s * fa + dst[c] as f32 * a_b * fb).min(255.0);
            out[c] = if alpha > 0.0 { (premultiplied / alpha).round().min(255.0) as u8 } else { 0 };
        }
        out[3] = (alpha * 255.0).round() as u8;
        *dst = Rgba(out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(json: &str) -> Overlay {
        crate::config::parse_overlays(&format!(r#"{{"o": {json}}}"#)).unwrap().remove(0)
    }

    #[test]
    fn edges_place_the_overlay_and_no_edge_centres_it() {
        let at = |json: &str| positions(&spec(json), (20, 10), (100, 50));
        assert_eq!(at(r#"{"key": "k"}"#), [(40, 20)]);
        assert_eq!(at(r#"{"key": "k", "bottom": 5, "right": 5}"#), [(75, 35)]);
        assert_eq!(at(r#"{"key": "k", "top": 0, "left": 3}"#), [(3, 0)]);
    }

    #[test]
    fn repeat_covers_the_canvas_from_the_placed_tile() {
        let tiles = positions(&spec(r#"{"key": "k", "repeat": true}"#), (30, 20), (100, 50));
        // Centred at (35, 15): columns at -25, 5, 35, 65, 95 and rows at -5, 15, 35.
        assert_eq!(tiles.len(), 15);
        assert!(tiles.contains(&(-25, -5)) && tiles.contains(&(95, 35)));
        let row = positions(&spec(r#"{"key": "k", "repeat": "x", "top": 0}"#), (30, 20), (100, 50));
        assert_eq!(row.iter().map(|t| t.1).collect::<Vec<_>>(), [0; 5]);
        let tiny = positions(&spec(r#"{"key": "k", "repeat": true}"#), (1, 1), (4096, 4096));
        assert_eq!(tiny.len(), MAX_TILES);
    }

    /// Cloudflare's fractional sizes: `width: 0.25` is a quarter of the base image, drawn at
    /// that size for any output size.
    #[test]
    fn a_fractional_width_is_a_share_of_the_base_image() {
        let logo = crate::fixtures::png(&image::RgbaImage::from_pixel(200, 100, Rgba([255, 0, 0, 255])));
        for canvas in [(400, 300), (1000, 500)] {
            let placed = prepare(&spec(r#"{"key": "k", "width": 0.25}"#), &logo, canvas, 64 << 20, &Codecs::NATIVE).unwrap();
            assert_eq!((placed.img.width(), placed.img.height()), (canvas.0 / 4, canvas.0 / 8), "{canvas:?}");
        }
        let tall =
            prepare(&spec(r#"{"key": "k", "height": 0.5, "width": 1.0, "fit": "contain"}"#), &logo, (400, 300), 64 << 20, &Codecs::NATIVE)
                .unwrap();
        assert_eq!((tall.img.width(), tall.img.height()), (300, 150));
    }

    /// Cloudflare's composite modes on three backdrops, against Porter and Duff's definitions
    /// worked by hand: an opaque one, a transparent one, and a half-transparent overlay on an
    /// opaque one.
    #[test]
    fn composite_modes_follow_porter_duff() {
        let run = |mode, base: [u8; 4], top: [u8; 4]| {
            let mut canvas = RgbaImage::from_pixel(1, 1, Rgba(base));
            composite(&mut canvas, &RgbaImage::from_pixel(1, 1, Rgba(top)), 0, 0, mode);
            canvas.get_pixel(0, 0).0
        };
        let (red, clear, blue) = ([255, 0, 0, 255], [0, 0, 0, 0], [0, 0, 255, 255]);
        let (white, half_white) = ([255, 255, 255, 255], [255, 255, 255, 128]);
        type Pixel = [u8; 4];
        // (mode, the image's pixel, the overlay's, the result)
        let cases: &[(Composite, Pixel, Pixel, Pixel)] = &[
            (Composite::Over, red, white, white),
            (Composite::In, red, white, white),
            (Composite::Atop, red, white, white),
            (Composite::Out, red, white, [0, 0, 0, 0]),
            (Composite::Xor, red, white, [0, 0, 0, 0]),
            (Composite::Lighter, red, white, white),
            (Composite::Over, clear, white, white),
            (Composite::In, clear, white, [0, 0, 0, 0]),
            (Composite::Atop, clear, white, [0, 0, 0, 0]),
            (Composite::Out, clear, white, white),
            (Composite::Xor, clear, white, white),
            (Composite::Lighter, clear, white, white),
            (Composite::Over, blue, half_white, [128, 128, 255, 255]),
            (Composite::In, blue, half_white, [255, 255, 255, 128]),
            (Composite::Atop, blue, half_white, [128, 128, 255, 255]),
            (Composite::Out, blue, half_white, [0, 0, 0, 0]),
            (Composite::Xor, blue, half_white, [0, 0, 255, 127]),
            (Composite::Lighter, blue, half_white, [128, 128, 255, 255]),
        ];
        for &(mode, base, top, want) in cases {
            let got = run(mode, base, top);
            assert!(
                got.iter().zip(want).all(|(g, w)| (*g as i16 - w as i16).abs() <= 1),
                "{mode:?} {base:?} {top:?}: {got:?}, want {want:?}"
            );
        }
    }
}
