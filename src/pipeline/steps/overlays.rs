//! `draw`: overlays (logos, watermarks) composited onto the output, as Cloudflare's `draw`
//! option does: each overlay fitted into its own box (`width`, `height`, `fit`, `gravity`),
//! turned, laid on its `background`, faded by `opacity`, then placed by its edge offsets
//! (centred on an axis without one) or tiled (`repeat`). Overlays are prepared once, before the
//! source is decoded, and drawn on every frame of an animation alike.
//!
//! An overlay is laid out on the whole output inside its border, `fit=pad`'s bars included
//! (Cloudflare's docs say only "the resized image"). A watermark, an overlay with `default_for`
//! (forced on its prefixes), is laid out on the picture instead: sized, placed and tiled on the
//! scaled image's rectangle inside the padded canvas, so that a `pad` cannot move it into a bar
//! and leave the picture bare.

use super::{decode, geometry, orient, pad, probe, resize};
use crate::config::{Composite, Limits, Overlay, Repeat};
use crate::error::{Error, Result};
use crate::pipeline::codecs::port::Codecs;
use crate::pipeline::shape::{Placed, Shape};
use crate::pipeline::types::{swaps_axes, Pixels};
use crate::transform::Transform;
use image::{imageops, DynamicImage, Rgba, RgbaImage};
use std::ops::Range;

/// The largest overlay image decoded: a logo or a watermark tile, not a photo.
pub const MAX_OVERLAY_PIXELS: u64 = 4_000_000;

/// Decodes and places the overlays for `shape`'s output (before the source is decoded, so
/// admission counts them).
pub fn place(shape: &mut Shape, overlays: &[(Overlay, Vec<u8>)], limits: &Limits, codecs: &Codecs<'_>) -> Result<()> {
    let canvas = match shape.border {
        Some(b) => (shape.output.0 - b.left - b.right, shape.output.1 - b.top - b.bottom),
        None => shape.output,
    };
    // The picture on that canvas: all of it, or for `pad` the scaled image between the bars
    // (`out` is in stored orientation; the canvas is upright).
    let picture = match shape.canvas {
        Some(c) => {
            let (w, h) = if swaps_axes(shape.orientation) { (shape.out.1, shape.out.0) } else { shape.out };
            ((c.left as i64, c.top as i64), (w, h))
        }
        None => ((0, 0), canvas),
    };
    shape.overlays = overlays
        .iter()
        .map(|(spec, bytes)| {
            if spec.default_for.is_empty() {
                return prepare(spec, bytes, canvas, limits.memory_budget, codecs);
            }
            let ((left, top), size) = picture;
            let mut placed = prepare(spec, bytes, size, limits.memory_budget, codecs)?;
            placed.origin = (placed.origin.0 + left, placed.origin.1 + top);
            placed.columns = placed.columns.start + left..placed.columns.end + left;
            placed.rows = placed.rows.start + top..placed.rows.end + top;
            Ok(placed)
        })
        .collect::<Result<_>>()?;
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
    let (origin, columns, rows) = layout(spec, (rgba.width(), rgba.height()), canvas);
    Ok(Placed { img: rgba, origin, columns, rows, composite: spec.composite })
}

/// Where the overlay goes on a `canvas`-sized base: the top-left corner of its first (or only)
/// copy, by the edge offsets (centred on an axis without one), and the columns and rows of the
/// base it covers: its own width or height, or all of the base along an axis `repeat` tiles.
pub fn layout(spec: &Overlay, size: (u32, u32), canvas: (u32, u32)) -> ((i64, i64), Range<i64>, Range<i64>) {
    let (ow, oh) = (size.0.max(1) as i64, size.1.max(1) as i64);
    let (cw, ch) = (canvas.0 as i64, canvas.1 as i64);
    let place = |near: Option<u32>, far: Option<u32>, o: i64, c: i64| match (near, far) {
        (Some(n), _) => n as i64,
        (None, Some(f)) => c - o - f as i64,
        (None, None) => (c - o) / 2,
    };
    let (x0, y0) = (place(spec.left, spec.right, ow, cw), place(spec.top, spec.bottom, oh, ch));
    let (tiles_x, tiles_y) = match spec.repeat {
        Repeat::Once => (false, false),
        Repeat::X => (true, false),
        Repeat::Y => (false, true),
        Repeat::Both => (true, true),
    };
    let columns = if tiles_x { 0..cw } else { x0..x0 + ow };
    let rows = if tiles_y { 0..ch } else { y0..y0 + oh };
    ((x0, y0), columns, rows)
}

/// Pixel step: every overlay, in order, on the image (before `border`).
pub fn step(mut p: Pixels, shape: &Shape) -> Result<Pixels> {
    if shape.overlays.is_empty() {
        return Ok(p);
    }
    let opaque = !p.img.color().has_alpha();
    let mut canvas = p.img.into_rgba8();
    for placed in &shape.overlays {
        match placed.composite {
            Composite::Over => draw(&mut canvas, placed, blend_over),
            mode => draw(&mut canvas, placed, |under, over| blend(under, over, mode)),
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

/// Combines each pixel `placed` covers with the overlay's pixel over it (`mix(under, over)`, on
/// RGBA bytes), tiles included: one pass over the covered pixels of the canvas, the tile's pixel
/// found by wrapping the offset from the origin. No list of tile positions is made and none is
/// left out (a list was cut at 4,096 tiles, which left the last rows of a large output under a
/// small tile unmarked), and no tile is enlarged to fit a count (which would change the mark).
/// The cost is per covered pixel, so at most the canvas's whatever the tile's size, as for an
/// overlay as large as the image. The worst a client can ask for, a half-transparent 1×1 tile on
/// a 4096×4096 output (16.7 million tiles), measured natively in release: 52 ms over an opaque
/// image, about 100 ms over a transparent one or with another `composite` mode (the per-tile
/// `imageops::overlay` this replaces took 200 ms for one overlay as large as that output).
fn draw(canvas: &mut RgbaImage, placed: &Placed, mut mix: impl FnMut(&mut [u8], &[u8])) {
    let (cw, ch) = (canvas.width() as i64, canvas.height() as i64);
    let (tw, th) = (placed.img.width() as i64, placed.img.height() as i64);
    let columns = placed.columns.start.max(0)..placed.columns.end.min(cw);
    let rows = placed.rows.start.max(0)..placed.rows.end.min(ch);
    if tw == 0 || th == 0 || columns.is_empty() || rows.is_empty() {
        return;
    }
    let first = (columns.start - placed.origin.0).rem_euclid(tw) as usize;
    let (stride, tile_stride) = (cw as usize * 4, tw as usize * 4);
    let (tile, raw) = (placed.img.as_raw(), &mut **canvas);
    for y in rows {
        let ty = (y - placed.origin.1).rem_euclid(th) as usize;
        let tile_row = &tile[ty * tile_stride..(ty + 1) * tile_stride];
        let row = &mut raw[y as usize * stride..][columns.start as usize * 4..columns.end as usize * 4];
        for (under, over) in row.chunks_exact_mut(4).zip(tile_row.chunks_exact(4).cycle().skip(first)) {
            mix(under, over);
        }
    }
}

/// `over` drawn over `under` (`composite: over`), as `imageops::overlay` draws it (to the
/// nearest value where it truncates); in integers where the image under it is opaque, a photo's
/// usual case.
fn blend_over(under: &mut [u8], over: &[u8]) {
    let a = over[3] as u32;
    if a == 0 {
        return;
    }
    if a == 255 || under[3] == 0 {
        under.copy_from_slice(over);
    } else if under[3] == 255 {
        for c in 0..3 {
            under[c] = ((over[c] as u32 * a + under[c] as u32 * (255 - a) + 127) / 255) as u8;
        }
    } else {
        blend(under, over, Composite::Over);
    }
}

/// `src` combined with `dst` (in place) by a Porter–Duff operator (or `lighter`), on
/// premultiplied sRGB values, in integers (alpha and each side's share in 255ths): the float
/// arithmetic, with its divisions and roundings, took three times as long per pixel.
#[inline(always)]
fn blend(dst: &mut [u8], src: &[u8], mode: Composite) {
    let (a_s, a_b) = (src[3] as u32, dst[3] as u32);
    // How much of each side shows (Porter and Duff's Fa and Fb).
    let (fa, fb) = match mode {
        Composite::Over => (255, 255 - a_s),
        Composite::In => (a_b, 0),
        Composite::Atop => (a_b, 255 - a_s),
        Composite::Out => (255 - a_b, 0),
        Composite::Xor => (255 - a_b, 255 - a_s),
        Composite::Lighter => (255, 255),
    };
    const ONE: u32 = 255 * 255;
    let (ks, kb) = (a_s * fa, a_b * fb);
    let alpha = (ks + kb).min(ONE);
    if alpha == 0 {
        dst.fill(0);
        return;
    }
    for c in 0..3 {
        let premultiplied = (src[c] as u32 * ks + dst[c] as u32 * kb).min(255 * ONE);
        dst[c] = ((premultiplied + alpha / 2) / alpha).min(255) as u8;
    }
    dst[3] = ((alpha + 127) / 255) as u8;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(json: &str) -> Overlay {
        crate::config::parse_overlays(&format!(r#"{{"o": {json}}}"#)).unwrap().remove(0)
    }

    #[test]
    fn edges_place_the_overlay_and_no_edge_centres_it() {
        let at = |json: &str| layout(&spec(json), (20, 10), (100, 50));
        assert_eq!(at(r#"{"key": "k"}"#), ((40, 20), 40..60, 20..30));
        assert_eq!(at(r#"{"key": "k", "bottom": 5, "right": 5}"#), ((75, 35), 75..95, 35..45));
        assert_eq!(at(r#"{"key": "k", "top": 0, "left": 3}"#), ((3, 0), 3..23, 0..10));
    }

    /// Draws a 30×20 overlay laid out by `json` on a 100×50 canvas: a red frame on a
    /// transparent tile, so each copy's corners show where it went.
    fn drawn(json: &str) -> RgbaImage {
        let tile = RgbaImage::from_fn(30, 20, |x, y| Rgba(if x == 0 || y == 0 { [255, 0, 0, 255] } else { [0, 0, 0, 0] }));
        let (origin, columns, rows) = layout(&spec(json), (30, 20), (100, 50));
        let placed = Placed { img: tile, origin, columns, rows, composite: Composite::Over };
        let mut canvas = RgbaImage::from_pixel(100, 50, Rgba([0, 0, 255, 255]));
        draw(&mut canvas, &placed, blend_over);
        canvas
    }

    #[test]
    fn repeat_covers_the_canvas_from_the_placed_tile() {
        let red = |img: &RgbaImage, x, y| img.get_pixel(x, y).0 == [255, 0, 0, 255];
        // Centred at (35, 15): columns start at -25, 5, 35, 65, 95 and rows at -5, 15, 35.
        let both = drawn(r#"{"key": "k", "repeat": true}"#);
        for (x, y) in [(5, 15), (35, 35), (95, 15), (65, 35)] {
            assert!(red(&both, x, y) && red(&both, x + 4, y) && red(&both, x, y + 4), "a copy's corner at ({x}, {y})");
        }
        assert!(!red(&both, 6, 16) && red(&both, 99, 15) && red(&both, 5, 49), "the edges' copies are cut, not left out");
        let row = drawn(r#"{"key": "k", "repeat": "x", "top": 0}"#);
        assert!((0..100).all(|x| red(&row, x, 0)) && (0..100).all(|x| !red(&row, x, 20)), "one row of copies at the top");
        let column = drawn(r#"{"key": "k", "repeat": "y", "left": 0}"#);
        assert!((0..50).all(|y| red(&column, 0, y)) && (0..50).all(|y| !red(&column, 30, y)), "one column at the left");
    }

    /// No tile is left out however small it is, and the cost stays per pixel of the canvas: the
    /// worst case a client can ask for, a half-transparent 1×1 tile on a 4096×4096 output (16.7
    /// million tiles; 52 ms natively in release, see `draw`).
    #[test]
    fn tiling_costs_what_the_canvas_costs() {
        let side = 4096;
        let tile = RgbaImage::from_pixel(1, 1, Rgba([255, 255, 255, 128]));
        let (origin, columns, rows) = layout(&spec(r#"{"key": "k", "repeat": true}"#), (1, 1), (side, side));
        let placed = Placed { img: tile, origin, columns, rows, composite: Composite::Over };
        let mut canvas = RgbaImage::from_pixel(side, side, Rgba([0, 0, 0, 255]));
        let started = std::time::Instant::now();
        draw(&mut canvas, &placed, blend_over);
        let took = started.elapsed();
        assert!(canvas.pixels().all(|p| p.0 == canvas.get_pixel(0, 0).0 && p[0] > 100), "every pixel marked");
        // (Its time is a benchmark's to judge, not a test's: 52 ms natively in release.)
        eprintln!("a 1×1 tile on {side}×{side}: {took:?}");
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
        let run = |mode, mut base: [u8; 4], top: [u8; 4]| {
            blend(&mut base, &top, mode);
            base
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
