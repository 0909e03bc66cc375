//! The Cache API as the flow's [`Cache`] (per data centre; inert on *.workers.dev, live on custom
//! domains, Miniflare and `wrangler dev`). Response writes happen in `wait_until`, after the client
//! has its response. An original's remembered metadata is an empty response whose headers hold
//! it, with `Cache-Control: max-age` set to the window, which the Cache API honours.

use super::upstream;
use crate::error::Result;
use crate::flow::ports::{Cache, Meta};
use worker::{Context, Headers, Response};

pub struct CacheApi;

const ETAG: &str = "x-original-etag";
const SIZE: &str = "x-original-size";
const UPLOADED: &str = "x-original-uploaded";
const TYPE: &str = "x-original-type";
const ABSENT: &str = "x-original-absent";

impl Cache for CacheApi {
    type Entry = Response;

    async fn lookup(&self, key: &str) -> Result<Option<Response>> {
        worker::Cache::default().get(key, false).await.map_err(upstream)
    }

    fn header(&self, entry: &Response, name: &str) -> Option<String> {
        entry.headers().get(name).ok().flatten()
    }

    async fn remembered(&self, key: &str) -> Result<Option<Option<Meta>>> {
        let Some(marker) = worker::Cache::default().get(key, false).await.map_err(upstream)? else { return Ok(None) };
        let header = |name: &str| marker.headers().get(name).ok().flatten();
        if header(ABSENT).is_some() {
            return Ok(Some(None));
        }
        let (Some(etag), Some(size), Some(uploaded)) = (header(ETAG), header(SIZE), header(UPLOADED)) else { return Ok(None) };
        Ok(Some(Some(Meta {
            size: size.parse().unwrap_or(0),
            http_etag: format!("\"{etag}\""),
            etag,
            uploaded_ms: uploaded.parse().unwrap_or(0),
            content_type: header(TYPE),
            custom: Default::default(),
        })))
    }

    async fn remember(&self, key: &str, meta: Option<&Meta>, ttl_s: u32) -> Result<()> {
        let headers = Headers::new();
        let set = |name: &str, value: &str| headers.set(name, value).map_err(upstream);
        set("cache-control", &format!("max-age={ttl_s}"))?;
        match meta {
            None => set(ABSENT, "1")?,
            Some(meta) => {
                set(ETAG, &meta.etag)?;
                set(SIZE, &meta.size.to_string())?;
                set(UPLOADED, &meta.uploaded_ms.to_string())?;
                if let Some(content_type) = &meta.content_type {
                    set(TYPE, content_type)?;
                }
            }
        }
        let marker = Response::builder().with_status(200).with_headers(headers).empty();
        worker::Cache::default().put(key, marker).await.map_err(upstream)
    }

    async fn forget(&self, key: &str) -> Result<()> {
        worker::Cache::default().delete(key, false).await.map_err(upstream)?;
        Ok(())
    }
}

/// Stores a copy of `response` under `key` once the response is on its way.
pub fn store_later(ctx: &Context, key: String, response: &mut Response) -> Result<()> {
    let copy = response.cloned().map_err(upstream)?;
    ctx.wait_until(async move {
        if let Err(e) = worker::Cache::default().put(key.as_str(), copy).await {
            worker::console_error!("cache put failed for {key}: {e}");
        }
    });
    Ok(())
}
