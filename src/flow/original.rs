//! Step 5: the original as stored, streamed from the store (one byte range on request),
//! answered 304 when the client's copy is current.

use super::ports::Store;
use super::{ReplyOf, Request};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::http::conditional::{http_date, not_modified};
use crate::http::range::{self, Ranged};
use crate::http::reply::{Body, ImageHeaders, Reply};
use crate::http::{content_disposition, content_type_for_key};

/// `warning` says why it was not transformed (`ON_ERROR=original`).
pub(super) async fn original<S: Store, C: super::ports::Cache>(
    req: &Request,
    config: &Config,
    originals: &S,
    key: &str,
    warning: Option<&str>,
) -> Result<ReplyOf<S, C>> {
    // A fallback should not stick: the transform may work once the format is supported.
    let cache_control = if warning.is_some() { "public, max-age=300" } else { &config.http.cache_control };
    let current = |etag: &str, uploaded: u64| {
        not_modified(req.if_none_match.as_deref(), req.if_modified_since.as_deref(), etag, uploaded)
            .then(|| Reply::not_modified(etag, &http_date(uploaded), cache_control, false))
    };
    // A range needs the size first (one `head`). Anything else is one `get`: validators are checked
    // on the object it returns, and a 304 drops the body unread.
    let mut ranged = Ranged::Whole;
    if req.range.is_some() {
        let head = originals.head(key).await?.ok_or(Error::NotFound)?;
        if let Some(reply) = current(&head.http_etag, head.uploaded_ms) {
            return Ok(reply);
        }
        ranged = range::parse(req.range.as_deref(), head.size);
        if ranged == Ranged::Unsatisfiable {
            return Ok(Reply::unsatisfiable(range::content_range(ranged, head.size)));
        }
    }
    let stored = originals.get(key, ranged).await?.ok_or(Error::NotFound)?;
    let meta = &stored.meta;
    if req.range.is_none() {
        if let Some(reply) = current(&meta.http_etag, meta.uploaded_ms) {
            return Ok(reply);
        }
    }
    let content_type = meta.content_type.clone().unwrap_or_else(|| content_type_for_key(key).into());
    let (length, content_range) = match ranged {
        Ranged::Part { length, .. } => (length, Some(range::content_range(ranged, meta.size))),
        _ => (meta.size, None),
    };
    let headers = ImageHeaders {
        content_type: &content_type,
        content_length: length,
        cache_control,
        etag: &meta.http_etag,
        last_modified: &http_date(meta.uploaded_ms),
        disposition: &content_disposition(key, None),
        served: None,
        server_timing: None,
        vary_accept: false,
        ranges: Some(content_range),
    };
    let reply = Reply::image(Body::Stored(stored.body), headers);
    Ok(match warning {
        Some(why) => reply.with_header("x-resize-error", why),
        None => reply,
    })
}
