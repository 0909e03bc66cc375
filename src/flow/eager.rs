//! Eager variants: when an original is created, R2 sends an event notification to a Cloudflare
//! Queue, and this worker's queue consumer renders `EAGER_VARIANTS` into the persisted-variant
//! store, so the first visitor of those URLs is served a persisted variant (`x-cache: VARIANT`)
//! instead of waiting for a resize. One message is one original:
//!
//! 1. only objects created (`PutObject`, `CopyObject`, `CompleteMultipartUpload`) outside the
//!    variant prefix, when `EAGER_VARIANTS` names any;
//! 2. the original as R2 has it now (a message about a version since replaced renders the
//!    current one; one since deleted renders nothing);
//! 3. per variant (`format=auto`: per class of client), its key and ETag made by the requests'
//!    own [`plan`](super::plan); one already stored with this ETag is left alone, so a message
//!    delivered twice does no work twice;
//! 4. the original read once (through the isolate's memory gate), each missing variant
//!    rendered by the pipeline and written before the next; a large original's mezzanine is
//!    made and stored first, and the variants it covers are made from it.
//!
//! A variant the original cannot give (415, 422, 413) is reported and skipped: retrying would
//! not help. A store failure is an error: the queue retries the message, then dead-letters it.

use super::answer::Answer;
use super::mezzanine::Kept;
use super::ports::{Cache, Meta, OnlyIf, Store};
use super::{plan, variant, Ports};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::http::range::Ranged;
use crate::keys;
use crate::pipeline::Source;
use crate::transform::{Accepts, FormatChoice, Transform};
use crate::url;
use serde::{Deserialize, Serialize};

/// An R2 event notification, as the queue delivers it (fields we do not read are ignored).
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct R2Event {
    pub action: String,
    pub object: R2Object,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct R2Object {
    pub key: String,
}

/// What one message did, for the log line.
#[derive(Debug, Default, PartialEq, Eq, Serialize)]
pub struct Outcome {
    pub key: String,
    /// Why nothing was done, when nothing was.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skipped: Option<&'static str>,
    /// Variant keys written.
    pub rendered: Vec<String>,
    /// Variant keys already stored for this version of the original.
    pub fresh: Vec<String>,
    /// Variants the original cannot give, with the reason.
    pub refused: Vec<String>,
}

const CREATED: [&str; 3] = ["PutObject", "CopyObject", "CompleteMultipartUpload"];

/// Handles one message: every eager variant of one original, each stored when this returns.
pub async fn handle<S: Store + 'static, C: Cache + 'static>(event: &R2Event, config: &Config, ports: &Ports<'_, S, C>) -> Result<Outcome> {
    let key = event.object.key.clone();
    let mut outcome = Outcome { key: key.clone(), ..Outcome::default() };
    // 1.
    let skip = if !CREATED.contains(&event.action.as_str()) {
        Some("not an object created")
    } else if key.starts_with(&config.url.variant_prefix) {
        Some("a persisted variant")
    } else if config.upload.eager_variants.is_empty() {
        Some("EAGER_VARIANTS is empty")
    } else {
        None
    };
    // 2.
    let original = match skip {
        Some(_) => None,
        None => ports.originals.head(&key).await?,
    };
    let Some(original) = original else {
        outcome.skipped = Some(skip.unwrap_or("the original is gone"));
        return Ok(outcome);
    };
    // 3.
    let mut missing = Vec::new();
    for query in &config.upload.eager_variants {
        // A variant no URL may ask for (the size policy, a missing overlay) would be work for
        // nobody: a mistake of the configuration, not of the original.
        let misconfigured = |e: Error| Error::Misconfigured(format!("EAGER_VARIANTS '{query}': {}", e.message()));
        let settled = plan::settle(url::for_key(&key, query, &config.url).map_err(misconfigured)?, config);
        // As a request for this key would have it (no request, so no origin: R2 is asked), once
        // for every class of client.
        let checked = match plan::checked(&settled, None, config, ports).await {
            Ok(checked) => checked,
            Err(e) if e.status() < 500 => return Err(misconfigured(e)),
            Err(e) => return Err(e),
        };
        for accepts in classes(&settled.transform, config) {
            let variant = checked.for_client(accepts, config);
            let Some(variant_key) = variant.variant_key else { continue };
            let answer = match Answer::new(config, &key, &variant.transform, accepts, &original) {
                Ok(answer) => answer,
                Err(e) => {
                    outcome.refused.push(format!("{variant_key}: {}", e.message()));
                    continue;
                }
            };
            let stored = ports.variants.head(&variant_key).await?;
            if stored.as_ref().is_some_and(|v| keys::fresh_hit(variant::etag(v), &answer.etag)) {
                outcome.fresh.push(variant_key);
            } else {
                missing.push((variant_key, answer));
            }
        }
    }
    if missing.is_empty() {
        return Ok(outcome);
    }
    // 4. (An original too large to read is refused for every variant, without reading it.)
    if let Err(e) = super::lookup::readable(&original, &config.pipeline.limits) {
        outcome.refused.extend(missing.into_iter().map(|(variant_key, _)| format!("{variant_key}: {}", e.message())));
        return Ok(outcome);
    }
    let slot = ports.gate.take(original.size, &config.pipeline.limits, ports.clock).await?;
    let source = ports.originals.get(&key, Ranged::Whole).await?.ok_or(Error::NotFound)?;
    super::lookup::readable(&source.meta, &config.pipeline.limits)?;
    let version: Meta = source.meta.clone();
    let bytes = ports.originals.read(source.body).await?;
    // (A large original's mezzanine first: the variants it covers are made from it.)
    let kept = match super::mezzanine::key(config, &key) {
        Some(mezzanine_key) => mezzanine(config, ports, &bytes, mezzanine_key, &version).await?,
        None => None,
    };
    for (variant_key, answer) in missing {
        let source = match kept.as_ref().and_then(|k| k.source_for(config, &answer.resolved)) {
            Some(source) => source,
            None => Source::Original(bytes.clone()),
        };
        let rendered = match super::overlays::read(config, ports, &answer.resolved).await {
            Ok(overlays) => super::transformed::run_pipeline(ports, config, source, &overlays, &answer.resolved).await,
            Err(e) => Err(e),
        };
        match rendered {
            // An animation over its budget comes back unchanged: the original, not this variant
            // (and under a forced watermark, the bare original): never stored as one.
            Ok(output) if output.unchanged => {
                outcome.refused.push(format!("{variant_key}: {}", output.note.as_deref().unwrap_or("served unchanged")));
            }
            Ok(output) => {
                // Typed as what was made (JPEG for a gain map under `format=auto`, WebP for an
                // AVIF past its limits), as the request path types it.
                let meta = variant::put_meta(output.format.content_type(), &answer.etag, &key, &version.etag);
                ports.variants.put(&variant_key, output.bytes, meta, OnlyIf::Always).await?;
                outcome.rendered.push(variant_key);
            }
            Err(e) if e.is_refusal() => {
                outcome.refused.push(format!("{variant_key}: {}", e.message()));
            }
            Err(e) => return Err(e),
        }
    }
    drop(slot);
    Ok(outcome)
}

/// The original's mezzanine, made and stored, when it gets one (a refusal to make it is none).
async fn mezzanine<S: Store + 'static, C: Cache + 'static>(
    config: &Config,
    ports: &Ports<'_, S, C>,
    bytes: &[u8],
    key: String,
    original: &Meta,
) -> Result<Option<Kept>> {
    let codecs = ports.codecs.codecs(None, config.pipeline.heic);
    let made = match crate::pipeline::mezzanine::make(bytes, &config.pipeline, &codecs) {
        Ok(Some(made)) => made,
        Ok(None) | Err(_) => return Ok(None),
    };
    let Some((mezzanine, meta)) = super::mezzanine::encoded(&made, original)? else { return Ok(None) };
    ports.variants.put(&key, mezzanine.clone(), meta, OnlyIf::Always).await?;
    Ok(Some(Kept::new(&made, mezzanine)))
}

/// The clients a variant is made for: `format=auto` is made for every class of client a request
/// could fall in.
fn classes(transform: &Transform, config: &Config) -> Vec<Accepts> {
    if transform.format != Some(FormatChoice::Auto) {
        return vec![Accepts::default()];
    }
    let mut classes = vec![Accepts { webp: false, avif: false }, Accepts { webp: true, avif: false }];
    if config.http.auto_avif {
        classes.push(Accepts { webp: true, avif: true });
    }
    classes
}
