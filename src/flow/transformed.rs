//! Steps 6–12: a transform of an existing original. Policy, one wave of lookups, then the first
//! of: 304, a fresh cache hit, a fresh persisted variant, or a resize now.

use super::lookup::{self, Keys};
use super::ports::{Cache, Meta, Store, Stored};
use super::Ports;
use super::{variant, ReplyOf, Request};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::http::conditional::{http_date, not_modified};
use crate::http::reply::{Body, ImageHeaders, Reply, Served};
use crate::pipeline::{self, encode::LosslessWebp, encode::WebpEncoder};
use crate::trace::Trace;
use crate::transform::{Accepts, Format, Transform};
use crate::url::ImageRequest;
use crate::{http, policy};

/// What every answer for this transform of this version of the original shares.
struct Answer<'a> {
    config: &'a Config,
    content_type: &'static str,
    etag: String,
    last_modified: String,
    disposition: String,
    vary_accept: bool,
}

impl Answer<'_> {
    fn headers(&self, content_length: u64, served: Served, server_timing: String) -> ImageHeaders<'_> {
        ImageHeaders {
            content_type: self.content_type,
            content_length,
            cache_control: &self.config.http.cache_control,
            etag: &self.etag,
            last_modified: &self.last_modified,
            disposition: &self.disposition,
            served: Some(served),
            server_timing: Some(server_timing),
            vary_accept: self.vary_accept,
            ranges: None,
        }
    }
}

pub(super) async fn transformed<S: Store + 'static, C: Cache>(
    req: &Request,
    config: &Config,
    ports: &Ports<'_, S, C>,
    request: ImageRequest,
    known: Option<Option<Meta>>,
    trace: &mut Trace,
) -> Result<ReplyOf<S, C>> {
    let clock = ports.clock;
    let started = clock.now_ms();
    // 6.
    policy::check_request(&request, config)?;
    let ImageRequest { key, transform } = request;

    // 7. Both keys name the transform as the URL asked for it (and the client's class when the
    // format is negotiated), so neither needs the original's version.
    let accepts = Accepts::from_header(req.accept.as_deref(), config.http.auto_avif);
    let negotiated = http::negotiated_class(&transform, accepts);
    let cache_key = http::cache_key(&req.origin, &key, &transform, negotiated);
    let variant_key = http::variant_key(&config.url.variant_prefix, &key, &transform, negotiated);
    let keys = Keys { original: &key, variant: variant_key.as_deref(), cache: &cache_key };
    let asking = clock.now_ms();
    let found = lookup::wave(ports, &keys, known).await;
    let looked_up = clock.now_ms();
    let original = found.original?.ok_or(Error::NotFound)?;
    let stored_type = original.content_type.as_deref();
    let source_format = Format::of_original(stored_type, &key).ok_or_else(|| Format::unknown_original(stored_type, &key))?;
    let resolved = transform.resolved(source_format, config.pipeline.output_defaults(), accepts);
    trace.transform = Some(resolved.canonical());
    let output_format = resolved.output_format().unwrap_or(source_format);
    let answer = Answer {
        config,
        content_type: output_format.content_type(),
        etag: http::variant_etag(&original.etag, &resolved),
        last_modified: http_date(original.uploaded_ms),
        disposition: http::content_disposition(&key, Some(output_format.name())),
        vary_accept: negotiated.is_some(),
    };

    // 8. Without reading or decoding anything (the bodies asked for are dropped unread).
    if not_modified(req.if_none_match.as_deref(), req.if_modified_since.as_deref(), &answer.etag, original.uploaded_ms) {
        return Ok(Reply::not_modified(&answer.etag, &answer.last_modified, &config.http.cache_control, answer.vary_accept));
    }

    // 9. A stale copy is a miss, and the miss's reply replaces it. The cache only spares work:
    // when it cannot be read, resize.
    let cached = found.cached.unwrap_or_else(|e| {
        trace.warnings.push(format!("cache lookup failed, resizing instead: {e}"));
        None
    });
    if let Some(hit) = cached {
        if http::fresh_hit(ports.cache.etag(&hit).as_deref(), &answer.etag) {
            let timing = http::server_timing_stored("cache", looked_up - asking, clock.now_ms() - started);
            return Ok(Reply::cached(hit, Served::Hit, timing));
        }
    }

    // 10. Likewise for the persisted variant (a stale cached copy left both unasked).
    let bodies = match found.bodies {
        Some(bodies) => bodies,
        None => lookup::bodies(ports, &keys).await,
    };
    let waited_ms = clock.now_ms() - asking;
    let stored_variant = bodies.variant.unwrap_or_else(|e| {
        trace.warnings.push(format!("reading the persisted variant failed, resizing instead: {e}"));
        None
    });
    if let Some(stored) = stored_variant.filter(|v| http::fresh_hit(variant::etag(&v.meta), &answer.etag)) {
        let timing = http::server_timing_stored("r2", waited_ms, clock.now_ms() - started);
        let mut reply = Reply::image(Body::Stored(stored.body), answer.headers(stored.meta.size, Served::Variant, timing));
        reply.cache_as = Some(cache_key);
        return Ok(reply);
    }
    let source = bodies.source?.ok_or(Error::NotFound)?;

    // 11.
    let (output, read_ms) = resize(ports, config, original.size, source, &resolved, trace).await?;

    // 12. The cache is filled by the adapter once the response is on its way; the variant is
    // written after it too.
    let timing = http::server_timing(&output.timings, waited_ms + read_ms, clock.now_ms() - started);
    let length = output.bytes.len() as u64;
    let mut reply = Reply::image(Body::Bytes(output.bytes.clone()), answer.headers(length, Served::Miss, timing));
    if config.http.debug_headers {
        reply = reply.with_header("x-memory-estimate", output.estimated_peak.to_string());
    }
    if let Some(note) = &output.note {
        reply = reply.with_header("x-resize-note", note.clone());
    }
    reply.cache_as = Some(cache_key);
    if let Some(variant_key) = variant_key {
        let meta = variant::put_meta(answer.content_type, &answer.etag, &key, &original.etag);
        variant::persist_later(ports.later, ports.variants.clone(), variant_key, output.bytes, meta);
    }
    Ok(reply)
}

/// Step 11: once this isolate has room for one more original of `size` bytes in memory (else
/// 503), read it and run the pipeline; also how long reading took. `pipeline::run` is
/// synchronous: no other request's buffers interleave with it.
async fn resize<S: Store, C: Cache>(
    ports: &Ports<'_, S, C>,
    config: &Config,
    size: u64,
    source: Stored<S::Body>,
    resolved: &Transform,
    trace: &mut Trace,
) -> Result<(pipeline::Output, f64)> {
    let clock = ports.clock;
    let slot = ports.gate.take(size, &config.pipeline.limits, clock).await?;
    let reading = clock.now_ms();
    let bytes = ports.originals.read(source.body).await?;
    let read_ms = clock.now_ms() - reading;
    trace.bytes_in = Some(bytes.len() as u64);
    // libwebp is made ready (once per isolate) only when WebP is wanted.
    let libwebp = if resolved.output_format() == Some(Format::Webp) { Some(ports.webp.ready().await?) } else { None };
    let webp: &dyn WebpEncoder = match &libwebp {
        Some(encoder) => encoder.as_ref(),
        None => &LosslessWebp,
    };
    let now = || clock.now_ms();
    let output = pipeline::run(bytes, resolved, &config.pipeline, &pipeline::Host { clock: &now, webp })?;
    drop(slot);
    trace.timings = Some(output.timings);
    Ok((output, read_ms))
}
