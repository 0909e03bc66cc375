//! edge image resizer: originals in R2, resized on the same URL, cached with the Cache API.
//!
//! The core (`url`, `transform`, `pipeline`, `http`, `config`, `error`) is plain Rust with no
//! `worker` dependency, tested natively. The only code that touches JS is `edge`, compiled for
//! wasm32 with the (default) `edge` feature. The whole request flow is below: `handle` (steps
//! 1–5: method, URL, signature, literal file, original) and `transformed` (steps 6–11: policy,
//! cache, persisted variant, resize, respond and persist).

pub mod config;
pub mod error;
pub mod http;
pub mod pipeline;
pub mod policy;
pub mod transform;
pub mod url;

#[cfg(all(target_arch = "wasm32", feature = "edge"))]
mod edge;

#[cfg(all(target_arch = "wasm32", feature = "edge"))]
use {
    edge::{cache, respond, respond::ImageHeaders, respond::Served, store},
    error::Error,
    transform::{Accepts, Format},
    worker::{event, Context, Env, Method, Request, Response, ResponseBody},
};

#[cfg(all(target_arch = "wasm32", feature = "edge"))]
#[event(fetch)]
async fn fetch(req: Request, env: Env, ctx: Context) -> worker::Result<Response> {
    let config = edge::config(&env);
    let response = match &config {
        Ok(config) => handle(&req, &env, &ctx, config).await,
        Err(e) => Err(e.clone()),
    };
    let mut response = response.unwrap_or_else(|e| respond::error(&e));
    if config.is_ok_and(|c| c.debug_headers) {
        response = respond::with_header(response, "x-memory", &edge::memory_report());
    }
    Ok(if req.method() == Method::Head { respond::without_body(response) } else { response })
}

/// The whole request flow. Every step's decision is made by the core; errors of any kind
/// become a short 4xx (or a 5xx for R2 failures) in `fetch`.
#[cfg(all(target_arch = "wasm32", feature = "edge"))]
async fn handle(req: &Request, env: &Env, ctx: &Context, config: &config::Config) -> Result<Response, Error> {
    // 1. Only GET and HEAD exist: nothing a client sends can write an original.
    if !matches!(req.method(), Method::Get | Method::Head) {
        return Err(Error::MethodNotAllowed);
    }

    // 2. URL → the original's key and one canonical transform, whatever the grammar.
    let request_url = req.url().map_err(|_| Error::bad_request("invalid URL"))?;
    let parsed = url::parse(request_url.path(), request_url.query(), config)?;

    // 3. The signature (when a key is set), before anything is read.
    let transforms = !parsed.request.transform.is_identity();
    policy::check_signature(&parsed.signature, transforms, config, edge::now_secs())?;

    // 4. A file really named like a path-grammar URL (`photo-200x200.jpg`) wins over the grammar.
    let originals = store::originals(env)?;
    let request = match parsed.literal {
        Some(literal) if store::head(&originals, &literal.key).await?.is_some() => literal,
        _ => parsed.request,
    };

    // 5. Nothing to do: stream the original as stored, never through wasm memory.
    if request.transform.is_identity() {
        return original(&originals, &request.key, config, None).await;
    }

    // 6–11. Transform. With `ON_ERROR=original`, a format we cannot transform is served as stored.
    let key = request.key.clone();
    match transformed(req, env, ctx, config, &originals, &request_url, request).await {
        Err(Error::Unsupported(why)) if config.on_error_original => original(&originals, &key, config, Some(&why)).await,
        other => other,
    }
}

/// The original as stored, streamed from R2; `warning` says why it was not transformed.
#[cfg(all(target_arch = "wasm32", feature = "edge"))]
async fn original(originals: &worker::Bucket, key: &str, config: &config::Config, warning: Option<&str>) -> Result<Response, Error> {
    let object = store::get(originals, key).await?.ok_or(Error::NotFound)?;
    let content_type = store::content_type(&object).unwrap_or_else(|| http::content_type_for_key(key).into());
    let (size, etag) = (object.size(), object.http_etag());
    let body = object.body().ok_or(Error::NotFound)?.response_body().map_err(edge::upstream)?;
    let headers = ImageHeaders {
        content_type: &content_type,
        content_length: size,
        // A fallback should not stick: the transform may work once the format is supported.
        cache_control: if warning.is_some() { "public, max-age=300" } else { &config.cache_control },
        etag: &etag,
        served: None,
        server_timing: None,
        vary_accept: false,
    };
    let resp = respond::image(body, headers)?;
    Ok(match warning {
        Some(why) => respond::with_header(resp, "x-resize-error", why),
        None => resp,
    })
}

/// Steps 6–11: policy, cache, persisted variant, or a resize now.
#[cfg(all(target_arch = "wasm32", feature = "edge"))]
async fn transformed(
    req: &Request,
    env: &Env,
    ctx: &Context,
    config: &config::Config,
    originals: &worker::Bucket,
    request_url: &worker::Url,
    request: url::ImageRequest,
) -> Result<Response, Error> {
    // 6. Size allow-lists, presets-only mode, transformable extensions.
    policy::check_request(&request, config)?;
    let url::ImageRequest { key, transform } = request;

    // 7. The Cache API, keyed by the canonical request (and the client's format class when negotiated).
    let accepts = Accepts::from_header(req.headers().get("accept").ok().flatten().as_deref(), config.auto_avif);
    let vary_accept = http::negotiated_class(&transform, accepts).is_some();
    let cache_key = http::cache_key(&request_url.origin().ascii_serialization(), &key, &transform, accepts);
    if let Some(hit) = cache::lookup(&cache_key).await? {
        return respond::relabel(hit, Served::Hit);
    }

    // 8. The original's metadata resolves the output format, the variant key and the ETag.
    let original = store::head(originals, &key).await?.ok_or(Error::NotFound)?;
    let stored_type = store::content_type(&original);
    let source_format =
        Format::of_original(stored_type.as_deref(), &key).ok_or_else(|| Format::unknown_original(stored_type.as_deref(), &key))?;
    let resolved = transform.resolved(source_format, config.output_defaults(), accepts);
    let content_type = resolved.output_format().unwrap_or(source_format).content_type();
    let etag = http::variant_etag(&original.etag(), &resolved);
    let variant_key = http::variant_key(&config.variant_prefix, &key, &original.etag(), &resolved);

    // 9. A persisted variant outlives cache eviction: serve it without resizing again.
    let variants = store::variants(env)?;
    if let Some(variant) = store::get(&variants, &variant_key).await? {
        let size = variant.size();
        let body = variant.body().ok_or(Error::NotFound)?.response_body().map_err(edge::upstream)?;
        let headers = ImageHeaders {
            content_type,
            content_length: size,
            cache_control: &config.cache_control,
            etag: &etag,
            served: Some(Served::Variant),
            server_timing: None,
            vary_accept,
        };
        let mut resp = respond::image(body, headers)?;
        cache::store_later(ctx, cache_key, &mut resp)?;
        return Ok(resp);
    }

    // 10. Resize now. `pipeline::run` is synchronous: no other request's buffers interleave with it.
    let source = store::read_all(store::get(originals, &key).await?.ok_or(Error::NotFound)?).await?;
    // libwebp is instantiated (once per isolate) only when WebP is wanted; the lossless encoder
    // handed over otherwise is never called.
    let webp = if resolved.output_format() == Some(Format::Webp) { Some(edge::webp::LibWebp::ready().await?) } else { None };
    let host = pipeline::Host { clock: &edge::now_ms, webp: webp.as_ref().map_or(&pipeline::encode::LosslessWebp as _, |w| w as _) };
    let output = pipeline::run(source, &resolved, config, &host)?;

    // 11. Answer on the same URL; persist the variant and fill the cache after the response is sent.
    let headers = ImageHeaders {
        content_type,
        content_length: output.bytes.len() as u64,
        cache_control: &config.cache_control,
        etag: &etag,
        served: Some(Served::Miss),
        server_timing: Some(http::server_timing(&output.timings)),
        vary_accept,
    };
    let mut resp = respond::image(ResponseBody::Body(output.bytes.clone()), headers)?;
    if config.debug_headers {
        resp = respond::with_header(resp, "x-memory-estimate", &output.estimated_peak.to_string());
    }
    if let Some(note) = &output.note {
        resp = respond::with_header(resp, "x-resize-note", note);
    }
    cache::store_later(ctx, cache_key, &mut resp)?;
    let (env, source_etag) = (env.clone(), original.etag());
    ctx.wait_until(async move {
        let written = match store::variants(&env) {
            Ok(bucket) => store::put_variant(&bucket, &variant_key, output.bytes, content_type, &key, &source_etag).await,
            Err(e) => Err(e),
        };
        if let Err(e) = written {
            worker::console_error!("persisting variant {variant_key} failed: {e}");
        }
    });
    Ok(resp)
}
