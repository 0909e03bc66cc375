//! The binding's option objects read with the URLs' vocabulary: `transform({width: 300, fit:
//! "cover"})` is `width=300,fit=cover` to the same parser (`url::Builder`), so every range, alias and
//! refusal is the URL's. The object forms the URL writes as one value (`gravity: {x, y}`,
//! `border: {color, width}`, `trim: {top, …, border: {…}}`) are flattened here first.

use super::{Output, OutputFormat, UNSUPPORTED_OUTPUT};
use crate::config::UrlSettings;
use crate::error::{Error, Result};
use crate::transform::text::Text;
use crate::transform::{Format, Transform};
use crate::url::{Builder, Vocabulary};
use serde_json::{Map, Value};

/// One call's options as `name=value` pairs, in the order given.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Steps(pub Vec<(String, String)>);

const TRANSFORM_ONLY: Vocabulary = Vocabulary { transform: true, presets: false };

impl Steps {
    /// The transform these options (then `then`'s, which win) ask for. Animations are kept
    /// unless `anim: false` says otherwise, as Cloudflare's binding does.
    pub fn build(&self, then: &Steps, settings: &UrlSettings) -> Result<Transform> {
        let mut b = Builder::cloudflare(settings);
        let overridden = |name: &str| then.0.iter().any(|(n, _)| n == name);
        for (name, value) in self.0.iter().filter(|(n, _)| !overridden(n)).chain(&then.0) {
            b.set(name, value, TRANSFORM_ONLY)?;
        }
        b.finish()
    }
}

/// `transform()`'s object (Cloudflare's `ImageTransform`).
pub fn transform(value: &Value) -> Result<Steps> {
    let object = value.as_object().ok_or_else(|| Error::bad_request("transform() takes an object of options"))?;
    let mut steps = Vec::new();
    for (name, value) in object {
        match (name.as_str(), value) {
            (_, Value::Null) => {}
            ("gravity", Value::Object(point)) => focal_point(point, &mut steps)?,
            ("border", Value::Object(border)) => steps.push(("border".into(), border_value(border)?)),
            ("trim", Value::Object(trim)) => trim_steps(trim, &mut steps)?,
            // Options the URL grammar has no use for here: the output's own (`output()` takes them).
            // `width=auto` reads a browser's hints, which a binding call has none of.
            ("width", Value::String(auto)) if auto == "auto" => {
                return Err(Error::bad_request("transform() takes a width in pixels: width auto needs a browser's client hints"))
            }
            ("format" | "quality" | "anim" | "draw" | "metadata" | "onerror", _) => {
                return Err(Error::bad_request(format!("transform() does not take '{name}' (output() and draw() do)")))
            }
            (_, value) => steps.push((name.clone(), scalar(name, value)?)),
        }
    }
    Ok(Steps(steps))
}

/// `{x, y, mode}`: a focal point in fractions of the image (`gravity=XxY`, `gravity.mode=…` in a
/// URL). Cloudflare documents the mode's names only; docs/options.md says what ours do.
fn focal_point(point: &Map<String, Value>, steps: &mut Vec<(String, String)>) -> Result<()> {
    let fraction = |axis: &str| match point.get(axis) {
        None | Some(Value::Null) => Ok(0.5),
        Some(v) => {
            v.as_f64().filter(|f| (0.0..=1.0).contains(f)).ok_or_else(|| Error::bad_request(format!("gravity.{axis} must be 0 to 1")))
        }
    };
    steps.push(("gravity".into(), format!("{}x{}", fraction("x")?, fraction("y")?)));
    if let Some(mode) = point.get("mode").filter(|m| !m.is_null()) {
        steps.push(("gravity.mode".into(), scalar("gravity.mode", mode)?));
    }
    Ok(())
}

/// `{color, width}` or `{color?, top, right, bottom, left}` → `color;width` or `color;t;r;b;l`.
fn border_value(border: &Map<String, Value>) -> Result<String> {
    let color = border.get("color").and_then(Value::as_str).unwrap_or("black");
    let side = |name: &str| border.get(name).and_then(Value::as_u64).unwrap_or(0);
    Ok(match border.get("width") {
        Some(w) => format!("{color};{}", w.as_u64().ok_or_else(|| Error::bad_request("border.width must be a whole number"))?),
        None => format!("{color};{};{};{};{}", side("top"), side("right"), side("bottom"), side("left")),
    })
}

/// `{top, right, bottom, left, width, height}` in pixels, or `{border: true | {color, tolerance,
/// keep}}`: the URL's `trim.*` options.
fn trim_steps(trim: &Map<String, Value>, steps: &mut Vec<(String, String)>) -> Result<()> {
    for (name, value) in trim {
        match (name.as_str(), value) {
            ("border", Value::Bool(true)) => steps.push(("trim".into(), "border".into())),
            ("border", Value::Bool(false) | Value::Null) => {}
            ("border", Value::Object(border)) => {
                steps.push(("trim".into(), "border".into()));
                for (part, v) in border {
                    steps.push((format!("trim.border.{part}"), scalar(part, v)?));
                }
            }
            (_, v) => steps.push((format!("trim.{name}"), scalar(name, v)?)),
        }
    }
    Ok(())
}

/// A number, string or boolean as a URL would write it.
fn scalar(name: &str, value: &Value) -> Result<String> {
    match value {
        Value::Number(n) => Ok(n.to_string()),
        Value::String(s) => Ok(s.clone()),
        Value::Bool(b) => Ok(b.to_string()),
        _ => Err(Error::bad_request(format!("'{name}' must be a number, a string or a boolean"))),
    }
}

/// `text(content, {font, size, color})` (Cloudflare's `TextOptions`): `size` in points (4/3 of a
/// CSS pixel), default 12; `color` a CSS colour, default black; `font: {family}` one the worker
/// has (bundled or `FONTS`), or `font: {url}`, which the caller fetched and sent as a file.
pub fn text(value: &Value) -> Result<Text> {
    let content = value.get("content").and_then(Value::as_str).ok_or_else(|| Error::bad_request("text() takes the text to draw"))?;
    let size = match value.get("size") {
        None | Some(Value::Null) => 12.0,
        Some(v) => v.as_f64().ok_or_else(|| Error::bad_request("text size must be a number of points"))?,
    };
    let color = match value.get("color").and_then(Value::as_str) {
        None => [0, 0, 0, 255],
        Some(c) => csscolorparser::parse(c)
            .map(|c| c.to_rgba8())
            .map_err(|_| Error::bad_request(format!("text color must be a CSS colour, not '{c}'")))?,
    };
    let family = value.get("font").and_then(|f| f.get("family")).and_then(Value::as_str).unwrap_or_default();
    Text { content: content.to_string(), family: family.to_string(), size_px: size as f32 * 4.0 / 3.0, color }.checked("text()")
}

/// `output()`'s object: `format` (required, a MIME type or `rgb`/`rgba`), `quality`,
/// `background`, `anim`.
pub fn output(value: &Value) -> Result<Output> {
    let o = value.as_object().ok_or_else(|| Error::bad_request("output() takes an object with a format"))?;
    let format = match o.get("format").and_then(Value::as_str) {
        None => return Err(Error::bad_request("output() needs a format (Cloudflare's binding has no default)")),
        Some("rgb") => OutputFormat::Raw { alpha: false },
        Some("rgba") => OutputFormat::Raw { alpha: true },
        Some(mime) => OutputFormat::Encoded(encoded(mime).ok_or_else(|| {
            Error::Unsupported(format!(
                "{UNSUPPORTED_OUTPUT} {mime}: image/jpeg, image/png, image/gif, image/webp, image/avif, rgb or rgba"
            ))
        })?),
    };
    let mut steps = Vec::new();
    for (name, v) in o {
        match (name.as_str(), v) {
            ("format", _) | (_, Value::Null) => {}
            ("quality" | "background" | "anim", v) => steps.push((name.clone(), scalar(name, v)?)),
            _ => return Err(Error::bad_request(format!("output() does not take '{name}' (known: format, quality, background, anim)"))),
        }
    }
    Ok(Output { format, options: Steps(steps) })
}

/// The formats `output()` may name (GIF too, which URLs reach only through `anim`).
fn encoded(mime: &str) -> Option<Format> {
    [Format::Jpeg, Format::Png, Format::Gif, Format::Webp, Format::Avif].into_iter().find(|f| f.content_type() == mime)
}
