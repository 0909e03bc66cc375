//! `OVERLAYS`: named overlays (Cloudflare's `draw`, which Cloudflare offers to Workers only), as
//! JSON in the configuration so a URL can only choose among what the operator allowed:
//!
//! ```json
//! {"logo": {"key": "brand/logo.png", "width": 120, "bottom": 10, "right": 10, "opacity": 0.8},
//!  "mark": {"key": "brand/mark.png", "repeat": true, "opacity": 0.2, "default_for": ["shop/"]}}
//! ```
//!
//! A URL asks for one with `draw=logo`; `default_for` draws it on every image whose key starts
//! with one of those prefixes, whatever the URL says (marketplace watermarks). An overlay is an
//! image in the bucket (`key`) or a line of text (`text`, with `font`, `size` in points and
//! `color`, Cloudflare's text `draw`): `{"note": {"text": "© Shop", "size": 18, "color": "#fffc",
//! "bottom": 8, "right": 8}}`.

use crate::error::{Error, Result};
use crate::transform::text::Text;
use crate::transform::{Fit, Gravity};
use serde::Deserialize;

/// One overlay, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Overlay {
    pub name: String,
    /// The R2 key of the image drawn (empty for text).
    pub key: String,
    /// Or the text drawn.
    pub text: Option<Text>,
    /// Its box (`fit` and `gravity` as for the main image), in output pixels or as a fraction of
    /// the base image (Cloudflare's 2026 form); its own size when neither is given.
    pub width: Option<Side>,
    pub height: Option<Side>,
    pub fit: Fit,
    pub gravity: Gravity,
    /// 0 (invisible) ..= 1.
    pub opacity: f32,
    /// How it combines with the image under it (Cloudflare's `composite`).
    pub composite: Composite,
    pub repeat: Repeat,
    /// Offsets from the edges; an axis without one is centred.
    pub left: Option<u32>,
    pub right: Option<u32>,
    pub top: Option<u32>,
    pub bottom: Option<u32>,
    pub background: Option<[u8; 4]>,
    /// Quarter turns clockwise.
    pub quarters: u8,
    /// Key prefixes whose every image gets this overlay.
    pub default_for: Vec<String>,
}

/// An overlay's side: pixels (`120`), or a fraction of the base image's side (`0.25`: a quarter
/// of it; any number with a fraction part up to `1.0`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Side {
    Pixels(u32),
    Fraction(f32),
}

impl Side {
    /// In pixels, for a base image `base` pixels along this side (at least 1).
    pub fn of(self, base: u32) -> u32 {
        match self {
            Side::Pixels(px) => px,
            Side::Fraction(f) => ((base as f64 * f as f64).round() as u32).max(1),
        }
    }
}

/// Cloudflare's `composite` modes (its Workers types list exactly these): Porter–Duff operators
/// and `lighter`, on sRGB values with premultiplied alpha as a canvas does. Cloudflare does not
/// say where a mode acts: here only under the overlay, so the rest of the image is kept (as
/// sharp and libvips do).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Composite {
    /// The overlay on top (the default).
    #[default]
    Over,
    /// The overlay only where the image under it is opaque, and nothing of that image.
    In,
    /// The overlay on top, clipped to the image's shape.
    Atop,
    /// The overlay only where the image under it is transparent.
    Out,
    /// Each only where the other is not.
    Xor,
    /// Both added (brightening).
    Lighter,
}

impl Composite {
    pub const NAMES: &'static [(&'static str, Composite)] = &[
        ("over", Composite::Over),
        ("in", Composite::In),
        ("atop", Composite::Atop),
        ("out", Composite::Out),
        ("xor", Composite::Xor),
        ("lighter", Composite::Lighter),
    ];
}

/// `repeat`: tiled over the whole image, along one line, or drawn once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Repeat {
    Once,
    Both,
    X,
    Y,
}

/// The JSON form, as written by the operator.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Spec {
    key: Option<String>,
    text: Option<String>,
    font: Option<String>,
    size: Option<f32>,
    color: Option<String>,
    width: Option<serde_json::Number>,
    height: Option<serde_json::Number>,
    fit: Option<String>,
    gravity: Option<String>,
    opacity: Option<f32>,
    composite: Option<String>,
    repeat: Option<serde_json::Value>,
    left: Option<u32>,
    right: Option<u32>,
    top: Option<u32>,
    bottom: Option<u32>,
    background: Option<String>,
    rotate: Option<u32>,
    #[serde(default)]
    default_for: Vec<String>,
}

/// Parses `OVERLAYS`; every mistake names the overlay and the field.
pub fn parse(json: &str) -> Result<Vec<Overlay>> {
    let specs: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(json).map_err(|e| bad("OVERLAYS", &format!("a JSON object of overlays ({e})")))?;
    specs.into_iter().map(|(name, value)| check(name, value)).collect()
}

/// The Images binding's `draw()` options (`opacity`, `composite`, `repeat`, the edge offsets: the
/// part of an overlay a caller places) read as an `OVERLAYS` entry is, with the client's 400s.
pub fn drawn(options: &serde_json::Value) -> Result<Overlay> {
    const PLACES: [&str; 7] = ["opacity", "composite", "repeat", "left", "right", "top", "bottom"];
    let mut spec = match options {
        serde_json::Value::Null => serde_json::Map::new(),
        serde_json::Value::Object(o) => o.clone(),
        _ => return Err(Error::bad_request("draw() takes an object of options")),
    };
    if let Some(other) = spec.keys().find(|k| !PLACES.contains(&k.as_str())) {
        return Err(Error::bad_request(format!("draw() does not take '{other}' (known: {})", PLACES.join(", "))));
    }
    spec.insert("key".into(), "the drawn image".into());
    let placed = check("draw".into(), spec.into()).map_err(|e| {
        Error::bad_request(e.message().replace("configuration variable OVERLAYS.draw", "draw()").replace("OVERLAYS.draw", "draw()"))
    })?;
    Ok(Overlay { key: String::new(), ..placed })
}

fn check(name: String, value: serde_json::Value) -> Result<Overlay> {
    let at = format!("OVERLAYS.{name}");
    if name.is_empty() || name.len() > 32 || !name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-') {
        return Err(bad(&at, "named with 1 to 32 of a-z, 0-9 and -"));
    }
    let s: Spec = serde_json::from_value(value).map_err(|e| bad(&at, &format!("an overlay ({e})")))?;
    if s.text.is_none() && (s.font.is_some() || s.size.is_some() || s.color.is_some()) {
        return Err(bad(&at, "an image overlay: font, size and color are for text"));
    }
    let (key, text) = match (s.key, s.text) {
        (Some(key), None) if !key.is_empty() && !key.starts_with('/') => (key, None),
        (Some(_), None) => return Err(bad(&format!("{at}.key"), "an R2 key")),
        (None, Some(content)) => {
            let color = match s.color.as_deref() {
                None => [0, 0, 0, 255],
                Some(c) => csscolorparser::parse(c).map(|c| c.to_rgba8()).map_err(|_| bad(&format!("{at}.color"), "a CSS colour"))?,
            };
            // Points, as Cloudflare's `size`: 4/3 of a CSS pixel.
            let size_px = s.size.unwrap_or(DEFAULT_TEXT_POINTS) * 4.0 / 3.0;
            let text = Text { content, family: s.font.unwrap_or_default(), size_px, color };
            let checked =
                text.checked(&format!("{at}.text")).map_err(|e| Error::Misconfigured(format!("configuration variable {}", e.message())))?;
            (String::new(), Some(checked))
        }
        _ => return Err(bad(&at, "an image (key) or a text (text), one of the two")),
    };
    if s.left.is_some() && s.right.is_some() || s.top.is_some() && s.bottom.is_some() {
        return Err(bad(&at, "at most one of left and right, and of top and bottom (Cloudflare's rule)"));
    }
    let fit = match s.fit.as_deref() {
        None => Fit::Contain,
        Some(f) => Fit::parse(f).ok_or_else(|| bad(&format!("{at}.fit"), &Fit::NAMES.list()))?,
    };
    let gravity = match s.gravity.as_deref() {
        None => Gravity::Center,
        Some(g) => Gravity::parse(g).ok_or_else(|| bad(&format!("{at}.gravity"), &Gravity::expected()))?,
    };
    let opacity = s.opacity.unwrap_or(1.0);
    if !(0.0..=1.0).contains(&opacity) {
        return Err(bad(&format!("{at}.opacity"), "a number from 0 to 1"));
    }
    let composite = match s.composite.as_deref() {
        None => Composite::Over,
        Some(c) => Composite::NAMES
            .iter()
            .find(|(n, _)| *n == c)
            .map(|(_, m)| *m)
            .ok_or_else(|| bad(&format!("{at}.composite"), &Composite::NAMES.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ")))?,
    };
    let repeat = match s.repeat {
        None | Some(serde_json::Value::Bool(false)) => Repeat::Once,
        Some(serde_json::Value::Bool(true)) => Repeat::Both,
        Some(serde_json::Value::String(axis)) if axis == "x" => Repeat::X,
        Some(serde_json::Value::String(axis)) if axis == "y" => Repeat::Y,
        Some(_) => return Err(bad(&format!("{at}.repeat"), "true, false, \"x\" or \"y\"")),
    };
    let quarters = match s.rotate.unwrap_or(0) {
        d @ (0 | 90 | 180 | 270) => (d / 90) as u8,
        _ => return Err(bad(&format!("{at}.rotate"), "0, 90, 180 or 270")),
    };
    let background = match s.background.as_deref() {
        None => None,
        Some(c) => Some(csscolorparser::parse(c).map(|c| c.to_rgba8()).map_err(|_| bad(&format!("{at}.background"), "a CSS colour"))?),
    };
    let side = |v: Option<serde_json::Number>, field: &str| match v {
        None => Ok(None),
        Some(n) => match (n.as_u64(), n.as_f64()) {
            (Some(px @ 1..=4096), _) => Ok(Some(Side::Pixels(px as u32))),
            (None, Some(f)) if f > 0.0 && f <= 1.0 => Ok(Some(Side::Fraction(f as f32))),
            _ => Err(bad(&format!("{at}.{field}"), "1 to 4096 pixels, or a fraction of the base image above 0 and up to 1.0")),
        },
    };
    Ok(Overlay {
        width: side(s.width, "width")?,
        height: side(s.height, "height")?,
        name,
        key,
        text,
        fit,
        gravity,
        opacity,
        composite,
        repeat,
        left: s.left,
        right: s.right,
        top: s.top,
        bottom: s.bottom,
        background,
        quarters,
        default_for: s.default_for,
    })
}

/// A text overlay's size when it names none, in points (16 CSS pixels, a browser's default).
const DEFAULT_TEXT_POINTS: f32 = 12.0;

fn bad(name: &str, expected: &str) -> Error {
    Error::Misconfigured(format!("configuration variable {name} must be {expected}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_cloudflares_draw_fields() {
        let o = parse(r#"{"logo": {"key": "brand/logo.png", "width": 100, "height": 50, "bottom": 5, "right": 5, "opacity": 0.8, "rotate": 90, "repeat": "x", "background": "white", "default_for": ["shop/"]}}"#).unwrap();
        let logo = &o[0];
        assert_eq!(
            (logo.name.as_str(), logo.key.as_str(), logo.width, logo.height),
            ("logo", "brand/logo.png", Some(Side::Pixels(100)), Some(Side::Pixels(50)))
        );
        let part = parse(r#"{"p": {"key": "x.png", "width": 0.25, "height": 1.0}}"#).unwrap();
        assert_eq!((part[0].width, part[0].height), (Some(Side::Fraction(0.25)), Some(Side::Fraction(1.0))));
        assert_eq!((Side::Fraction(0.25).of(1000), Side::Fraction(0.001).of(10), Side::Pixels(7).of(1000)), (250, 1, 7));
        assert_eq!((logo.bottom, logo.right, logo.top, logo.left), (Some(5), Some(5), None, None));
        assert_eq!((logo.opacity, logo.quarters, logo.repeat, logo.fit), (0.8, 1, Repeat::X, Fit::Contain));
        assert_eq!((logo.background, logo.default_for.clone()), (Some([255, 255, 255, 255]), vec!["shop/".to_string()]));
    }

    #[test]
    fn refuses_what_cloudflare_refuses_naming_the_field() {
        for (json, named) in [
            (r#"{"a": {"key": "x.png", "left": 1, "right": 2}}"#, "OVERLAYS.a"),
            (r#"{"a": {"key": "x.png", "opacity": 2}}"#, "opacity"),
            (r#"{"a": {"key": "x.png", "rotate": 45}}"#, "rotate"),
            (r#"{"a": {"key": "x.png", "repeat": "z"}}"#, "repeat"),
            (r#"{"a": {"key": "x.png", "fit": "fill"}}"#, "fit"),
            (r#"{"a": {"key": "x.png", "width": 1.5}}"#, "width"),
            (r#"{"a": {"key": "x.png", "composite": "multiply"}}"#, "over, in, atop, out, xor, lighter"),
            (r#"{"a": {"key": "x.png", "width": 0}}"#, "width"),
            (r#"{"a": {"key": "x.png", "height": -0.5}}"#, "height"),
            (r#"{"a": {"key": "x.png", "url": "https://x"}}"#, "OVERLAYS.a"),
            (r#"{"A b": {"key": "x.png"}}"#, "OVERLAYS.A b"),
            (r#"{"a": {"key": ""}}"#, "key"),
            (r#"[1]"#, "OVERLAYS"),
        ] {
            let e = parse(json).unwrap_err();
            assert_eq!(e.status(), 500, "{json}");
            assert!(e.message().contains(named), "{json}: {e}");
        }
    }
}
