//! SVG originals as pictures (steps 1 and 4 for vector input): the document is rendered with
//! `resvg` at the size the output needs, so a 24 px icon asked for at 2,000 px is drawn at
//! 2,000 px, crisp, not a bitmap enlarged.
//!
//! Nothing is ever fetched or expanded without bound:
//! - the document first goes through the same sanitiser that serves SVG originals
//!   ([`crate::svg::sanitize`]): scripts, external entities and entity bombs never reach the
//!   renderer (422), and it has no file system or network to reach anyway;
//! - `<image>` is drawn only from the document's own `data:` URLs (PNG, JPEG, GIF, WebP, known
//!   by their bytes): no `file:`, no URL, no nested SVG; embedded images are counted by
//!   admission at their full decoded size, so one cannot smuggle a decompression bomb in;
//! - `<use>` copies what it points to, so ten levels of ten `<use>` are 10¹⁰ shapes: what the
//!   document expands to is counted first and over [`MAX_ELEMENTS`] is a 422;
//! - the renderer's own buffers (a layer per group with opacity, mask, clip or filter, pattern
//!   tiles) are summed along the deepest nesting from the parsed tree and counted by admission
//!   like a decoder's planes, at the scale the render will use.
//!
//! `<text>` is drawn with the bundled fonts and the operator's ([`fonts`]); a document never
//! names a file or URL to read a font from.

use super::raster;
use crate::error::{Error, Result};
use crate::pipeline::types::Probe;
use crate::transform::Format;
use image::metadata::Orientation;
use image::{DynamicImage, RgbaImage};
use resvg::{tiny_skia, usvg};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Arc;

pub mod expand;
pub mod filters;
pub mod fonts;
pub mod text;

/// Nodes a document may expand to once every `<use>`, `<tref>` and marker is replaced by what
/// it points to, and text counted a node per character ([`expand`]).
pub const MAX_ELEMENTS: u64 = 100_000;

/// Elements usvg may step over to resolve `<use>` and `<tref>` (it walks a `<use>` target to
/// find loops back, and the whole document for each `<tref>`): a few tens of milliseconds.
pub const MAX_LOOKUPS: u64 = 10_000_000;

/// Step 1 for SVG: its size (the `width`/`height`, else the `viewBox`), in whole pixels, and the
/// renderer's buffers at that size (in `plane_bytes`, which admission scales to the render).
pub fn probe(bytes: &[u8]) -> Result<Probe> {
    let (tree, embedded) = parse(bytes, false)?;
    let size = tree.size();
    let (width, height) = (whole(size.width()), whole(size.height()));
    let canvas = width as f64 * height as f64;
    let layers = layers(tree.root(), canvas);
    Ok(Probe {
        format: Format::Svg,
        width,
        height,
        orientation: Orientation::NoTransforms,
        decoded_bpp: 4,
        channels: 4,
        progressive: false,
        held_bytes: embedded + fonts::held_bytes(),
        kept_blocks: 0,
        decoder_bytes: 0,
        plane_bytes: ((canvas + layers) * 4.0) as u64,
    })
}

/// Step 4 for SVG: the whole document drawn onto a `width`×`height` canvas (straight alpha).
pub fn render(bytes: &[u8], (width, height): (u32, u32)) -> Result<DynamicImage> {
    let (tree, _) = parse(bytes, true)?;
    let size = tree.size();
    let scale = tiny_skia::Transform::from_scale(width as f32 / size.width(), height as f32 / size.height());
    // Refused before any pixel is drawn (`filters`).
    filters::check(&tree, scale, (width, height))?;
    let mut pixmap =
        tiny_skia::Pixmap::new(width, height).ok_or_else(|| Error::TooLarge(format!("an SVG canvas of {width}×{height} pixels")))?;
    resvg::render(&tree, scale, &mut pixmap.as_mut());
    let mut rgba = pixmap.take();
    // tiny-skia draws premultiplied; the rest of the pipeline expects straight alpha.
    for px in rgba.chunks_exact_mut(4) {
        let a = px[3] as u32;
        if a != 0 && a != 255 {
            for c in &mut px[..3] {
                *c = ((*c as u32 * 255 + a / 2) / a).min(255) as u8;
            }
        }
    }
    let image = RgbaImage::from_raw(width, height, rgba).ok_or_else(|| Error::Internal("SVG canvas has the wrong size".into()))?;
    Ok(DynamicImage::ImageRgba8(image))
}

/// The tree, and the bytes its embedded images take while it is drawn. `to_draw`: JPEGs are
/// converted for drawing (see [`embedded`]), else only measured.
fn parse(bytes: &[u8], to_draw: bool) -> Result<(usvg::Tree, u64)> {
    if bytes.len() as u64 > crate::svg::MAX_BYTES {
        return Err(Error::TooLarge(format!("SVG originals are rendered up to {} MB", crate::svg::MAX_BYTES >> 20)));
    }
    let clean = crate::svg::sanitize(bytes)?;
    let text = std::str::from_utf8(&clean).map_err(|_| Error::Undecodable("SVG is not UTF-8".into()))?;
    let doc = xml(text)?;
    let expansion = expand::expansion(&doc, MAX_ELEMENTS, MAX_LOOKUPS);
    if expansion.lookups > MAX_LOOKUPS {
        return Err(Error::Undecodable(format!("SVG <use> and <tref> references take more than {MAX_LOOKUPS} lookups to resolve")));
    }
    if expansion.elements > MAX_ELEMENTS {
        return Err(Error::Undecodable(format!(
            "SVG expands to more than {MAX_ELEMENTS} elements through <use>, <tref>, markers or text (or nests deeper than 1024)"
        )));
    }
    let held = Held::default();
    let resolver = usvg::ImageHrefResolver { resolve_data: embedded(&held, to_draw), resolve_string: Box::new(|_, _| None) };
    let options =
        usvg::Options { image_href_resolver: resolver, fontdb: fonts::database(), font_resolver: fonts::resolver(), ..Default::default() };
    let tree = usvg::Tree::from_xmltree(&doc, &options).map_err(|e| Error::Undecodable(format!("SVG: {e}")))?;
    Ok((tree, held.all.load(Relaxed).saturating_add(held.largest.load(Relaxed))))
}

fn xml(text: &str) -> Result<roxmltree::Document<'_>> {
    let options = roxmltree::ParsingOptions { allow_dtd: true, ..Default::default() };
    roxmltree::Document::parse_with_options(text, options).map_err(|e| Error::Undecodable(format!("SVG: {e}")))
}

/// For the fuzzer (`fuzz/checks.rs`): what [`expand`] counts for a sanitised document, and the
/// nodes of usvg's tree for it ([`expand::tree_nodes`]) when the count is within the limits and
/// usvg parses it. `None` when the sanitiser or the XML parser refuses the bytes.
#[doc(hidden)]
pub fn expansion_against_usvg(bytes: &[u8]) -> Option<(expand::Expansion, Option<u64>)> {
    let clean = crate::svg::sanitize(bytes).ok()?;
    let doc = xml(std::str::from_utf8(&clean).ok()?).ok()?;
    let expansion = expand::expansion(&doc, MAX_ELEMENTS, MAX_LOOKUPS);
    if expansion.elements > MAX_ELEMENTS || expansion.lookups > MAX_LOOKUPS {
        return Some((expansion, None));
    }
    let options = usvg::Options { fontdb: fonts::database(), font_resolver: fonts::resolver(), ..Default::default() };
    let tree = usvg::Tree::from_xmltree(&doc, &options).ok();
    Some((expansion, tree.map(|t| expand::tree_nodes(&t))))
}

/// What embedded images hold while the tree is drawn: every one as a PNG in the tree (counted
/// at its decoded size, as a PNG may not compress), and the largest decoded twice over (resvg's
/// decode and the pixmap drawn from it).
#[derive(Default)]
struct Held {
    all: AtomicU64,
    largest: AtomicU64,
}

/// `data:` images, typed by their bytes (never the declared type). PNG, GIF and WebP go to
/// resvg as they are; a JPEG is decoded with jpeg-decoder and handed over as a PNG, because
/// resvg's own JPEG decoder (zune-jpeg) mis-decodes some 4:2:0 files (docs/architecture.md, dependencies).
fn embedded(held: &Held, to_draw: bool) -> usvg::ImageHrefDataResolverFn<'_> {
    Box::new(move |_, data, _| {
        let probe = raster::probe(&data).ok()?;
        let pixels = probe.width as u64 * probe.height as u64 * 4;
        held.all.fetch_add(pixels, Relaxed);
        held.largest.fetch_max(pixels * 2, Relaxed);
        match probe.format {
            Format::Png => Some(usvg::ImageKind::PNG(data)),
            Format::Gif => Some(usvg::ImageKind::GIF(data)),
            Format::Webp => Some(usvg::ImageKind::WEBP(data)),
            Format::Jpeg if !to_draw => Some(usvg::ImageKind::JPEG(data)),
            Format::Jpeg => jpeg_as_png(&data, &probe).map(|png| usvg::ImageKind::PNG(Arc::new(png))),
            _ => None,
        }
    })
}

fn jpeg_as_png(jpeg: &[u8], probe: &Probe) -> Option<Vec<u8>> {
    use image::codecs::png::{CompressionType, FilterType, PngEncoder};
    let decoded = raster::decode(jpeg, probe, (probe.width, probe.height), u64::MAX).ok()?;
    let mut img = decoded.image;
    img.apply_orientation(probe.orientation);
    let mut png = Vec::new();
    img.write_with_encoder(PngEncoder::new_with_quality(&mut png, CompressionType::Fast, FilterType::NoFilter)).ok()?;
    Some(png)
}

/// A side in whole pixels, at least 1 (an SVG's size may be fractional).
fn whole(side: f32) -> u32 {
    (side.round() as u32).max(1)
}

/// Square user units of the renderer's extra buffers, along the costliest nesting: each group
/// that needs a layer of its own (opacity, clip, mask, filter, blend) holds a pixmap of its
/// bounds while its children draw — twice for a clip or mask, and a filter one per primitive
/// plus two, within resvg's limit of 25 canvases — and a pattern a tile while its shape fills.
fn layers(group: &usvg::Group, canvas: f64) -> f64 {
    let mut own = 0.0;
    if group.should_isolate() {
        let b = group.abs_layer_bounding_box();
        let mut area = (b.width() as f64 + 4.0) * (b.height() as f64 + 4.0);
        if !group.filters().is_empty() {
            let primitives: usize = group.filters().iter().map(|f| f.primitives().len()).sum();
            area = area.min(25.0 * canvas) * (primitives as f64 + 2.0);
        }
        if group.clip_path().is_some() || group.mask().is_some() {
            area *= 2.0;
        }
        own = area;
    }
    let mut deepest: f64 = 0.0;
    if let Some(clip) = group.clip_path() {
        deepest = deepest.max(layers(clip.root(), canvas));
    }
    if let Some(mask) = group.mask() {
        deepest = deepest.max(layers(mask.root(), canvas));
    }
    for child in group.children() {
        let below = match child {
            usvg::Node::Group(g) => layers(g, canvas),
            usvg::Node::Path(p) => [p.fill().map(|f| f.paint()), p.stroke().map(|s| s.paint())]
                .into_iter()
                .flatten()
                .map(|paint| pattern_tile(paint, p.abs_transform(), canvas))
                .fold(0.0, f64::max),
            _ => 0.0,
        };
        deepest = deepest.max(below);
    }
    own + deepest
}

fn pattern_tile(paint: &usvg::Paint, at: usvg::Transform, canvas: f64) -> f64 {
    let usvg::Paint::Pattern(pattern) = paint else { return 0.0 };
    let (sx, sy) = at.pre_concat(pattern.transform()).get_scale();
    let r = pattern.rect();
    (r.width() as f64 * sx as f64 + 2.0) * (r.height() as f64 * sy as f64 + 2.0) + layers(pattern.root(), canvas)
}

#[cfg(test)]
mod tests;
