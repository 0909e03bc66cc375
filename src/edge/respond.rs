//! Building responses. Header values come from the core (`http`); this only assembles them.

use super::upstream;
use crate::error::{Error, Result};
use worker::{Headers, Response, ResponseBody};

/// How a response was produced, reported in `x-cache`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Served {
    /// From the Cache API.
    Hit,
    /// From a persisted variant in R2.
    Variant,
    /// Resized for this request.
    Miss,
}

impl Served {
    pub fn header(self) -> &'static str {
        match self {
            Served::Hit => "HIT",
            Served::Variant => "VARIANT",
            Served::Miss => "MISS",
        }
    }
}

/// Headers every image response carries.
pub struct ImageHeaders<'a> {
    pub content_type: &'a str,
    pub content_length: u64,
    pub cache_control: &'a str,
    pub etag: &'a str,
    pub served: Option<Served>,
    pub server_timing: Option<String>,
    /// The format was negotiated from `Accept` (`format=auto`).
    pub vary_accept: bool,
}

pub fn image(body: ResponseBody, h: ImageHeaders<'_>) -> Result<Response> {
    let headers = Headers::new();
    let set = |name: &str, value: &str| headers.set(name, value).map_err(upstream);
    set("content-type", h.content_type)?;
    set("content-length", &h.content_length.to_string())?;
    set("cache-control", h.cache_control)?;
    set("x-content-type-options", "nosniff")?;
    if !h.etag.is_empty() {
        set("etag", h.etag)?;
    }
    if let Some(s) = h.served {
        set("x-cache", s.header())?;
    }
    if h.vary_accept {
        set("vary", "Accept")?;
    }
    if let Some(t) = &h.server_timing {
        set("server-timing", t)?;
    }
    Ok(Response::builder().with_status(200).with_headers(headers).body(body))
}

/// A cached response with `x-cache` rewritten. Cached responses have immutable headers, so the
/// headers are copied first.
pub fn relabel(resp: Response, served: Served) -> Result<Response> {
    let headers = resp.headers().clone();
    headers.set("x-cache", served.header()).map_err(upstream)?;
    Ok(resp.with_headers(headers))
}

/// Adds one header, copying the headers first (a cached response's are immutable).
pub fn with_header(resp: Response, name: &str, value: &str) -> Response {
    let headers = resp.headers().clone();
    let _ = headers.set(name, value);
    resp.with_headers(headers)
}

/// HEAD answers with GET's status and headers, and no body.
pub fn without_body(resp: Response) -> Response {
    let status = resp.status_code();
    let headers = resp.headers().clone();
    Response::builder().with_status(status).with_headers(headers).empty()
}

/// A short plain-text error. Never cached for now (error TTLs are configurable later).
pub fn error(e: &Error) -> Response {
    let headers = Headers::new();
    let _ = headers.set("content-type", "text/plain; charset=utf-8");
    let _ = headers.set("cache-control", "no-store");
    let _ = headers.set("x-content-type-options", "nosniff");
    if *e == Error::MethodNotAllowed {
        let _ = headers.set("allow", "GET, HEAD");
    }
    Response::builder().with_status(e.status()).with_headers(headers).fixed(format!("{}\n", e.message()).into_bytes())
}
