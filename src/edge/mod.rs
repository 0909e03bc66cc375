//! The adapter: the only code that touches the Workers runtime. It implements the flow's ports
//! over R2 ([`store`]), the Cache API ([`cache`]), `Date.now()`, `ctx.waitUntil`, and the codecs
//! compiled to wasm modules of their own ([`WasmCodecs`]: libwebp in [`webp`], dav1d and
//! libde265 in [`heif`]); it turns the runtime's request into a [`flow::Request`] and the reply
//! back into a response ([`respond`]); queue messages go to the eager-variant consumer ([`queue`]).
//! Everything it does is decided by the core.

pub mod binding;
pub mod cache;
pub mod clients;
pub mod faces;
pub mod heif;
pub mod origin;
pub mod queue;
pub mod respond;
pub mod store;
pub mod webp;

use crate::config::Config;
use crate::error::{Error, Result};
use crate::flow::freshness::Checks;
use crate::flow::gate::Gate;
use crate::flow::origin::{Behind, ClientLimit, Copies, Sourced};
use crate::flow::ports::{Clock, CodecHost, Later, RequestBody};
use crate::flow::renders::Renders;
use crate::flow::Ports;
use crate::flow::{self, Method};
use crate::pipeline::codecs::port::{PictureDecoder, WebpEncoder};
use crate::trace::{Outcome, Trace};
use futures_util::future::LocalBoxFuture;
use futures_util::StreamExt;
use std::rc::Rc;
use worker::{Context, Env, Request, Response};

/// One request, start to end: the flow's reply as a response, and the request's log line.
pub async fn serve(req: Request, env: Env, ctx: Context) -> worker::Result<Response> {
    let started = now_ms();
    let mut trace = Trace::default();
    let config = config(&env);
    let request = request(&req);
    let method = req.method();
    let url = req.url().ok();
    let body = UploadBody(std::cell::RefCell::new(Some(req)));
    let reply = match (R2::originals(&env), R2::variants(&env)) {
        (Ok(originals), Ok(variants)) => {
            let limiter =
                env.rate_limiter(clients::BINDING).ok().map(|l| Rc::new(clients::Binding(l)) as Rc<dyn crate::flow::ports::Limiter>);
            let client_limit = limiter.clone().zip(request.client.clone()).map(|(limiter, client)| ClientLimit { limiter, client });
            let behind = config.as_ref().ok().map(|c| Behind {
                origin: Rc::new(origin::HttpOrigin),
                clock: Rc::new(WorkerClock),
                settings: c.origin.clone(),
                copies: COPIES.with(Rc::clone),
                gate: gate(),
                limits: c.pipeline.limits,
                client_limit: client_limit.clone(),
            });
            let r2_timeout = config.as_ref().map_or(5000, |c| c.http.r2_timeout_ms);
            let bounded = |s: Sourced<R2>| s.bounded(Rc::new(WorkerClock), r2_timeout);
            let ports = Ports {
                originals: Rc::new(bounded(Sourced::new(Rc::new(originals), behind))),
                variants: Rc::new(bounded(Sourced::plain(Rc::new(variants)))),
                cache: Rc::new(cache::CacheApi),
                clock: &WorkerClock,
                later: &WaitUntil(&ctx),
                codecs: &WasmCodecs,
                gate: gate(),
                renders: renders(),
                checks: CHECKS.with(Rc::clone),
                limiter: limiter.as_deref(),
            };
            flow::serve(&request, &body, &config, &ports, &mut trace).await
        }
        (Err(e), _) | (_, Err(e)) => flow::serve_error::<Sourced<R2>, cache::CacheApi>(&request, &e, &mut trace),
    };
    body.drain_unread(request.content_length).await;
    let mut response = respond::response(reply, &ctx).unwrap_or_else(|e| {
        trace.error = Some(e.message());
        Response::error(e.message(), e.status()).unwrap_or_else(|_| Response::empty().expect("an empty response"))
    });
    if config.as_ref().is_ok_and(|c| c.http.debug_headers) {
        response = respond::with_header(response, "x-memory", &memory_report());
    }
    // What went wrong without costing the client its answer is an error for whoever runs it.
    for warning in &trace.warnings {
        worker::console_error!("{}", crate::trace::redact(warning));
    }
    log(method, url, &response, &trace, now_ms() - started);
    Ok(response)
}

use store::R2;

/// Reads the configuration from `[vars]` and secrets (`SIGNING_KEY`, `SIGNING_KEY_PREVIOUS`).
fn config(env: &Env) -> Result<Config> {
    Config::from_lookup(|name| env.var(name).map(|v| v.to_string()).or_else(|_| env.secret(name).map(|s| s.to_string())).ok())
}

fn request(req: &Request) -> flow::Request {
    let header = |name: &str| req.headers().get(name).ok().flatten();
    let url = req.url().ok();
    let method = match req.method() {
        worker::Method::Get => Method::Get,
        worker::Method::Head => Method::Head,
        worker::Method::Put => Method::Put,
        worker::Method::Delete => Method::Delete,
        _ => Method::Other,
    };
    flow::Request {
        method,
        origin: url.as_ref().map(|u| u.origin().ascii_serialization()).unwrap_or_default(),
        path: url.as_ref().map(|u| u.path().to_string()).unwrap_or_else(|| "/".into()),
        query: url.as_ref().and_then(|u| u.query().map(String::from)),
        accept: header("accept"),
        if_none_match: header("if-none-match"),
        if_modified_since: header("if-modified-since"),
        range: header("range"),
        authorization: header("authorization"),
        if_match: header("if-match"),
        content_length: header("content-length").and_then(|v| v.trim().parse().ok()),
        hints: crate::http::hints::Hints::read(header),
        client: header("cf-connecting-ip"),
    }
}

/// The request's body, read only by an upload (once).
struct UploadBody(std::cell::RefCell<Option<Request>>);

/// A body of at most this size that the flow left unread (an upload refused before reading it:
/// 401, 403, 412 …) is read and dropped before answering, so that the client, still sending,
/// gets the answer instead of a reset connection. A larger one is not read for nothing.
const DRAIN_MAX_BYTES: u64 = 1 << 20;

impl UploadBody {
    async fn drain_unread(&self, content_length: Option<u64>) {
        if content_length.is_some_and(|n| n > 0 && n <= DRAIN_MAX_BYTES) {
            let request = self.0.borrow_mut().take();
            if let Some(mut request) = request {
                let _ = request.bytes().await;
            }
        }
    }
}

impl RequestBody for UploadBody {
    fn read(&self, max: u64) -> LocalBoxFuture<'_, Result<Vec<u8>>> {
        let request = self.0.borrow_mut().take();
        Box::pin(async move {
            let mut request = request.ok_or_else(|| Error::Internal("the request body was read twice".into()))?;
            let unreadable = |e: worker::Error| Error::bad_request(format!("the body could not be read: {e}"));
            read_capped(request.stream().map_err(unreadable)?, max, unreadable).await.map_err(|e| match e {
                Error::TooLarge(_) => Error::TooLarge(format!("uploads are limited to {} MB (UPLOAD_MAX_MB)", max >> 20)),
                e => e,
            })
        })
    }
}

/// A body read as a stream and stopped past `max` (a 413): one of unknown length (chunked) never
/// takes more than that of the isolate's memory.
async fn read_capped(mut stream: worker::ByteStream, max: u64, failed: impl Fn(worker::Error) -> Error) -> Result<Vec<u8>> {
    let mut bytes = Vec::new();
    while let Some(chunk) = stream.next().await {
        bytes.extend_from_slice(&chunk.map_err(&failed)?);
        if bytes.len() as u64 > max {
            return Err(Error::TooLarge(format!("over {max} bytes")));
        }
    }
    Ok(bytes)
}

thread_local! {
    /// This isolate's originals in flight (one wasm instance per isolate, one thread).
    static GATE: &'static Gate = Box::leak(Box::default());
    /// This isolate's renders per original (`RENDER_BUDGET`).
    static RENDERS: &'static Renders = Box::leak(Box::default());
    /// This isolate's checks of originals under way.
    static CHECKS: Rc<Checks> = Rc::default();
    /// This isolate's fetches from `ORIGIN_URL`, and the keys it lately did not have.
    static COPIES: Rc<Copies> = Rc::default();
}

fn gate() -> &'static Gate {
    GATE.with(|g| *g)
}

fn renders() -> &'static Renders {
    RENDERS.with(|r| *r)
}

struct WorkerClock;

impl Clock for WorkerClock {
    /// Deployed Workers advance it only across I/O; locally it is exact.
    fn now_ms(&self) -> f64 {
        now_ms()
    }

    fn sleep(&self, ms: u32) -> LocalBoxFuture<'static, ()> {
        Box::pin(worker::Delay::from(std::time::Duration::from_millis(ms as u64)))
    }
}

struct WaitUntil<'a>(&'a Context);

impl Later for WaitUntil<'_> {
    fn after_response(&self, work: LocalBoxFuture<'static, std::result::Result<(), String>>) {
        self.0.wait_until(async move {
            if let Err(message) = work.await {
                worker::console_error!("{message}");
            }
        });
    }
}

/// The codecs compiled to wasm modules of their own, as the flow's one codec port.
pub struct WasmCodecs;

impl CodecHost for WasmCodecs {
    fn webp(&self) -> LocalBoxFuture<'_, Result<Rc<dyn WebpEncoder>>> {
        Box::pin(async { Ok(Rc::new(webp::LibWebp::ready().await?) as Rc<dyn WebpEncoder>) })
    }

    fn av1(&self) -> Option<&dyn PictureDecoder> {
        Some(&heif::DAV1D)
    }

    fn hevc(&self) -> Option<&dyn PictureDecoder> {
        Some(&heif::LIBDE265)
    }
}

fn now_ms() -> f64 {
    worker::js_sys::Date::now()
}

/// The isolate's wasm memory: ours and the WebP encoder's, and the largest a dav1d or libde265
/// instance reached. Linear memory never shrinks, so these are high-water marks since the instance
/// started (`DEBUG_HEADERS=true` reports them).
fn memory_report() -> String {
    let ours = core::arch::wasm32::memory_size(0) as u64 * 65536;
    format!(
        "wasm={ours}, webp={}, av1={}, hevc={}, webp_anim={}",
        webp::memory(),
        heif::memory(heif::Module::Dav1d),
        heif::memory(heif::Module::Libde265),
        webp::animation_memory()
    )
}

/// The request's one JSON log line (`wrangler tail`, Workers Logs).
fn log(method: worker::Method, url: Option<worker::Url>, resp: &Response, trace: &Trace, total_ms: f64) {
    let header = |name: &str| resp.headers().get(name).ok().flatten();
    let path = url.as_ref().map(|u| match u.query() {
        Some(q) => format!("{}?{q}", u.path()),
        None => u.path().to_string(),
    });
    let outcome = Outcome {
        method: method.as_ref(),
        path: path.as_deref().unwrap_or(""),
        status: resp.status_code(),
        cache: header("x-cache"),
        bytes_out: header("content-length").and_then(|v| v.parse().ok()),
        total_ms,
    };
    worker::console_log!("{}", trace.json(&outcome));
}

/// A runtime failure (R2 or Cache API call) becomes a 502 with the runtime's message.
pub fn upstream(e: worker::Error) -> Error {
    Error::Upstream(e.to_string())
}
