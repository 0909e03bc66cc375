//! Per-client cost bounds (`MISS_LIMITER`, the Rate Limiting binding): beside each original's
//! render budget ([`super::budget`]), a client may make only so many new renders a period,
//! whatever originals it asks for. Only renders ask; hits, persisted variants and 304s never do.
//! Without the binding, or without the client's address, nothing is limited; a failing binding
//! lets the render through (it only spares work) and says so in the log.

use super::Ports;
use crate::error::{Error, Result};
use crate::flow::ports::{Cache, Store};
use crate::trace::Trace;

/// What a refused client is told to wait: the binding's longest period (set it to 60 s).
pub const RETRY_AFTER_S: u32 = 60;

/// One more render for `client`, or a 429.
pub(super) async fn admit_render<S: Store, C: Cache>(ports: &Ports<'_, S, C>, client: Option<&str>, trace: &mut Trace) -> Result<()> {
    let (Some(limiter), Some(client)) = (ports.limiter, client) else { return Ok(()) };
    match limiter.allow(client).await {
        Ok(true) => Ok(()),
        Ok(false) => Err(Error::TooManyRequests(
            "this client asked for more new renders than MISS_LIMITER allows; cached images are still served".into(),
            RETRY_AFTER_S,
        )),
        Err(e) => {
            trace.warnings.push(format!("MISS_LIMITER failed, rendering anyway: {e}"));
            Ok(())
        }
    }
}
