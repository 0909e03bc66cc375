//! What the flow answers, before any runtime sees it: a status, headers and a body that is
//! bytes, a stored object to stream, or a cached response. The adapter turns a [`Reply`] into
//! its runtime's response and does nothing else to it, so every header is decided here.

use crate::error::Error;

/// How a transformed response was produced, reported in `x-cache`.
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

/// The body of a reply. `S` is the store's body (streamed as it comes, never through wasm
/// memory), `C` a cached response (whose own headers stay, under the reply's).
#[derive(Debug)]
pub enum Body<S, C> {
    Empty,
    Bytes(Vec<u8>),
    Stored(S),
    Cached(C),
}

#[derive(Debug)]
pub struct Reply<S, C> {
    pub status: u16,
    /// Set on top of the body's own headers (a cached response keeps the rest of its own).
    pub headers: Vec<(&'static str, String)>,
    pub body: Body<S, C>,
    /// Once the response is on its way, store a copy of it in the cache under this key.
    pub cache_as: Option<String>,
    /// HEAD: send the status and every header (a cached response's own too), not the body.
    pub head_only: bool,
}

/// The headers of an image response (transformed, a persisted variant, or an original).
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
    /// Originals (anything served as uploaded, SVG above all): a policy that lets nothing in it run.
    pub content_security_policy: Option<&'a str>,
}

impl<S, C> Reply<S, C> {
    fn new(status: u16, headers: Vec<(&'static str, String)>, body: Body<S, C>) -> Self {
        Reply { status, headers, body, cache_as: None, head_only: false }
    }

    /// 200 (or 206 for a part of an original).
    pub fn image(body: Body<S, C>, h: ImageHeaders<'_>) -> Self {
        let mut headers = validators(h.etag, h.last_modified, h.cache_control, h.vary_accept);
        headers.push(("content-type", h.content_type.into()));
        headers.push(("content-length", h.content_length.to_string()));
        headers.push(("content-disposition", h.disposition.into()));
        headers.push(("x-content-type-options", "nosniff".into()));
        if let Some(s) = h.served {
            headers.push(("x-cache", s.header().into()));
        }
        if let Some(t) = h.server_timing {
            headers.push(("server-timing", t));
        }
        if let Some(csp) = h.content_security_policy {
            headers.push(("content-security-policy", csp.into()));
        }
        let mut status = 200;
        if let Some(range) = h.ranges {
            headers.push(("accept-ranges", "bytes".into()));
            if let Some(content_range) = range {
                headers.push(("content-range", content_range));
                status = 206;
            }
        }
        Reply::new(status, headers, body)
    }

    /// 304: the client's copy is current. The same validators and caching headers as the 200.
    pub fn not_modified(etag: &str, last_modified: &str, cache_control: &str, vary_accept: bool) -> Self {
        Reply::new(304, validators(etag, last_modified, cache_control, vary_accept), Body::Empty)
    }

    /// 416: the range starts past the end of the original.
    pub fn unsatisfiable(content_range: String) -> Self {
        Reply::new(416, vec![("content-range", content_range), ("cache-control", "no-store".into())], Body::Empty)
    }

    /// A cached response, served as it was stored but for how it was served and its timings
    /// (a hit must not repeat the timings of the miss that filled the cache).
    pub fn cached(entry: C, served: Served, server_timing: String) -> Self {
        Reply::new(200, vec![("x-cache", served.header().into()), ("server-timing", server_timing)], Body::Cached(entry))
    }

    /// A short plain-text error, cached for as long as that kind of error may be (`http`).
    pub fn error(e: &Error, cache_control: &str) -> Self {
        let mut headers = vec![
            ("content-type", "text/plain; charset=utf-8".to_string()),
            ("cache-control", cache_control.into()),
            ("x-content-type-options", "nosniff".into()),
        ];
        if *e == Error::MethodNotAllowed {
            headers.push(("allow", "GET, HEAD".into()));
        }
        if e.status() == 401 {
            headers.push(("www-authenticate", "Bearer".into()));
        }
        if let Some(seconds) = e.retry_after() {
            headers.push(("retry-after", seconds.to_string()));
        }
        Reply::new(e.status(), headers, Body::Bytes(format!("{}\n", e.message()).into_bytes()))
    }

    /// A small JSON document (`/_health`), never cached.
    /// A page of ours (the demo's HTML and script), never cached.
    pub fn page(body: &str, content_type: &str) -> Self {
        let headers = vec![
            ("content-type", content_type.to_string()),
            ("cache-control", "no-store".into()),
            ("x-content-type-options", "nosniff".into()),
        ];
        Reply::new(200, headers, Body::Bytes(body.as_bytes().to_vec()))
    }

    pub fn json(body: String) -> Self {
        let headers = vec![("content-type", "application/json".to_string()), ("cache-control", "no-store".into())];
        Reply::new(200, headers, Body::Bytes(body.into_bytes()))
    }

    /// Sets one header, replacing any value it had.
    pub fn with_header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.retain(|(n, _)| *n != name);
        self.headers.push((name, value.into()));
        self
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| *n == name).map(|(_, v)| v.as_str())
    }

    /// HEAD answers with GET's status and headers, and no body. The body stays in the reply
    /// until the adapter has built the response: a cached response's headers are in it, and
    /// `cache_as` still stores the whole response.
    pub fn without_body(mut self) -> Self {
        self.head_only = true;
        self
    }
}

fn validators(etag: &str, last_modified: &str, cache_control: &str, vary_accept: bool) -> Vec<(&'static str, String)> {
    let mut headers = vec![("cache-control", cache_control.to_string())];
    if !etag.is_empty() {
        headers.push(("etag", etag.into()));
    }
    if !last_modified.is_empty() {
        headers.push(("last-modified", last_modified.into()));
    }
    if vary_accept {
        headers.push(("vary", "Accept".into()));
    }
    headers
}

#[cfg(test)]
mod tests {
    use super::*;

    type R = Reply<(), ()>;

    fn headers<'a>(etag: &'a str, ranges: Option<Option<String>>) -> ImageHeaders<'a> {
        ImageHeaders {
            content_type: "image/webp",
            content_length: 10,
            cache_control: "public, max-age=60",
            etag,
            last_modified: "Sun, 26 Apr 2026 10:00:00 GMT",
            disposition: "inline; filename=\"a.webp\"",
            served: Some(Served::Miss),
            server_timing: Some("total;dur=1.0".into()),
            vary_accept: true,
            ranges,
            content_security_policy: None,
        }
    }

    #[test]
    fn an_image_carries_validators_type_length_and_how_it_was_served() {
        let r = R::image(Body::Empty, headers("\"e\"", None));
        assert_eq!(r.status, 200);
        for (name, value) in [
            ("etag", "\"e\""),
            ("vary", "Accept"),
            ("content-length", "10"),
            ("x-cache", "MISS"),
            ("x-content-type-options", "nosniff"),
            ("cache-control", "public, max-age=60"),
        ] {
            assert_eq!(r.header(name), Some(value), "{name}");
        }
        assert_eq!(r.header("accept-ranges"), None, "only originals take ranges");
        let part = R::image(Body::Empty, headers("", Some(Some("bytes 0-9/100".into()))));
        assert_eq!((part.status, part.header("content-range"), part.header("etag")), (206, Some("bytes 0-9/100"), None));
    }

    #[test]
    fn errors_say_what_and_how_long_they_may_be_cached() {
        let busy = R::error(&Error::Busy("x".into()), "no-store");
        assert_eq!((busy.status, busy.header("retry-after")), (503, Some("1")));
        let method = R::error(&Error::MethodNotAllowed, "no-store");
        assert_eq!((method.status, method.header("allow")), (405, Some("GET, HEAD")));
        let Body::Bytes(text) = R::error(&Error::NotFound, "public, max-age=60").body else { panic!("a text body") };
        assert_eq!(text, b"not found\n");
    }

    #[test]
    fn with_header_replaces_and_head_is_marked() {
        let r = R::json("{}".into()).with_header("cache-control", "x").without_body();
        assert_eq!(r.headers.iter().filter(|(n, _)| *n == "cache-control").count(), 1);
        assert!(r.head_only);
        assert_eq!(r.status, 200);
    }
}
