//! A core [`Reply`] as a `worker::Response`. Every header was decided by the core; this only
//! copies them and moves the body.

use super::cache::store_later;
use super::store::R2Body;
use super::upstream;
use crate::error::Result;
use crate::flow::origin::SourcedBody;
use crate::http::reply::{Body, Reply};
use worker::{Context, Headers, Response, ResponseBody};

pub fn response(reply: Reply<SourcedBody<R2Body>, Response>, ctx: &Context) -> Result<Response> {
    let Reply { status, headers, body, cache_as, head_only } = reply;
    let mut response = match body {
        // A cached response's headers are immutable: copy them, then set ours over them.
        Body::Cached(cached) => {
            let copy = cached.headers().clone();
            set_all(&copy, &headers)?;
            cached.with_headers(copy)
        }
        body => {
            let own = Headers::new();
            set_all(&own, &headers)?;
            let builder = Response::builder().with_status(status).with_headers(own);
            match body {
                Body::Bytes(bytes) => builder.body(ResponseBody::Body(bytes)),
                Body::Stored(SourcedBody::Stored(stored)) => builder.body(stored.into_response_body()?),
                // An original the origin sent and R2 does not keep (`ORIGIN_COPY=false`).
                Body::Stored(SourcedBody::Fetched { bytes, offset, length }) => {
                    builder.body(ResponseBody::Body(crate::flow::origin::part(&bytes, offset, length)?.to_vec()))
                }
                // The flow reads a remote original before answering with it (`flow::original`).
                Body::Stored(SourcedBody::Remote { source, .. }) => {
                    return Err(crate::error::Error::Internal(format!("a remote original was not read: {source}")))
                }
                _ => builder.empty(),
            }
        }
    };
    if let Some(key) = cache_as {
        store_later(ctx, key, &mut response)?;
    }
    Ok(if head_only { without_body(response) } else { response })
}

/// HEAD: GET's status and headers, no body.
fn without_body(resp: Response) -> Response {
    let status = resp.status_code();
    let headers = resp.headers().clone();
    Response::builder().with_status(status).with_headers(headers).empty()
}

fn set_all(target: &Headers, headers: &[(&'static str, String)]) -> Result<()> {
    for (name, value) in headers {
        target.set(name, value).map_err(upstream)?;
    }
    Ok(())
}

/// Adds one header, copying the headers first (a cached response's are immutable).
pub fn with_header(resp: Response, name: &str, value: &str) -> Response {
    let headers = resp.headers().clone();
    let _ = headers.set(name, value);
    resp.with_headers(headers)
}
