//! A call through the Images binding (`crate::binding`): the chain made within the isolate's
//! budgets as a URL's transform is (the in-flight gate for the images' bytes, then the pipeline's
//! memory admission for every pass), with nothing read from or written to the store or the cache
//! (as Cloudflare's binding: the caller decides what to keep).
//!
//! Each `transform()` is one pipeline pass, with the `draw()`s that follow it drawn on its result;
//! a `transform()` after a `draw()` starts a new pass. Between passes the image is held as a
//! lossless PNG. A drawn chain is made first, the same way, into a PNG.

use super::gate::Gate;
use super::ports::{Clock, CodecHost};
use crate::binding::options::Steps;
use crate::binding::{Input, Job, Output, OutputFormat, Step};
use crate::config::{Config, Overlay};
use crate::error::{Error, Result};
use crate::pipeline::codecs::vector::text;
use crate::pipeline::{self, codecs, Host};
use crate::transform::{Accepts, Format, FormatChoice};
use futures_util::future::LocalBoxFuture;
use futures_util::FutureExt;

/// What a binding call may use of the isolate.
pub struct Engine<'a> {
    pub config: &'a Config,
    pub clock: &'a dyn Clock,
    pub codecs: &'a dyn CodecHost,
    pub gate: &'a Gate,
}

/// `output()`'s result.
#[derive(Debug)]
pub struct Made {
    pub bytes: Vec<u8>,
    pub content_type: &'static str,
    /// What was made instead of what was asked (an animation over its budget, an AVIF served as
    /// WebP), as `x-resize-note` says for a URL.
    pub note: Option<String>,
}

/// `input(…)…output(…)`: `sources` are the images' bytes the chain's `source` indices name.
pub async fn run(engine: &Engine<'_>, job: &Job, output: &Output, mut sources: Vec<Vec<u8>>) -> Result<Made> {
    let limits = &engine.config.pipeline.limits;
    admit_sources(&sources, limits.original_max_bytes)?;
    let total = sources.iter().map(|s| s.len() as u64).sum::<u64>();
    let slot = engine.gate.take(total, limits, engine.clock).await?;
    let made = render(engine, job, Some(output), &mut sources).await?;
    drop(slot);
    let bytes = match output.format {
        OutputFormat::Raw { alpha } => raw(&made.bytes, alpha)?,
        OutputFormat::Encoded(_) => made.bytes,
    };
    let content_type = match output.format {
        OutputFormat::Encoded(_) => made.format.content_type(),
        raw => raw.content_type(),
    };
    Ok(Made { bytes, content_type, note: made.note })
}

/// `info(…)`: the format, size in bytes and size as displayed (EXIF orientation applied); for
/// SVG the format alone, as Cloudflare's.
pub fn info(bytes: &[u8]) -> Result<Info> {
    let format = sniffed(bytes)?;
    if format == Format::Svg {
        return Ok(Info { format: format.content_type(), file_size: None, width: None, height: None });
    }
    let probe = pipeline::steps::probe::probe(bytes)?;
    let (width, height) = probe.oriented_size();
    Ok(Info { format: probe.format.content_type(), file_size: Some(bytes.len() as u64), width: Some(width), height: Some(height) })
}

/// `ImageInfoResponse`.
#[derive(Debug, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Info {
    pub format: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file_size: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub width: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub height: Option<u32>,
}

/// The format of an input, or Cloudflare's "not an image" (9412) for bytes of no image format
/// (a URL's original would be a 422: it claimed to be an image).
fn sniffed(bytes: &[u8]) -> Result<Format> {
    codecs::sniff(bytes).map_err(|e| match e {
        Error::Undecodable(m) => Error::Unsupported(format!("not an image: {m}")),
        other => other,
    })
}

fn admit_sources(sources: &[Vec<u8>], max: u64) -> Result<()> {
    match sources.iter().find(|s| s.len() as u64 > max) {
        Some(s) => Err(Error::TooLarge(format!("an image of {} bytes is over ORIGINAL_MAX_MB ({max} bytes)", s.len()))),
        None => Ok(()),
    }
}

/// One pass: a `transform()` (or none) and the `draw()`s that follow it.
struct Pass<'j> {
    steps: Option<&'j Steps>,
    draws: Vec<(&'j Job, &'j Overlay)>,
}

/// The chain's steps as passes, in call order.
fn passes(steps: &[Step]) -> Vec<Pass<'_>> {
    let mut passes: Vec<Pass<'_>> = Vec::new();
    for step in steps {
        match step {
            Step::Transform(t) => passes.push(Pass { steps: Some(t), draws: Vec::new() }),
            Step::Draw(child, placement) => match passes.last_mut() {
                Some(pass) => pass.draws.push((child, placement)),
                None => passes.push(Pass { steps: None, draws: vec![(child, placement)] }),
            },
        }
    }
    if passes.is_empty() {
        passes.push(Pass { steps: None, draws: Vec::new() });
    }
    passes
}

/// The last pass's output.
struct Rendered {
    bytes: Vec<u8>,
    format: Format,
    note: Option<String>,
}

/// A chain made: in `output`'s format and with its options, or for a drawn chain (`None`) as PNG.
fn render<'a: 's, 's>(
    engine: &'a Engine<'a>,
    job: &'a Job,
    output: Option<&'a Output>,
    sources: &'s mut Vec<Vec<u8>>,
) -> LocalBoxFuture<'s, Result<Rendered>> {
    async move {
        let mut take = |i: usize| {
            let taken = sources.get_mut(i).map(std::mem::take).filter(|b| !b.is_empty());
            taken.ok_or_else(|| Error::bad_request(format!("file {i} is empty or used twice in the chain")))
        };
        let mut bytes = match &job.input {
            Input::Image(i) => take(*i)?,
            Input::Text { text, font } => text::svg(text, font.map(&mut take).transpose()?)?,
        };
        let passes = passes(&job.steps);
        let (mut format, mut notes) = (Format::Png, Vec::new());
        let none = Steps::default();
        for (i, pass) in passes.iter().enumerate() {
            let mut overlays: Vec<(Overlay, Vec<u8>)> = Vec::new();
            for (child, placed) in &pass.draws {
                overlays.push(((*placed).clone(), render(engine, child, None, &mut *sources).await?.bytes));
            }
            let last = (i + 1 == passes.len()).then_some(output).flatten();
            let mut t = pass.steps.unwrap_or(&none).build(last.map_or(&none, |o| &o.options), &engine.config.url)?;
            let asked = match last.map(|o| o.format) {
                Some(OutputFormat::Encoded(f)) => f,
                _ => Format::Png,
            };
            t.format = Some(FormatChoice::Is(asked));
            let source = sniffed(&bytes)?;
            let resolved = t.resolved(source, engine.config.pipeline.output_defaults(), Accepts::default());
            let made = pass_through_pipeline(engine, bytes, &resolved, &overlays).await?;
            (bytes, format) = (made.bytes, made.format);
            notes.extend(made.note);
        }
        let note = (!notes.is_empty()).then(|| notes.join("; "));
        Ok(Rendered { bytes, format, note })
    }
    .boxed_local()
}

async fn pass_through_pipeline(
    engine: &Engine<'_>,
    bytes: Vec<u8>,
    resolved: &crate::transform::Transform,
    overlays: &[(Overlay, Vec<u8>)],
) -> Result<pipeline::Output> {
    let config = engine.config;
    let libwebp = if resolved.output_format() == Some(Format::Webp) { Some(engine.codecs.webp().await?) } else { None };
    let codecs = engine.codecs.codecs(libwebp.as_deref(), config.pipeline.heic);
    let now = || engine.clock.now_ms();
    pipeline::run(bytes, resolved, &config.pipeline, &Host { clock: &now, codecs: &codecs, overlays })
}

/// `rgb` / `rgba`: the result's pixels, row by row (read back from its lossless PNG).
fn raw(png: &[u8], alpha: bool) -> Result<Vec<u8>> {
    let img = image::load_from_memory_with_format(png, image::ImageFormat::Png).map_err(|e| Error::Internal(format!("raw output: {e}")))?;
    Ok(if alpha { img.into_rgba8().into_raw() } else { img.into_rgb8().into_raw() })
}
