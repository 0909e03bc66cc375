//! The Rate Limiting binding as the flow's [`Limiter`]: new renders per client.

use crate::error::Result;
use crate::flow::ports::Limiter;
use futures_util::future::LocalBoxFuture;
use worker::RateLimiter;

/// The binding's name in `wrangler.toml` (`[[unsafe.bindings]] type = "ratelimit"`).
pub const BINDING: &str = "MISS_LIMITER";

pub struct Binding(pub RateLimiter);

impl Limiter for Binding {
    fn allow<'a>(&'a self, client: &'a str) -> LocalBoxFuture<'a, Result<bool>> {
        Box::pin(async move { Ok(self.0.limit(client.to_string()).await.map_err(super::upstream)?.success) })
    }
}
