//! One error type for the whole service, mapped to an HTTP status in one place.
//!
//! Every failure a client can cause (URL, header, image bytes) is a 4xx with a short message;
//! only a failing platform call (R2, Cache API) becomes a 5xx.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// 400: a malformed or out-of-range option, or an invalid key.
    BadRequest(String),
    /// 401: an upload without `Authorization: Bearer …`.
    Unauthorized(String),
    /// 403: a missing, wrong or expired signature; a wrong upload token.
    Forbidden(String),
    /// 404: no original under that key.
    NotFound,
    /// 405: anything but GET and HEAD (and PUT and DELETE when uploads are on).
    MethodNotAllowed,
    /// 412: an upload's `If-Match` / `If-None-Match` does not hold.
    PreconditionFailed(String),
    /// 413: the image would not fit the memory or size budget.
    TooLarge(String),
    /// 415: a format (or extension) we do not decode or encode.
    Unsupported(String),
    /// 422: bytes that claim to be an image but do not decode.
    Undecodable(String),
    /// 502: the storage behind us failed.
    Upstream(String),
    /// 429: over a cost bound (`RENDER_BUDGET`); retry after this many seconds.
    TooManyRequests(String, u32),
    /// 504: the origin behind R2 (`ORIGIN_URL`) did not answer in time.
    GatewayTimeout(String),
    /// 503: this isolate has too many originals in flight; retry shortly.
    Busy(String),
    /// 500: a bug of ours (the resizer or an encoder refused what we handed it).
    Internal(String),
    /// 500: a `wrangler.toml` variable or binding is wrong (the operator's fault, not the client's).
    Misconfigured(String),
}

impl Error {
    pub fn status(&self) -> u16 {
        match self {
            Error::BadRequest(_) => 400,
            Error::Unauthorized(_) => 401,
            Error::Forbidden(_) => 403,
            Error::NotFound => 404,
            Error::MethodNotAllowed => 405,
            Error::PreconditionFailed(_) => 412,
            Error::TooLarge(_) => 413,
            Error::Unsupported(_) => 415,
            Error::Undecodable(_) => 422,
            Error::Upstream(_) => 502,
            Error::Busy(_) => 503,
            Error::GatewayTimeout(_) => 504,
            Error::TooManyRequests(..) => 429,
            Error::Internal(_) | Error::Misconfigured(_) => 500,
        }
    }

    /// A short, human-readable message for the response body.
    pub fn message(&self) -> String {
        match self {
            Error::BadRequest(m) => format!("bad request: {m}"),
            Error::Unauthorized(m) => format!("unauthorized: {m}"),
            Error::Forbidden(m) => format!("forbidden: {m}"),
            Error::NotFound => "not found".into(),
            Error::MethodNotAllowed => "method not allowed: use GET or HEAD".into(),
            Error::PreconditionFailed(m) => format!("precondition failed: {m}"),
            Error::TooLarge(m) => format!("image too large: {m}"),
            Error::Unsupported(m) => format!("unsupported format: {m}"),
            Error::Undecodable(m) => format!("cannot decode image: {m}"),
            Error::Upstream(m) => format!("storage error: {m}"),
            Error::Busy(m) => format!("busy: {m}"),
            Error::GatewayTimeout(m) => format!("origin too slow: {m}"),
            Error::TooManyRequests(m, _) => format!("too many requests: {m}"),
            Error::Internal(m) => format!("internal error: {m}"),
            Error::Misconfigured(m) => format!("server misconfigured: {m}"),
        }
    }

    /// The original exists but this transform of it cannot be made (a format we do not read,
    /// damaged bytes, over a budget): the cases `onerror=redirect` answers with the original and
    /// an eager variant skips instead of retrying.
    pub fn is_refusal(&self) -> bool {
        matches!(self, Error::Unsupported(_) | Error::Undecodable(_) | Error::TooLarge(_))
    }

    /// Seconds a client should wait before asking again (`Retry-After`), for 429 and 503.
    pub fn retry_after(&self) -> Option<u32> {
        match self {
            Error::TooManyRequests(_, s) => Some(*s),
            Error::Busy(_) => Some(1),
            _ => None,
        }
    }

    pub fn bad_request(m: impl Into<String>) -> Self {
        Error::BadRequest(m.into())
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())
    }
}

impl std::error::Error for Error {}

/// `image` decoder errors: a size limit is a 413, an unknown format a 415, anything else 422.
impl From<image::ImageError> for Error {
    fn from(e: image::ImageError) -> Self {
        use image::ImageError as E;
        match e {
            // On wasm32 a decoder can refuse a header whose image would not even fit the 4 GB
            // address space, before admission control sees its size.
            E::Limits(l) => Error::TooLarge(format!("decoding it would exceed the memory budget ({l})")),
            E::Unsupported(u) => Error::Unsupported(u.to_string()),
            other => Error::Undecodable(other.to_string()),
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
