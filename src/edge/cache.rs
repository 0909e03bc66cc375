//! The Cache API (per data centre; inert on *.workers.dev, live on custom domains, miniflare and
//! `wrangler dev`). Writes happen in `wait_until`, after the client has its response.

use super::upstream;
use crate::error::Result;
use worker::{Cache, Context, Response};

pub async fn lookup(key: &str) -> Result<Option<Response>> {
    Cache::default().get(key, false).await.map_err(upstream)
}

/// Stores a copy of `response` under `key` once the response is on its way.
pub fn store_later(ctx: &Context, key: String, response: &mut Response) -> Result<()> {
    let copy = response.cloned().map_err(upstream)?;
    ctx.wait_until(async move {
        if let Err(e) = Cache::default().put(key.as_str(), copy).await {
            worker::console_error!("cache put failed for {key}: {e}");
        }
    });
    Ok(())
}
