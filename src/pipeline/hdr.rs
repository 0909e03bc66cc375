//! HDR gain maps through a transform. An original's gain map (a JPEG's Ultra HDR or ISO 21496-1
//! map; an AVIF's or HEIC's `tmap`) gets the base's geometry at its own scale (a map a quarter of
//! the photo's size stays a quarter of the output's): the same crop window, trim, resize,
//! orientation, rotation and flip; what the output has and the original had not (`fit=pad`'s
//! canvas, `border`, the pixels under an overlay) gets the map value of no boost, so it shows as
//! the base does. Tone effects (brightness, contrast, gamma, saturation, blur, sharpen) change the
//! SDR base alone. The output is written as Ultra HDR (`codecs::gainmap`), with a JPEG
//! original's metadata segments kept.

use super::codecs::gainmap::{self, GainMap, Values};
use super::codecs::port::Codecs;
use super::codecs::{heif, jpeg};
use super::shape::{Placed, Shape};
use super::steps::{self, encode};
use super::types::{swaps_axes, Canvas, Pixels, Probe, Rect};
use crate::config::{Composite, Limits};
use crate::error::Result;
use crate::transform::{Adjust, Format, Hdr, Transform};
use image::{imageops, DynamicImage, Rgba, RgbaImage};

/// An original's gain map, as read before decoding.
pub enum Map {
    /// A JPEG's: the map image and its metadata, kept byte for byte.
    Jpeg(GainMap),
    /// An AVIF's or HEIC's: the map's item (decoded from the original's bytes, which the pipeline
    /// then keeps until the map is made) and the `tmap` values.
    Heif { item: u32, values: Values },
}

impl Map {
    fn values(&self) -> &Values {
        match self {
            Map::Jpeg(m) => &m.values,
            Map::Heif { values, .. } => values,
        }
    }

    /// What the writer describes the new map with (it reads no image): a JPEG's own segments,
    /// or the values alone.
    fn described(&self) -> std::borrow::Cow<'_, GainMap> {
        match self {
            Map::Jpeg(m) => std::borrow::Cow::Borrowed(m),
            Map::Heif { values, .. } => std::borrow::Cow::Owned(GainMap::from_values(values.clone())),
        }
    }
}

/// What an original's header says of its gain map: a JPEG declares one (read whole only when it
/// is carried), an AVIF's or HEIC's `tmap` names its map item and values.
pub enum Found {
    Jpeg,
    Heif { item: u32, values: Values },
}

/// The gain map an original's header names, if any we read: a JPEG's XMP or ISO segment; an
/// AVIF's or HEIC's `tmap`, bounded in what it may make us read (`heif::gain_map`). Found once
/// per request and used for both the plan and the mezzanine rule.
pub fn find(source: &[u8], probe: &Probe) -> Option<Found> {
    match probe.format {
        Format::Jpeg => gainmap::declared(source).then_some(Found::Jpeg),
        Format::Avif | Format::Heic => heif::gain_map::find(source).map(|(item, values)| Found::Heif { item, values }),
        _ => None,
    }
}

/// The HDR capacity (log2 of the most the map brightens) of an original's gain map, for
/// `format=json`; `None` without one we read.
pub fn capacity(source: &[u8], probe: &Probe) -> Option<f64> {
    match find(source, probe)? {
        Found::Jpeg => gainmap::read(source).map(|m| m.values.capacity_max),
        Found::Heif { values, .. } => Some(values.capacity_max),
    }
}

/// What becomes of an original's gain map, decided before decoding.
pub struct Plan {
    /// The format to make: JPEG where `format=auto` chose it for the map.
    pub format: Format,
    /// The map to carry, and the JPEG's quality and coding when `format=auto` chose JPEG for it.
    pub map: Option<(Map, Option<(u8, bool)>)>,
    /// Why a map the original has is not in the output.
    pub note: Option<String>,
}

impl Plan {
    /// Whether the original's bytes must be kept until the map is made (an AVIF's or HEIC's).
    pub fn keeps_source(&self) -> bool {
        matches!(self.map, Some((Map::Heif { .. }, _)))
    }
}

/// The plan for `source` made as `format`, given what its header said (`found`): a map is kept
/// in a JPEG output, or in `format=auto`'s (`Hdr::AsJpeg`); another format, a mezzanine (which
/// has no map) and a map that cannot be read drop it, with a note; `hdr=false` drops it silently.
pub fn plan(source: &[u8], found: Option<Found>, transform: &Transform, format: Format, from_original: bool) -> Plan {
    let no_map = |note: Option<String>| Plan { format, map: None, note };
    let Some(found) = found.filter(|_| transform.hdr != Hdr::Drop) else { return no_map(None) };
    let as_jpeg = match transform.hdr {
        _ if format == Format::Jpeg => None,
        Hdr::AsJpeg { quality, progressive } => Some((quality, progressive)),
        _ => return no_map(Some(format!("the HDR gain map is dropped: browsers read none in {} from here", format.name()))),
    };
    if !from_original {
        return no_map(Some("the HDR gain map is dropped: made from a mezzanine".into()));
    }
    let map = match found {
        Found::Jpeg => gainmap::read(source).map(Map::Jpeg),
        Found::Heif { item, values } => Some(Map::Heif { item, values }),
    };
    match map {
        Some(map) => Plan { format: Format::Jpeg, map: Some((map, as_jpeg)), note: None },
        None => no_map(Some("the HDR gain map is dropped: it could not be read".into())),
    }
}

/// A map may be at most this many times its photo's size on either axis (real files: a quarter
/// to 1.27): more is a header written to make us allocate.
const MAX_MAP_RATIO: f64 = 4.0;

/// The output, `base` (its primary image, encoded) with `map` carried: `window` (the base's crop,
/// in the original's stored pixels) and `shape` applied to the map at its own scale, with the
/// bytes that held at most. `source` is the original's bytes for an AVIF's or HEIC's map. `Err`
/// with a note when the map cannot be carried (undecodable, too large for its photo, or over the
/// budget: it is made after the base is encoded and freed, so the budget is the whole of
/// `MEMORY_BUDGET_MB`, counted from the map's header before anything is allocated for it).
#[allow(clippy::too_many_arguments)]
pub fn carried(
    base: &[u8],
    map: &Map,
    source: Option<&[u8]>,
    shape: &Shape,
    window: Rect,
    quality: u8,
    limits: &Limits,
    codecs: &Codecs<'_>,
) -> std::result::Result<(Vec<u8>, u64), String> {
    let dropped = |why: String| format!("the HDR gain map is dropped: {why}");
    // The map's stored size, and what its decode holds at full size: the file it is read from
    // (a JPEG map's bytes; the original for a HEIF item), the decoder's planes and coefficients,
    // and its pixels (as RGBA, the widest any step makes them).
    let jpeg_probe = match map {
        Map::Jpeg(m) => Some(jpeg::probe(&m.image).map_err(|e| dropped(e.to_string()))?),
        Map::Heif { .. } => None,
    };
    let (size, decoding) = match (map, source, &jpeg_probe) {
        (Map::Jpeg(m), _, Some(p)) => {
            ((p.width, p.height), m.image.len() as u64 + p.plane_bytes + p.held_bytes + p.width as u64 * p.height as u64 * 4)
        }
        (Map::Heif { item, .. }, Some(file), _) => {
            let size = heif::structure::read_item(file, Some(*item)).map(|s| s.shown()).map_err(|e| dropped(e.to_string()))?;
            (size, file.len() as u64 + size.0 as u64 * size.1 as u64 * 4 * 2)
        }
        _ => return Err(dropped("the original was not kept".into())),
    };
    let (kx, ky) = (size.0 as f64 / shape.stored.0, size.1 as f64 / shape.stored.1);
    if kx > MAX_MAP_RATIO || ky > MAX_MAP_RATIO {
        return Err(dropped(format!("it is {}×{} for a {}×{} photo", size.0, size.1, shape.stored.0, shape.stored.1)));
    }
    // The output's map, three RGBA copies of it at most, each overlay scaled (and its neutral
    // copy), and the written file (the base and the map again): counted before any of it exists.
    let side = |v: u32, k: f64| ((v as f64 * k).round() as u64).max(1);
    let out = side(shape.output.0, kx.max(ky)) * side(shape.output.1, kx.max(ky));
    let overlays: u64 = shape.overlays.iter().map(|o| side(o.img.width(), kx) * side(o.img.height(), ky) * 4 * 2).sum();
    let live = base.len() as u64 * 2 + decoding + out * 4 * 3 + overlays;
    let peak = steps::admit::with_margins(live);
    if peak > limits.memory_budget {
        return Err(dropped("over the memory budget".into()));
    }
    let neutral = map.values().neutral();
    let base_stored = shape.stored;
    let shape = scaled(shape, size, neutral);
    let made = || -> Result<Vec<u8>> {
        let decoded = match (map, source, &jpeg_probe) {
            (Map::Jpeg(m), _, Some(p)) => jpeg::decode(&m.image, p, steps::admit::decode_size(p, shape.needed()))?.image,
            (Map::Heif { item, .. }, Some(file), _) => heif::decode_item(file, *item, limits.heif_memory_budget, codecs)?.image,
            _ => return Err(crate::error::Error::Internal("the original was not kept".into())),
        };
        let (dw, dh) = (decoded.width(), decoded.height());
        let grey = decoded.color().channel_count() < 3;
        let region = window.scaled_within(dw as f64 / base_stored.0, dh as f64 / base_stored.1, dw, dh);
        let made = steps::apply(&shape, Pixels { img: decoded, region: Some(region), icc: None, note: None })?.img;
        // As many channels as the map image has: a colour map is applied per channel even where
        // the metadata gives one set of values for all three.
        let img = if grey { DynamicImage::ImageLuma8(made.to_luma8()) } else { DynamicImage::ImageRgb8(made.to_rgb8()) };
        let encoded = encode::encode_jpeg(&img, quality, [neutral, neutral, neutral, 255], false, None)?;
        Ok(gainmap::write(base, &encoded, &map.described()))
    };
    made().map(|bytes| (bytes, peak)).map_err(|e| dropped(e.to_string()))
}

/// `shape` for the map's pixels (`map`, stored as the base is): every size and position scaled
/// by the map's own ratio to the base, on each axis; no tone effect; the canvas, border and
/// overlays drawn in the value of no boost.
fn scaled(shape: &Shape, map: (u32, u32), neutral: u8) -> Shape {
    let (kx, ky) = (map.0 as f64 / shape.stored.0, map.1 as f64 / shape.stored.1);
    // The canvas, border and overlays are placed on the output, which may be turned.
    let (ox, oy) = if swaps_axes(shape.orientation) { (ky, kx) } else { (kx, ky) };
    let at = |v: f64, k: f64| (v * k).round();
    let side = |v: u32, k: f64| (at(v as f64, k) as u32).max(1);
    let out = (side(shape.out.0, kx), side(shape.out.1, ky));
    let canvas = shape.canvas.map(|c| Canvas {
        width: side(c.width, ox),
        height: side(c.height, oy),
        left: at(c.left as f64, ox) as u32,
        top: at(c.top as f64, oy) as u32,
    });
    let grey = [neutral, neutral, neutral, 255];
    let border = shape.border.map(|b| crate::transform::Border {
        color: grey,
        top: at(b.top as f64, oy) as u32,
        right: at(b.right as f64, ox) as u32,
        bottom: at(b.bottom as f64, oy) as u32,
        left: at(b.left as f64, ox) as u32,
    });
    let upright = if swaps_axes(shape.orientation) { (out.1, out.0) } else { out };
    let inner = canvas.map_or(upright, |c| (c.width, c.height));
    let output = border.map_or(inner, |b| (inner.0 + b.left + b.right, inner.1 + b.top + b.bottom));
    let overlays = shape.overlays.iter().map(|o| neutral_under(o, (ox, oy), neutral)).collect();
    Shape {
        region: shape.region.scaled_within(kx, ky, map.0, map.1),
        bounds: shape.bounds.scaled_within(kx, ky, map.0, map.1),
        stored: (map.0 as f64, map.1 as f64),
        out,
        orientation: shape.orientation,
        auto_crop: false,
        entropy: false,
        faces: None,
        canvas,
        output,
        background: grey,
        adjust: Adjust::default(),
        border,
        overlays,
        margin: 1.0,
    }
}

/// An overlay as the map sees it: where it covers (its alpha, scaled), the value of no boost.
fn neutral_under(o: &Placed, (kx, ky): (f64, f64), neutral: u8) -> Placed {
    let at = |v: i64, k: f64| (v as f64 * k).round() as i64;
    let (w, h) = (((o.img.width() as f64 * kx).round() as u32).max(1), ((o.img.height() as f64 * ky).round() as u32).max(1));
    let small = imageops::resize(&o.img, w, h, imageops::FilterType::Triangle);
    let img = RgbaImage::from_fn(w, h, |x, y| Rgba([neutral, neutral, neutral, small.get_pixel(x, y)[3]]));
    Placed {
        img,
        origin: (at(o.origin.0, kx), at(o.origin.1, ky)),
        columns: at(o.columns.start, kx)..at(o.columns.end, kx),
        rows: at(o.rows.start, ky)..at(o.rows.end, ky),
        composite: Composite::Over,
    }
}

#[cfg(test)]
mod tests;
