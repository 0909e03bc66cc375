//! Steps 6–12: a transform of an existing original. Policy, the lookups (this data centre's
//! cache first, then R2 for what it did not answer), then the first of: 304, a fresh cache hit,
//! a fresh persisted variant, or a resize now.

use super::answer::Answer;
use super::freshness::{self, ServedCopy};
use super::lookup::{self, Keys};
use super::plan::{self, Settled, Variant};
use super::ports::{Cache, Meta, Store, Stored};
use super::{clients, fonts, mezzanine, overlays, variant, Ports, ReplyOf, Request};
use crate::config::{Config, Overlay};
use crate::error::{Error, Result};
use crate::http;
use crate::http::conditional::{not_modified, parse_http_date};
use crate::http::reply::{Body, Reply, Served};
use crate::keys;
use crate::pipeline;
use crate::trace::Trace;
use crate::transform::{Accepts, Format, Transform};
use futures_util::future::join;

pub(super) async fn transformed<S: Store + 'static, C: Cache + 'static>(
    req: &Request,
    config: &Config,
    ports: &Ports<'_, S, C>,
    request: Settled,
    known: Option<Option<Meta>>,
    trace: &mut Trace,
) -> Result<ReplyOf<S, C>> {
    let clock = ports.clock;
    let started = clock.now_ms();
    // 6–7. The keys name the transform as the URL asked for it (and the client's class when the
    // format is negotiated), so none needs the original's version.
    let accepts = Accepts::from_header(req.accept.as_deref(), config.http.auto_avif);
    let Variant { key, transform, negotiated, variant_key, .. } =
        plan::checked(&request, Some(&req.origin), config, ports).await?.for_client(accepts, config);
    let cache_key = keys::cache_key(&req.origin, &key, &transform, negotiated);
    let checked_key = keys::checked_key(&req.origin, &key);
    let mezzanine_key = mezzanine::key(config, &key).filter(|_| !transform.is_info() && !transform.is_placeholder());
    let keys = Keys {
        original: &key,
        variant: variant_key.as_deref(),
        mezzanine: mezzanine_key.as_deref(),
        cache: &cache_key,
        checked: &checked_key,
        transform: &transform,
    };
    let asking = clock.now_ms();
    let (decided, said) = decide(req, config, ports, &keys, accepts, known, trace).await?;
    let waited_ms = clock.now_ms() - asking;
    // What R2 said of the original during this request is remembered for the window.
    if let (Some(original), true) = (said, config.http.max_stale_s > 0) {
        freshness::remember_later(ports.later, ports.cache.clone(), checked_key.clone(), Some(original), config.http.max_stale_s);
    }

    match decided {
        Decision::Unchecked(entry) => {
            let etag = ports.cache.header(&entry, "etag");
            let served = ServedCopy { original_key: key, checked_key, cache_key, etag, transform, accepts };
            let timing = http::server_timing_stored("cache", waited_ms, clock.now_ms() - started);
            Ok(serve_while_checking(req, config, ports, entry, served, negotiated.is_some(), timing))
        }
        Decision::NotModified(answer) => {
            Ok(Reply::not_modified(&answer.etag, &answer.last_modified, &config.http.cache_control, answer.vary_accept))
        }
        Decision::Hit(entry) => {
            Ok(Reply::cached(entry, Served::Hit, http::server_timing_stored("cache", waited_ms, clock.now_ms() - started)))
        }
        Decision::Variant(answer, stored) => {
            // Typed as what was stored: a best-effort format (an AVIF made as WebP) included.
            let answer = match Format::of_original(stored.meta.content_type.as_deref(), "") {
                Some(format) if format.content_type() != answer.content_type => answer.typed_as(format, &key),
                _ => answer,
            };
            let timing = http::server_timing_stored("r2", waited_ms, clock.now_ms() - started);
            let mut reply = Reply::image(Body::Stored(stored.body), answer.headers(stored.meta.size, Served::Variant, timing));
            reply.cache_as = Some(cache_key);
            Ok(reply)
        }
        Decision::Miss(miss) => {
            // (One fetched from an origin was counted before its download.)
            if !super::renders::counted_early(config, &key) {
                clients::admit_render(ports, req.client.as_deref(), trace).await?;
            }
            let bound = Bound { key: &key, variant_key, mezzanine_key };
            let mut reply = make_now(config, ports, miss, bound, Waited { started, waited_ms }, trace).await?;
            reply.cache_as = Some(cache_key);
            Ok(reply)
        }
    }
}

/// What steps 7–10 decided, before anything was read or decoded.
enum Decision<'a, S: Store, C: Cache> {
    /// 7a: a cached copy whose original this data centre has not checked within the window:
    /// served at once (or its 304), the original checked after the response.
    Unchecked(C::Entry),
    /// 8: the client's copy is current (the bodies asked for are dropped unread).
    NotModified(Answer<'a>),
    /// 9: the cached copy of this version.
    Hit(C::Entry),
    /// 10: the persisted variant of this version.
    Variant(Answer<'a>, Stored<S::Body>),
    /// 11: to be made now.
    Miss(Box<Miss<'a, S::Body>>),
}

/// A miss: what to make, and from what.
struct Miss<'a, B> {
    answer: Answer<'a>,
    original: Meta,
    source: Stored<B>,
    /// The original's mezzanine, of whichever version (`mezzanine::choose` checks).
    mezzanine: Option<Stored<B>>,
    images: Result<overlays::Fetched<B>>,
}

/// Steps 7–10: this data centre's cache first, then R2 for what it did not answer, then the
/// first of 304, a cached copy, a persisted variant of this version; else a miss. Beside the
/// decision, what R2 said of the original during this request (`None` when it said nothing, or
/// when the cache's memory of it answered: remembering that again would stretch the window
/// without a check).
async fn decide<'a, S: Store + 'static, C: Cache + 'static>(
    req: &Request,
    config: &'a Config,
    ports: &Ports<'_, S, C>,
    keys: &Keys<'_>,
    accepts: Accepts,
    known: Option<Option<Meta>>,
    trace: &mut Trace,
) -> Result<(Decision<'a, S, C>, Option<Meta>)> {
    let window = config.http.max_stale_s;
    let local = lookup::local(ports, keys, window > 0, trace).await;
    // What step 4 read from R2 is R2's word; what the cache remembered is not.
    let by_r2 = known.is_some() || local.remembered.is_none();
    let (cached, known) = match (known.or(local.remembered), local.entry) {
        // 7a.
        (None, Some(entry)) if window > 0 => return Ok((Decision::Unchecked(entry), None)),
        (known, entry) => (entry, known),
    };

    // 7b. With the original's metadata known, 304 and a hit are decided before any body is asked
    // for; without it, the bodies go with the `head` (unless a cached copy may do), so a miss
    // waits for one round trip.
    // (Whether the metadata was known before: else the wave was counted, and its download too.)
    let known_before = known.as_ref().map(|_| ());
    let (original, bodies) = match known {
        Some(original) => (Ok(original), None),
        None => {
            counted_before_download(req, config, ports, keys, trace).await?;
            lookup::wave(config, ports, keys, cached.is_none()).await
        }
    };
    let original = original?.ok_or(Error::NotFound)?;
    let answer = Answer::new(config, keys.original, keys.transform, accepts, &original)?;
    trace.transform = Some(answer.resolved.canonical());
    let said = |original: &Meta, by_r2: bool| by_r2.then(|| original.clone());

    // 8.
    if not_modified(req.if_none_match.as_deref(), req.if_modified_since.as_deref(), &answer.etag, original.uploaded_ms) {
        return Ok((Decision::NotModified(answer), said(&original, by_r2)));
    }
    // 9. A stale copy is a miss, and the miss's reply replaces it.
    if let Some(hit) = cached.filter(|hit| keys::fresh_hit(ports.cache.header(hit, "etag").as_deref(), &answer.etag)) {
        return Ok((Decision::Hit(hit), said(&original, by_r2)));
    }

    // 10. The original's own metadata, read with its body, is the freshest: if the original was
    // replaced since it was remembered, answer for the new version.
    let bodies = match bodies {
        Some(bodies) => bodies,
        None => {
            if known_before.is_some() {
                counted_before_download(req, config, ports, keys, trace).await?;
            }
            lookup::bodies(config, ports, keys).await
        }
    };
    let source = bodies.source?.ok_or(Error::NotFound)?;
    let (original, answer, by_r2) = if source.meta.etag == original.etag {
        (original, answer, by_r2)
    } else {
        let answer = Answer::new(config, keys.original, keys.transform, accepts, &source.meta)?;
        trace.transform = Some(answer.resolved.canonical());
        (source.meta.clone(), answer, true)
    };
    let said = said(&original, by_r2);
    // The persisted variants only spare work: when they cannot be read, resize instead.
    let stored_variant = bodies.variant.unwrap_or_else(|e| {
        trace.warnings.push(format!("reading the persisted variant failed, resizing instead: {e}"));
        None
    });
    let decision = match stored_variant.filter(|v| keys::fresh_hit(variant::etag(&v.meta), &answer.etag)) {
        Some(stored) => Decision::Variant(answer, stored),
        None => {
            // Likewise the mezzanine: without it, the original.
            let mezzanine = bodies.mezzanine.unwrap_or_else(|e| {
                trace.warnings.push(format!("reading the mezzanine failed, reading the original instead: {e}"));
                None
            });
            Decision::Miss(Box::new(Miss { answer, original, source, mezzanine, images: bodies.images }))
        }
    };
    Ok((decision, said))
}

/// A remote original is downloaded by the lookups themselves (R2 does not keep it), and a query
/// string makes a new URL of the same picture: so its render is counted before the lookups, by
/// origin and path, each URL and transform one render of it (`RENDER_BUDGET`; a description
/// counts too, since it downloads). Counting the same cache key twice costs nothing, so a retry
/// after a failure is not charged again.
async fn counted_before_download<S: Store, C: Cache>(
    req: &Request,
    config: &Config,
    ports: &Ports<'_, S, C>,
    keys: &Keys<'_>,
    trace: &mut Trace,
) -> Result<()> {
    match super::renders::counted_early(config, keys.original) {
        true => super::renders::before_download(req, config, ports, keys.original, keys.cache, trace).await,
        false => Ok(()),
    }
}

/// Steps 11–12: made now, answered at once; the variant is persisted after the response (and
/// the adapter fills the cache once the response is on its way).
/// Where a miss's answer goes: the original it is of, and the keys it is persisted under.
struct Bound<'k> {
    key: &'k str,
    variant_key: Option<String>,
    mezzanine_key: Option<String>,
}

/// When the request started, and how long its lookups took (for `Server-Timing`).
struct Waited {
    started: f64,
    waited_ms: f64,
}

async fn make_now<S: Store + 'static, C: Cache>(
    config: &Config,
    ports: &Ports<'_, S, C>,
    miss: Box<Miss<'_, S::Body>>,
    Bound { key, variant_key, mezzanine_key }: Bound<'_>,
    Waited { started, waited_ms }: Waited,
    trace: &mut Trace,
) -> Result<ReplyOf<S, C>> {
    let clock = ports.clock;
    let Miss { answer, original, source, mezzanine, images } = *miss;
    // 11. (Within the original's render budget, a description too: it reads the original. One
    // fetched from an origin was counted before its download.)
    if !super::renders::counted_early(config, key) {
        ports.renders.admit(key, &answer.resolved.canonical(), &config.cost, clock.now_ms())?;
    }
    if answer.resolved.is_info() || answer.resolved.is_placeholder() {
        let (info, read_ms) = describe(ports, config, &original, source, &answer.resolved).await?;
        let timing = http::server_timing_stored("r2", waited_ms + read_ms, clock.now_ms() - started);
        let length = info.len() as u64;
        return Ok(Reply::image(Body::Bytes(info), answer.headers(length, Served::Miss, timing)));
    }
    let read = mezzanine::choose(config, source, mezzanine, &answer.resolved);
    let (output, read_ms, how) = resize(ports, config, read, images?, &answer.resolved, trace).await?;
    // An animation over a budget is served unchanged, in its own format whatever was asked: it is
    // typed as what it is, and not persisted as a variant (it is the original). An AVIF served as
    // another format (best effort) is a variant like any other: the same inputs give it again.
    let stored = !output.unchanged;
    if output.unchanged && overlays::forced(config, key) {
        return Err(Error::TooLarge(format!(
            "{}; the watermark OVERLAYS draws on this image cannot be left out",
            output.note.as_deref().unwrap_or("this animation is over the animation budget")
        )));
    }
    let answer = answer.typed_as(output.format, key);

    // 12.
    let timing = http::server_timing(&output.timings, waited_ms + read_ms, clock.now_ms() - started);
    let length = output.bytes.len() as u64;
    let mut reply = Reply::image(Body::Bytes(output.bytes.clone()), answer.headers(length, Served::Miss, timing));
    if config.http.debug_headers {
        reply = reply.with_header("x-memory-estimate", output.estimated_peak.to_string());
        reply = reply.with_header("x-resize-source", trace.source.unwrap_or("original").to_string());
    }
    if let Some(note) = output.note {
        reply = reply.with_header("x-resize-note", note);
    }
    if let Some(variant_key) = variant_key.filter(|_| stored) {
        let meta = variant::put_meta(answer.content_type, &answer.etag, key, &original.etag);
        variant::persist_later(ports.later, ports.variants.clone(), variant_key, output.bytes, meta);
    }
    if let (true, true, Some(mezzanine_key)) = (how.make, output.mezzanine, mezzanine_key) {
        mezzanine::make_later(ports, config, key, mezzanine_key, &original);
    }
    Ok(reply)
}

/// Step 7a's answer: the cached copy (or its 304) now; the check after the response.
fn serve_while_checking<S: Store + 'static, C: Cache + 'static>(
    req: &Request,
    config: &Config,
    ports: &Ports<'_, S, C>,
    entry: C::Entry,
    served: ServedCopy,
    vary_accept: bool,
    timing: String,
) -> ReplyOf<S, C> {
    let last_modified = ports.cache.header(&entry, "last-modified").unwrap_or_default();
    let uploaded = parse_http_date(&last_modified).unwrap_or(0);
    let current = served.etag.clone().filter(|e| not_modified(req.if_none_match.as_deref(), req.if_modified_since.as_deref(), e, uploaded));
    freshness::check_later(ports.later, ports.originals.clone(), ports.cache.clone(), ports.checks.clone(), config, served);
    match current {
        Some(etag) => Reply::not_modified(&etag, &last_modified, &config.http.cache_control, vary_accept),
        None => Reply::cached(entry, Served::Hit, timing),
    }
}

/// Step 11 for `format=json` (described from the header) and `format=blurhash` (a small render):
/// the original read within the isolate's memory gate; also how long reading took.
async fn describe<S: Store, C: Cache>(
    ports: &Ports<'_, S, C>,
    config: &Config,
    original: &Meta,
    source: Stored<S::Body>,
    resolved: &Transform,
) -> Result<(Vec<u8>, f64)> {
    let clock = ports.clock;
    lookup::readable(&source.meta, &config.pipeline.limits)?;
    let slot = ports.gate.take(original.size, &config.pipeline.limits, clock).await?;
    let reading = clock.now_ms();
    let bytes = ports.originals.read(source.body).await?;
    let read_ms = clock.now_ms() - reading;
    let json = if resolved.is_placeholder() {
        serde_json::to_vec(&pipeline::placeholder::make(
            bytes,
            resolved,
            &config.pipeline,
            &ports.codecs.codecs(None, config.pipeline.heic),
        )?)
    } else {
        serde_json::to_vec(&pipeline::info::describe(&bytes, resolved, &original.etag, &config.pipeline.limits)?)
    };
    drop(slot);
    Ok((json.map_err(|e| Error::Internal(e.to_string()))?, read_ms))
}

/// Step 11: once this isolate has room for one more image of that many bytes in memory (else
/// 503), read the original or its mezzanine and the overlays' images and run the pipeline; also
/// how long reading took, and which was read. `pipeline::run` is synchronous: no other
/// request's buffers interleave with it.
async fn resize<S: Store, C: Cache>(
    ports: &Ports<'_, S, C>,
    config: &Config,
    read: mezzanine::Read<S::Body>,
    images: overlays::Fetched<S::Body>,
    resolved: &Transform,
    trace: &mut Trace,
) -> Result<(pipeline::Output, f64, mezzanine::How)> {
    let clock = ports.clock;
    lookup::readable(&read.stored.meta, &config.pipeline.limits)?;
    let slot = ports.gate.take(read.stored.meta.size, &config.pipeline.limits, clock).await?;
    let reading = clock.now_ms();
    let mezzanine::Read { stored, how } = read;
    let (bytes, overlays) = join(ports.originals.read(stored.body), overlays::read_fetched(config, ports, images)).await;
    let (bytes, overlays) = (bytes?, overlays?);
    let read_ms = clock.now_ms() - reading;
    trace.bytes_in = Some(bytes.len() as u64);
    trace.source = how.of.map(|_| "mezzanine");
    let output = run_pipeline(ports, config, how.source(bytes), &overlays, resolved).await?;
    drop(slot);
    trace.timings = Some(output.timings);
    Ok((output, read_ms, how))
}

/// The pipeline on an original's bytes and the overlays' images (`overlays::read`), with libwebp
/// made ready (once per isolate, only when WebP is wanted). For a request (step 11) and for an
/// eager variant.
pub(super) async fn run_pipeline<S: Store, C: Cache>(
    ports: &Ports<'_, S, C>,
    config: &Config,
    source: impl Into<pipeline::Source>,
    overlays: &[(Overlay, Vec<u8>)],
    resolved: &Transform,
) -> Result<pipeline::Output> {
    let source = source.into();
    if matches!(&source, pipeline::Source::Original(bytes) if pipeline::codecs::sniff(bytes).ok() == Some(Format::Svg)) {
        fonts::ready(ports, config).await?;
    }
    let libwebp = if resolved.output_format() == Some(Format::Webp) { Some(ports.codecs.webp().await?) } else { None };
    let codecs = ports.codecs.codecs(libwebp.as_deref(), config.pipeline.heic);
    let now = || ports.clock.now_ms();
    pipeline::run(source, resolved, &config.pipeline, &pipeline::Host { clock: &now, codecs: &codecs, overlays })
}
