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
    /// The original's upload time (`Last-Modified`).
    pub last_modified: &'a str,
    pub disposition: &'a str,
    pub served: Option<Served>,
    pub server_timing: Option<String>,
    /// The format was negotiated from `Accept` (`format=auto`).
    pub vary_accept: bool,
    /// Originals: `Accept-Ranges`, and `Content-Range` for a 206.
    pub ranges: Option<Option<String>>,
}

pub fn image(body: ResponseBody, h: ImageHeaders<'_>) -> Result<Response> {
    let headers = validators(h.etag, h.last_modified, h.cache_control, h.vary_accept)?;
    let set = |name: &str, value: &str| headers.set(name, value).map_err(upstream);
    set("content-type", h.content_type)?;
    set("content-length", &h.content_length.to_string())?;
    set("content-disposition", h.disposition)?;
    set("x-content-type-options", "nosniff")?;
    if let Some(s) = h.served {
        set("x-cache", s.header())?;
    }
    if let Some(t) = &h.server_timing {
        set("server-timing", t)?;
    }
    let mut status = 200;
    if let Some(range) = &h.ranges {
        set("accept-ranges", "bytes")?;
        if let Some(content_range) = range {
            set("content-range", content_range)?;
            status = 206;
        }
    }
    Ok(Response::builder().with_status(status).with_headers(headers).body(body))
}

/// 304: the client's copy is current. The same validators and caching headers as the 200.
pub fn not_modified(etag: &str, last_modified: &str, cache_control: &str, vary_accept: bool) -> Result<Response> {
    let headers = validators(etag, last_modified, cache_control, vary_accept)?;
    Ok(Response::builder().with_status(304).with_headers(headers).empty())
}

/// 416: the range starts past the end of the original.
pub fn unsatisfiable(content_range: &str) -> Result<Response> {
    let headers = Headers::new();
    headers.set("content-range", content_range).map_err(upstream)?;
    headers.set("cache-control", "no-store").map_err(upstream)?;
    Ok(Response::builder().with_status(416).with_headers(headers).empty())
}

fn validators(etag: &str, last_modified: &str, cache_control: &str, vary_accept: bool) -> Result<Headers> {
    let headers = Headers::new();
    let set = |name: &str, value: &str| headers.set(name, value).map_err(upstream);
    set("cache-control", cache_control)?;
    if !etag.is_empty() {
        set("etag", etag)?;
    }
    if !last_modified.is_empty() {
        set("last-modified", last_modified)?;
    }
    if vary_accept {
        set("vary", "Accept")?;
    }
    Ok(headers)
}

/// A cached response with `x-cache` and `Server-Timing` rewritten. Cached responses have
/// immutable headers, so the headers are copied first.
pub fn relabel(resp: Response, served: Served, server_timing: &str) -> Result<Response> {
    let headers = resp.headers().clone();
    headers.set("x-cache", served.header()).map_err(upstream)?;
    headers.set("server-timing", server_timing).map_err(upstream)?;
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

/// A short plain-text error, cached for as long as that kind of error may be (`http`).
pub fn error(e: &Error, cache_control: &str) -> Response {
    let headers = Headers::new();
    let _ = headers.set("content-type", "text/plain; charset=utf-8");
    let _ = headers.set("cache-control", cache_control);
    let _ = headers.set("x-content-type-options", "nosniff");
    if *e == Error::MethodNotAllowed {
        let _ = headers.set("allow", "GET, HEAD");
    }
    if e.status() == 503 {
        let _ = headers.set("retry-after", "1");
    }
    Response::builder().with_status(e.status()).with_headers(headers).fixed(format!("{}\n", e.message()).into_bytes())
}

/// A small JSON document (`/_health`), never cached.
pub fn json(body: String) -> Response {
    let headers = Headers::new();
    let _ = headers.set("content-type", "application/json");
    let _ = headers.set("cache-control", "no-store");
    Response::builder().with_status(200).with_headers(headers).fixed(body.into_bytes())
}
