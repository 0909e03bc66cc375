//! edge image resizer: originals in R2, resized on the same URL, cached with the Cache API.
//!
//! The core (`url`, `transform`, `pipeline`, `http`, `config`, `error`) is plain Rust with no
//! `worker` dependency, tested natively. The only code that touches JS is `edge`, compiled for
//! wasm32 with the (default) `edge` feature. The whole request flow is below: `handle` (steps
//! 1–5: method, URL, signature, literal file, original) and `transformed` (steps 6–12: policy,
//! the original's metadata, 304, cache, persisted variant, resize, respond and persist).

pub mod config;
pub mod error;
pub mod http;
pub mod pipeline;
pub mod policy;
pub mod trace;
pub mod transform;
pub mod url;

#[cfg(all(target_arch = "wasm32", feature = "edge"))]
mod edge;

#[cfg(all(target_arch = "wasm32", feature = "edge"))]
use {
    edge::{cache, respond, respond::ImageHeaders, respond::Served, store},
    error::Error,
    trace::Trace,
    transform::{Accepts, Format},
    worker::{event, Context, Env, Method, Request, Response, ResponseBody},
};

#[cfg(all(target_arch = "wasm32", feature = "edge"))]
#[event(fetch)]
async fn fetch(req: Request, env: Env, ctx: Context) -> worker::Result<Response> {
    let started = edge::now_ms();
    let mut trace = Trace::default();
    let config = edge::config(&env);
    let response = match &config {
        Ok(config) => handle(&req, &env, &ctx, config, &mut trace).await,
        Err(e) => Err(e.clone()),
    };
    let mut response = response.unwrap_or_else(|e| {
        trace.error = Some(e.message());
        let cache_control = match &config {
            Ok(c) => http::error_cache_control(e.status(), c.not_found_ttl, c.error_ttl),
            Err(_) => "no-store".into(),
        };
        respond::error(&e, &cache_control)
    });
    if config.as_ref().is_ok_and(|c| c.debug_headers) {
        response = respond::with_header(response, "x-memory", &edge::memory_report());
    }
    edge::log(&req, &response, &trace, edge::now_ms() - started);
    Ok(if req.method() == Method::Head { respond::without_body(response) } else { response })
}

/// The whole request flow. Every step's decision is made by the core; errors of any kind
/// become a short 4xx (or a 5xx for R2 failures) in `fetch`.
#[cfg(all(target_arch = "wasm32", feature = "edge"))]
async fn handle(req: &Request, env: &Env, ctx: &Context, config: &config::Config, trace: &mut Trace) -> Result<Response, Error> {
    // 1. Only GET and HEAD exist: nothing a client sends can write an original.
    if !matches!(req.method(), Method::Get | Method::Head) {
        return Err(Error::MethodNotAllowed);
    }

    // 2. URL → the original's key and one canonical transform, whatever the grammar.
    let request_url = req.url().map_err(|_| Error::bad_request("invalid URL"))?;
    if request_url.path() == "/_health" {
        return Ok(respond::json(trace::health(option_env!("BUILD_ID").unwrap_or("dev"))));
    }
    // With DEBUG_HEADERS only: proves that a panic costs one request, not the instance
    // (worker's panic hook resets it; tests/reliability.test.mjs).
    if config.debug_headers && request_url.path() == "/_debug/panic" {
        panic!("deliberate panic from /_debug/panic");
    }
    let parsed = url::parse(request_url.path(), request_url.query(), config)?;

    // 3. The signature (when a key is set), before anything is read.
    let transforms = !parsed.request.transform.is_identity();
    policy::check_signature(&parsed.signature, transforms, config, edge::now_secs())?;

    // 4. A file really named like a path-grammar URL (`photo-200x200.jpg`) wins over the grammar.
    // Both names are looked up at once, so such a URL waits for one R2 round trip here, not two.
    let originals = store::originals(env)?;
    let (request, known) = match parsed.literal {
        Some(literal) => {
            let (as_named, as_parsed) =
                futures_util::future::join(store::head(&originals, &literal.key), store::head(&originals, &parsed.request.key)).await;
            if as_named?.is_some() {
                (literal, None)
            } else {
                (parsed.request, Some(as_parsed?))
            }
        }
        None => (parsed.request, None),
    };
    trace.key = Some(request.key.clone());

    // 5. Nothing to do: stream the original as stored, never through wasm memory.
    if request.transform.is_identity() {
        return original(req, &originals, &request.key, config, None).await;
    }

    // 6–12. Transform. With `ON_ERROR=original`, a format we cannot transform is served as stored.
    let key = request.key.clone();
    match transformed(req, env, ctx, config, &originals, &request_url, request, known, trace).await {
        Err(Error::Unsupported(why)) if config.on_error_original => original(req, &originals, &key, config, Some(&why)).await,
        other => other,
    }
}

/// The original as stored, streamed from R2 (one byte range on request), answered 304 when the
/// client's copy is current; `warning` says why it was not transformed.
#[cfg(all(target_arch = "wasm32", feature = "edge"))]
async fn original(
    req: &Request,
    originals: &worker::Bucket,
    key: &str,
    config: &config::Config,
    warning: Option<&str>,
) -> Result<Response, Error> {
    let header = |name: &str| req.headers().get(name).ok().flatten();
    let (if_none_match, if_modified_since, range) = (header("if-none-match"), header("if-modified-since"), header("range"));
    // A fallback should not stick: the transform may work once the format is supported.
    let cache_control = if warning.is_some() { "public, max-age=300" } else { &config.cache_control };
    let not_modified = |etag: &str, uploaded: u64| {
        http::conditional::not_modified(if_none_match.as_deref(), if_modified_since.as_deref(), etag, uploaded)
            .then(|| respond::not_modified(etag, &http::conditional::http_date(uploaded), cache_control, false))
    };
    // A range needs the size first (one `head`). Anything else is one `get`: validators are checked
    // on the object it returns, and a 304 cancels the body unread.
    let mut ranged = http::range::Ranged::Whole;
    if range.is_some() {
        let head = store::head(originals, key).await?.ok_or(Error::NotFound)?;
        if let Some(response) = not_modified(&head.http_etag(), head.uploaded().as_millis()) {
            return response;
        }
        ranged = http::range::parse(range.as_deref(), head.size());
        if ranged == http::range::Ranged::Unsatisfiable {
            return respond::unsatisfiable(&http::range::content_range(ranged, head.size()));
        }
    }
    let object = store::get(originals, key, ranged).await?.ok_or(Error::NotFound)?;
    if range.is_none() {
        if let Some(response) = not_modified(&object.http_etag(), object.uploaded().as_millis()) {
            store::discard(object);
            return response;
        }
    }
    let content_type = store::content_type(&object).unwrap_or_else(|| http::content_type_for_key(key).into());
    let (size, etag, uploaded) = (object.size(), object.http_etag(), object.uploaded().as_millis());
    let (length, content_range) = match ranged {
        http::range::Ranged::Part { length, .. } => (length, Some(http::range::content_range(ranged, size))),
        _ => (size, None),
    };
    let body = object.body().ok_or(Error::NotFound)?.response_body().map_err(edge::upstream)?;
    let headers = ImageHeaders {
        content_type: &content_type,
        content_length: length,
        cache_control,
        etag: &etag,
        last_modified: &http::conditional::http_date(uploaded),
        disposition: &http::content_disposition(key, None),
        served: None,
        server_timing: None,
        vary_accept: false,
        ranges: Some(content_range),
    };
    let resp = respond::image(body, headers)?;
    Ok(match warning {
        Some(why) => respond::with_header(resp, "x-resize-error", why),
        None => resp,
    })
}

/// Steps 6–12: policy, the original's metadata (unless step 4 read it: `known`), 304, cache,
/// persisted variant, or a resize now.
#[cfg(all(target_arch = "wasm32", feature = "edge"))]
#[allow(clippy::too_many_arguments)]
async fn transformed(
    req: &Request,
    env: &Env,
    ctx: &Context,
    config: &config::Config,
    originals: &worker::Bucket,
    request_url: &worker::Url,
    request: url::ImageRequest,
    known: Option<Option<worker::Object>>,
    trace: &mut Trace,
) -> Result<Response, Error> {
    let started = edge::now_ms();
    // 6. Size allow-lists, presets-only mode, transformable extensions.
    policy::check_request(&request, config)?;
    let url::ImageRequest { key, transform } = request;

    // 7. At once: the original's metadata (no body) and the cached copy, and, as soon as the cache
    // has missed, the persisted variant and the original itself. None of their keys needs the
    // original's version (each stored copy is checked against it below), so a hit, a persisted
    // variant and a resize all wait for one R2 round trip. 404, the output format, the ETag come
    // from the metadata; a body found unneeded is cancelled unread (`store::Unread`).
    let header = |name: &str| req.headers().get(name).ok().flatten();
    let accepts = Accepts::from_header(header("accept").as_deref(), config.auto_avif);
    let negotiated = http::negotiated_class(&transform, accepts);
    let cache_key = http::cache_key(&request_url.origin().ascii_serialization(), &key, &transform, negotiated);
    let variant_key = http::variant_key(&config.variant_prefix, &key, &transform, negotiated);
    let variants = store::variants(env)?;
    // The persisted variant (if its key fits in R2) and the original, each with a body that may go
    // unread.
    let variant = || async {
        match &variant_key {
            Some(variant_key) => store::get_unread(&variants, variant_key).await,
            None => Ok(None),
        }
    };
    let ask_for_bodies = || futures_util::future::join(variant(), store::get_unread(originals, &key));
    let asking = edge::now_ms();
    // (`known`: the metadata step 4 already read, or `None` when it did not look.)
    let metadata = async {
        match known {
            Some(original) => Ok(original),
            None => store::head(originals, &key).await,
        }
    };
    let stored = async {
        let cached = cache::lookup(&cache_key).await?;
        let bodies = match cached {
            Some(_) => None,
            None => Some(ask_for_bodies().await),
        };
        Ok::<_, Error>((cached, bodies))
    };
    let (original, stored) = futures_util::future::join(metadata, stored).await;
    let looked_up = edge::now_ms();
    let original = original?.ok_or(Error::NotFound)?;
    let vary_accept = negotiated.is_some();
    let stored_type = store::content_type(&original);
    let source_format =
        Format::of_original(stored_type.as_deref(), &key).ok_or_else(|| Format::unknown_original(stored_type.as_deref(), &key))?;
    let resolved = transform.resolved(source_format, config.output_defaults(), accepts);
    trace.transform = Some(resolved.canonical());
    let output_format = resolved.output_format().unwrap_or(source_format);
    let content_type = output_format.content_type();
    let source_etag = original.etag();
    let etag = http::variant_etag(&source_etag, &resolved);
    let uploaded = original.uploaded().as_millis();
    let last_modified = http::conditional::http_date(uploaded);
    let disposition = http::content_disposition(&key, Some(output_format.name()));
    let image_headers = |content_length: u64, served: Served, server_timing: Option<String>| ImageHeaders {
        content_type,
        content_length,
        cache_control: &config.cache_control,
        etag: &etag,
        last_modified: &last_modified,
        disposition: &disposition,
        served: Some(served),
        server_timing,
        vary_accept,
        ranges: None,
    };

    // 8. The client's copy is current: 304, without reading or decoding anything.
    let (if_none_match, if_modified_since) = (header("if-none-match"), header("if-modified-since"));
    if http::conditional::not_modified(if_none_match.as_deref(), if_modified_since.as_deref(), &etag, uploaded) {
        return respond::not_modified(&etag, &last_modified, &config.cache_control, vary_accept);
    }

    // 9. The cached copy, if it is of this version of the original (else the put below replaces it).
    let (cached, bodies) = stored?;
    if let Some(hit) = cached {
        if http::fresh_hit(hit.headers().get("etag").ok().flatten().as_deref(), &etag) {
            let now = edge::now_ms();
            return respond::relabel(hit, Served::Hit, &http::server_timing_stored("cache", looked_up - asking, now - started));
        }
    }

    // 10. A persisted variant outlives cache eviction: serve it without resizing again, if it is of
    // this version (else the miss below overwrites it). A stale cached copy left both unasked.
    let (variant, source) = match bodies {
        Some(bodies) => bodies,
        None => ask_for_bodies().await,
    };
    let waited_ms = edge::now_ms() - asking;
    // The persisted variants only spare work: when they cannot be read, resize instead.
    let variant = variant.unwrap_or_else(|e| {
        worker::console_error!("reading the persisted variant failed, resizing instead: {e}");
        None
    });
    if let Some(variant) = variant.filter(|v| http::fresh_hit(store::variant_etag(v.object()).as_deref(), &etag)) {
        let variant = variant.take();
        let size = variant.size();
        let body = variant.body().ok_or(Error::NotFound)?.response_body().map_err(edge::upstream)?;
        let timing = http::server_timing_stored("r2", waited_ms, edge::now_ms() - started);
        let mut resp = respond::image(body, image_headers(size, Served::Variant, Some(timing)))?;
        cache::store_later(ctx, cache_key, &mut resp)?;
        return Ok(resp);
    }
    let source = source?.ok_or(Error::NotFound)?;

    // 11. Resize now, once this isolate has room for one more original in memory (else 503).
    // `pipeline::run` is synchronous: no other request's buffers interleave with it.
    let slot = edge::take_slot(original.size(), config).await?;
    let reading = edge::now_ms();
    let source = store::read_all(source.take()).await?;
    let r2_ms = waited_ms + edge::now_ms() - reading;
    trace.bytes_in = Some(source.len() as u64);
    // libwebp is instantiated (once per isolate) only when WebP is wanted; the lossless encoder
    // handed over otherwise is never called.
    let webp = if output_format == Format::Webp { Some(edge::webp::LibWebp::ready().await?) } else { None };
    let host = pipeline::Host { clock: &edge::now_ms, webp: webp.as_ref().map_or(&pipeline::encode::LosslessWebp as _, |w| w as _) };
    let output = pipeline::run(source, &resolved, config, &host)?;
    drop(slot);
    trace.timings = Some(output.timings);

    // 12. Answer on the same URL; persist the variant and fill the cache after the response is sent.
    let timing = http::server_timing(&output.timings, r2_ms, edge::now_ms() - started);
    let mut resp =
        respond::image(ResponseBody::Body(output.bytes.clone()), image_headers(output.bytes.len() as u64, Served::Miss, Some(timing)))?;
    if config.debug_headers {
        resp = respond::with_header(resp, "x-memory-estimate", &output.estimated_peak.to_string());
    }
    if let Some(note) = &output.note {
        resp = respond::with_header(resp, "x-resize-note", note);
    }
    cache::store_later(ctx, cache_key, &mut resp)?;
    let Some(variant_key) = variant_key else {
        return Ok(resp);
    };
    let env = env.clone();
    ctx.wait_until(async move {
        let written = match store::variants(&env) {
            Ok(bucket) => {
                let meta = store::VariantMeta { content_type, etag: &etag, source_key: &key, source_etag: &source_etag };
                store::put_variant(&bucket, &variant_key, output.bytes, meta).await
            }
            Err(e) => Err(e),
        };
        if let Err(e) = written {
            worker::console_error!("persisting variant {variant_key} failed: {e}");
        }
    });
    Ok(resp)
}
