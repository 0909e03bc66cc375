//! Every request's story, told once, in plain Rust over small ports ([`ports`]): the adapter
//! (`edge/`) only turns the runtime's request into a [`Request`] and the [`Reply`] back into a
//! response. The steps, in order:
//!
//! 1. method: GET and HEAD; PUT and DELETE of originals only with `UPLOAD_TOKEN` ([`upload`])
//! 2. route and URL: `/_health`, the demo page ([`demo`], `DEMO=true`), else a grammar gives the
//!    original's key and one transform
//! 3. signature, before anything is read; an absolute-URL source only from `REMOTE_HOSTS`
//! 4. which file: a file really named like a path-grammar URL wins ([`choose`]); then what the
//!    URL alone decides: `WIDTH_STEPS`, `OVERLAYS`' defaults, `SVG=rasterize` ([`plan`])
//! 5. nothing to do: the original, streamed as stored ([`original`])
//! 6. policy: size allow-lists, presets-only mode, transformable extensions; overlay versions
//!    and the variant's keys ([`plan`], then [`transformed`])
//! 7. one wave of lookups: the original's metadata, the cache, the persisted variant, the
//!    original's body and its mezzanine, so any outcome waits for one store round trip ([`lookup`])
//! 8. 304 from metadata alone
//! 9. a cache hit, if it is of this version of the original
//! 10. a persisted variant, likewise
//! 11. resize now, within the original's render budget ([`renders`], else 429) once the isolate
//!     has room ([`gate`]), with the [`pipeline`]: from the original's [`mezzanine`] when it has
//!     the pixels needed, else from the original (a large one's mezzanine is then made after
//!     the response)
//! 12. answer; the cache, the persisted variant and a new mezzanine are filled after the
//!     response ([`variant`])
//!
//! With `onerror=redirect` or `ON_ERROR=original`, an original that cannot be transformed (415,
//! 422, 413) is served as stored; client hints are written into the transform after step 2.
//! Originals are read through [`origin::Sourced`], R2 with what stands behind it: `ORIGIN_URL`
//! for a key R2 does not have yet, the remote origin for an absolute-URL key, and `R2_TIMEOUT_MS`
//! on every call; the steps above do not know which answered.
//! Queue messages (R2 event notifications) are not requests: [`eager`] renders the variants
//! `EAGER_VARIANTS` names for a new original through the same [`plan`] (steps 4's rules and 6),
//! then 11–12 of this story.
//!
//! [`pipeline`]: crate::pipeline

mod answer;
mod isolate;
mod stored;
pub use isolate::{bounded, clients, freshness, gate, renders};
use stored::{mezzanine, variant};
pub mod binding;
mod demo;
pub mod eager;
mod fonts;
mod lookup;
pub mod origin;
mod as_stored;
mod overlays;
mod plan;
pub mod ports;
mod transformed;
mod upload;

#[cfg(test)]
mod tests;

use crate::config::Config;
use crate::error::{Error, Result};
use crate::http::reply::Reply;
use crate::keys;
use crate::trace::Trace;
use crate::{http, policy, url};
use futures_util::future::join;
use ports::{Cache, Clock, CodecHost, Later, Meta, RequestBody, Store};
use std::rc::Rc;

/// Everything the flow reaches outside itself.
/// The stores and the cache are `Rc`s, since some work goes on after the response (persisting
/// a variant, checking an original).
pub struct Ports<'a, S: Store, C: Cache> {
    pub originals: Rc<S>,
    /// Persisted variants (the originals' bucket under the variant prefix, or a second one).
    pub variants: Rc<S>,
    pub cache: Rc<C>,
    pub clock: &'a dyn Clock,
    pub later: &'a dyn Later,
    /// libwebp, dav1d and libde265.
    pub codecs: &'static dyn CodecHost,
    /// This isolate's originals in flight.
    pub gate: &'static gate::Gate,
    /// This isolate's renders per original (`RENDER_BUDGET`).
    pub renders: &'a renders::Renders,
    /// This isolate's checks of originals under way.
    pub checks: Rc<freshness::Checks>,
    /// New renders per client, when the `MISS_LIMITER` binding exists.
    pub limiter: Option<&'a dyn ports::Limiter>,
}

/// The parts of an HTTP request the flow reads.
#[derive(Debug, Clone, Default)]
pub struct Request {
    pub method: Method,
    /// `https://host`, for cache keys.
    pub origin: String,
    /// As sent, percent-encoded, with its leading `/`.
    pub path: String,
    pub query: Option<String>,
    pub accept: Option<String>,
    pub if_none_match: Option<String>,
    pub if_modified_since: Option<String>,
    pub range: Option<String>,
    /// Uploads: `Authorization`, `If-Match` and `Content-Length`.
    pub authorization: Option<String>,
    pub if_match: Option<String>,
    pub content_length: Option<u64>,
    /// Client hints, for `width=auto` and `slow-connection-quality`.
    pub hints: http::hints::Hints,
    /// The client's address (`CF-Connecting-IP`, which Cloudflare sets), for `MISS_LIMITER`.
    pub client: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Method {
    #[default]
    Get,
    Head,
    /// Uploads, when `UPLOAD_TOKEN` is set (else 405).
    Put,
    Delete,
    /// Anything else: refused with 405.
    Other,
}

/// What a reply is made of with these ports.
pub type ReplyOf<S, C> = Reply<<S as Store>::Body, <C as Cache>::Entry>;

/// Answers one request. Errors of any kind become a short reply here: a 4xx for anything the
/// client or its image caused, a 5xx only for the store's failures and our own.
pub async fn serve<S: Store + 'static, C: Cache + 'static>(
    req: &Request,
    body: &dyn RequestBody,
    config: &Result<Config>,
    ports: &Ports<'_, S, C>,
    trace: &mut Trace,
) -> ReplyOf<S, C> {
    let reply = match config {
        Ok(config) => handle(req, body, config, ports, trace).await.unwrap_or_else(|e| {
            trace.error = Some(e.message());
            let http = &config.http;
            let reply = Reply::error(&e, &http::error_cache_control(e.status(), http.not_found_ttl, http.error_ttl));
            match e == Error::MethodNotAllowed && config.upload.token.is_some() {
                true => reply.with_header("allow", "GET, HEAD, PUT, DELETE"),
                false => reply,
            }
        }),
        Err(e) => return serve_error::<S, C>(req, e, trace),
    };
    for_method(req, reply)
}

/// The answer when the configuration is invalid or the ports cannot be made (a missing store
/// binding): the operator's error, never cached.
pub fn serve_error<S: Store, C: Cache + 'static>(req: &Request, e: &Error, trace: &mut Trace) -> ReplyOf<S, C> {
    trace.error = Some(e.message());
    for_method(req, Reply::error(e, "no-store"))
}

/// HEAD answers with GET's status and headers, and no body.
fn for_method<S, C>(req: &Request, reply: Reply<S, C>) -> Reply<S, C> {
    match req.method {
        Method::Head => reply.without_body(),
        _ => reply,
    }
}

async fn handle<S: Store + 'static, C: Cache + 'static>(
    req: &Request,
    body: &dyn RequestBody,
    config: &Config,
    ports: &Ports<'_, S, C>,
    trace: &mut Trace,
) -> Result<ReplyOf<S, C>> {
    // 1. (PUT and DELETE only with the upload token.)
    match req.method {
        Method::Get | Method::Head => {}
        Method::Put | Method::Delete => return upload::handle(req, body, config, ports).await,
        Method::Other => return Err(Error::MethodNotAllowed),
    }

    // 2.
    if req.path == "/_health" {
        return Ok(Reply::json(crate::trace::health(option_env!("BUILD_ID").unwrap_or("dev"))));
    }
    // (The demo page, when `DEMO=true`.)
    if let Some(reply) = demo::serve::<S, C>(&req.path, config, &*ports.originals).await {
        return reply;
    }
    // With DEBUG_HEADERS only: proves that a panic costs one request, not the instance
    // (worker's panic hook resets it; tests/reliability.test.mjs).
    if config.http.debug_headers && req.path == "/_debug/panic" {
        panic!("deliberate panic from /_debug/panic");
    }
    let mut parsed = url::parse(&req.path, req.query.as_deref(), &config.url)?;
    // What client hints decide is written into the transform now, so the keys name it.
    let allowed = |w| policy::hinted_width(w, config);
    let hints_read = http::hints::apply(&mut parsed.request.transform, &req.hints, config.url.max_width, allowed);
    if let Some(literal) = parsed.literal.as_mut() {
        http::hints::apply(&mut literal.transform, &req.hints, config.url.max_width, allowed);
    }

    // 3.
    let transforms = !parsed.request.transform.is_identity();
    policy::check_signature(&parsed.signature, transforms, config, (ports.clock.now_ms() / 1000.0) as u64)?;
    // (An absolute-URL source only from `REMOTE_HOSTS`, before anything is fetched.)
    if url::remote::is_remote(&parsed.request.key) {
        policy::check_remote(&parsed.request.key, &config.origin.remote_hosts)?;
    }

    // 4. (Then what the URL alone decides, as for eager variants: `WIDTH_STEPS`, `OVERLAYS`'
    // defaults for the key chosen, `SVG=rasterize`.)
    let (request, known) = choose(req, config, parsed, ports).await?;
    trace.key = Some(request.key.clone());
    let request = plan::settle(request, config);
    let snapped = request.snapped;

    // 5.
    if request.transform.is_identity() {
        // (A remote original is proxied through memory, nothing kept: each read counts as a render
        // of it, so replaying one URL is bounded too. `ORIGIN_COPY=false` originals are the
        // operator's own, served as often as asked.)
        if url::remote::is_remote(&request.key) {
            let read = format!("{} as stored at {}", request.key, ports.clock.now_ms());
            renders::before_download(req, config, ports, &request.key, &read, trace).await?;
        }
        return as_stored::serve::<S, C>(req, config, &*ports.originals, &request.key, None).await;
    }

    // 6–12.
    // `onerror=redirect` (or `ON_ERROR=original` for every request): when the original exists
    // but cannot be transformed, its own bytes on the same URL, with the reason in a header.
    let key = request.key.clone();
    // Never under a forced watermark: the original's own pixels would leave it out.
    let fallback = (request.transform.on_error || config.http.on_error_original) && !overlays::forced(config, &key);
    let negotiated = request.transform.format == Some(crate::transform::FormatChoice::Auto);
    let reply =
        transformed::transformed(req, config, ports, request, known, trace).await.map(|r| varied(r, negotiated, &hints_read)).map(|r| {
            match snapped {
                Some(width) if matches!(r.status, 200 | 304) => r.with_header("x-resize-width", width.to_string()),
                _ => r,
            }
        });
    match reply {
        Err(e) if fallback && e.is_refusal() => {
            trace.warnings.push(format!("served the original instead: {}", e.message()));
            as_stored::serve::<S, C>(req, config, &*ports.originals, &key, Some(&e.message())).await
        }
        other => other,
    }
}

/// A transform that read client hints varies on them (with `Accept` when negotiated, the same
/// value a cached copy carries), and asks for them again (`Accept-CH`).
fn varied<B, E>(reply: Reply<B, E>, negotiated: bool, hints_read: &[&str]) -> Reply<B, E> {
    if hints_read.is_empty() || !matches!(reply.status, 200 | 206 | 304) {
        return reply;
    }
    let vary: Vec<&str> = negotiated.then_some("Accept").into_iter().chain(hints_read.iter().copied()).collect();
    // (`User-Agent` is sent anyway: only the hints are asked for.)
    let asked: Vec<&str> = hints_read.iter().copied().filter(|h| *h != "User-Agent").collect();
    reply.with_header("vary", vary.join(", ")).with_header("accept-ch", asked.join(", "))
}

/// Step 4: a file really named like a path-grammar URL (`photo-200x200.jpg`) wins over the
/// grammar's reading. What this data centre remembers of both names (`MAX_STALE_S`) decides at
/// once; else both names are looked up in R2 at the same time (one round trip), the answers are
/// remembered, and the grammar's original's metadata is handed on (`Some`) so step 7 does not
/// ask again.
async fn choose<S: Store + 'static, C: Cache + 'static>(
    req: &Request,
    config: &Config,
    parsed: url::Parsed,
    ports: &Ports<'_, S, C>,
) -> Result<(url::ImageRequest, Option<Option<Meta>>)> {
    let Some(literal) = parsed.literal else {
        return Ok((parsed.request, None));
    };
    let window = config.http.max_stale_s;
    let (named_key, parsed_key) = (keys::checked_key(&req.origin, &literal.key), keys::checked_key(&req.origin, &parsed.request.key));
    if window > 0 {
        let cache = &ports.cache;
        if let (Ok(named), Ok(original)) = join(cache.remembered(&named_key), cache.remembered(&parsed_key)).await {
            match (named, original) {
                (Some(Some(_)), _) => return Ok((literal, None)),
                // Step 7 finds the original's remembered metadata itself (and knows it came from
                // the cache, so it does not stretch the window).
                (Some(None), Some(_)) => return Ok((parsed.request, None)),
                _ => {}
            }
        }
    }
    let (as_named, as_parsed) = join(ports.originals.head(&literal.key), ports.originals.head(&parsed.request.key)).await;
    let as_named = as_named?;
    if window > 0 {
        freshness::remember_later(ports.later, ports.cache.clone(), named_key, as_named.clone(), window);
    }
    if as_named.is_some() {
        Ok((literal, None))
    } else {
        Ok((parsed.request, Some(as_parsed?)))
    }
}
