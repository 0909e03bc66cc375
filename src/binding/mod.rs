//! Cloudflare's Images binding (`env.IMAGES.input(…).transform(…).draw(…).output(…)`), served by
//! our engine. `js/binding.mjs` records a chain on the caller's side, as Cloudflare's own wrapper
//! does, and sends it in one call as a [`Job`] (JSON) with the images' bytes beside it; the worker's
//! `Images` entrypoint hands both to `flow::binding`. Each `transform()` is read with the URLs'
//! own vocabulary ([`options`]), so a URL and a binding call with the same options give the same
//! bytes. Errors carry Cloudflare's codes ([`code`]).

pub mod options;

use crate::config::Overlay;
use crate::error::{Error, Result};
use crate::transform::text::Text;
use crate::transform::Format;
use options::Steps;
use serde_json::Value;

/// The most `transform()`s and `draw()`s one chain may record, nested draws included: bounds the
/// work of one call (each transform is a pass over the pixels).
pub const MAX_STEPS: usize = 16;

/// One chain: an image, then its steps in call order.
#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    pub input: Input,
    pub steps: Vec<Step>,
}

/// What a chain starts from: `input(stream)` or `text(content, options)`.
#[derive(Debug, Clone, PartialEq)]
pub enum Input {
    /// Index of the image's bytes among the call's sources.
    Image(usize),
    /// A line of text, with the index of a font file among the sources (`font: {url}`, fetched by
    /// the caller) or a family in `text.family`.
    Text { text: Text, font: Option<usize> },
}

/// What one call to the chain recorded.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// One `transform()`: its options as the URL grammars read them.
    Transform(Steps),
    /// One `draw()`: another chain, made first, drawn as an overlay placed as the options say.
    Draw(Box<Job>, Overlay),
}

/// `output()`'s options.
#[derive(Debug, Clone, PartialEq)]
pub struct Output {
    pub format: OutputFormat,
    /// As the URL's `quality`, `background` and `anim`: applied with the last transform.
    pub options: Steps,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputFormat {
    Encoded(Format),
    /// Raw pixels, 3 or 4 bytes each, row by row.
    Raw {
        alpha: bool,
    },
}

impl OutputFormat {
    pub fn content_type(self) -> &'static str {
        match self {
            OutputFormat::Encoded(f) => f.content_type(),
            // (Cloudflare documents no type for raw pixels.)
            OutputFormat::Raw { .. } => "application/octet-stream",
        }
    }
}

/// `{"job": {"source": 0, "steps": [...]}, "output": {"format": "image/webp", …}}`, as
/// `js/binding.mjs` sends it; `sources` is how many images came with it.
pub fn parse(json: &str, sources: usize) -> Result<(Job, Output)> {
    if sources > MAX_STEPS + 1 {
        return Err(Error::bad_request(format!("at most {} images in one call (one per input() and draw())", MAX_STEPS + 1)));
    }
    let value: Value = serde_json::from_str(json).map_err(|e| Error::bad_request(format!("not a binding call ({e})")))?;
    let mut counted = 0;
    let job = job(value.get("job").unwrap_or(&Value::Null), sources, &mut counted)?;
    let output = options::output(value.get("output").unwrap_or(&Value::Null))?;
    Ok((job, output))
}

fn job(value: &Value, sources: usize, counted: &mut usize) -> Result<Job> {
    let index = |v: Option<&Value>| v.and_then(Value::as_u64).filter(|&s| (s as usize) < sources).map(|s| s as usize);
    let input = match value.get("text") {
        Some(text) => {
            let font = text.get("font");
            let font_source = match font.and_then(|f| f.get("source")) {
                Some(i) => Some(index(Some(i)).ok_or_else(|| Error::bad_request("text(): the font must be one of the call's files"))?),
                None => None,
            };
            Input::Text { text: options::text(text)?, font: font_source }
        }
        None => {
            Input::Image(index(value.get("source")).ok_or_else(|| Error::bad_request("a chain must start from one of the call's images"))?)
        }
    };
    let mut steps = Vec::new();
    for step in value.get("steps").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default() {
        *counted += 1;
        if *counted > MAX_STEPS {
            return Err(Error::bad_request(format!("at most {MAX_STEPS} transform() and draw() calls in one chain")));
        }
        steps.push(match (step.get("transform"), step.get("draw")) {
            (Some(t), None) => Step::Transform(options::transform(t)?),
            (None, Some(d)) => {
                let child = job(d.get("image").unwrap_or(&Value::Null), sources, counted)?;
                Step::Draw(Box::new(child), crate::config::overlays_drawn(d.get("options").unwrap_or(&Value::Null))?)
            }
            _ => return Err(Error::bad_request("a step is one transform() or one draw()")),
        });
    }
    Ok(Job { input, steps })
}

/// Cloudflare's error code for one of ours (its Images error table): what the binding's
/// `ImagesError.code` says.
pub fn code(e: &Error) -> u16 {
    match e {
        Error::BadRequest(_) => 9432,
        Error::TooLarge(_) => 9413,
        // An input that is not an image we read; an output format we cannot write is refused
        // while parsing, as 9520 (below).
        Error::Unsupported(m) if m.starts_with(UNSUPPORTED_OUTPUT) => 9520,
        Error::Unsupported(_) => 9412,
        Error::Undecodable(_) => 9516,
        Error::Busy(_) | Error::TooManyRequests(..) => 9522,
        _ => 9523,
    }
}

/// How an unsupported `output({format})` is worded (and recognised by [`code`]).
pub const UNSUPPORTED_OUTPUT: &str = "output format";

#[cfg(test)]
mod tests;
