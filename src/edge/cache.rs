//! The Cache API as the flow's [`Cache`] (per data centre; inert on *.workers.dev, live on custom
//! domains, Miniflare and `wrangler dev`). Writes happen in `wait_until`, after the client has its
//! response.

use super::upstream;
use crate::error::Result;
use crate::flow::ports::Cache;
use worker::{Context, Response};

pub struct CacheApi;

impl Cache for CacheApi {
    type Entry = Response;

    async fn lookup(&self, key: &str) -> Result<Option<Response>> {
        worker::Cache::default().get(key, false).await.map_err(upstream)
    }

    fn etag(&self, entry: &Response) -> Option<String> {
        entry.headers().get("etag").ok().flatten()
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
