//! Per-client cost bounds (`MISS_LIMITER`, the Rate Limiting binding): beside each original's
//! render budget ([`crate::flow::budget`]), a client may make only so many new renders a period,
//! whatever originals it asks for. Only renders ask; hits, persisted variants and 304s never do.
//! Without the binding, or without the client's address, nothing is limited; a failing binding
//! lets the render through (it only spares work) and says so in the log.

use crate::error::{Error, Result};
use crate::flow::ports::{Cache, Store};
use crate::flow::Ports;
use crate::trace::Trace;

/// One more render for `client`, or a 429.
pub(in crate::flow) async fn admit_render<S: Store, C: Cache>(
    ports: &Ports<'_, S, C>,
    client: Option<&str>,
    trace: &mut Trace,
) -> Result<()> {
    let (Some(limiter), Some(client)) = (ports.limiter, client) else { return Ok(()) };
    match limiter.allow(&crate::flow::origin::who(client)).await {
        Ok(true) => Ok(()),
        Ok(false) => Err(Error::TooManyRequests(
            "this client asked for more new renders than MISS_LIMITER allows; cached images are still served".into(),
            crate::flow::ports::LIMITED_RETRY_AFTER_S,
        )),
        Err(e) => {
            trace.warnings.push(format!("MISS_LIMITER failed, rendering anyway: {e}"));
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::flow::origin::who;

    #[test]
    fn an_ipv6_client_counts_by_its_slash_64() {
        assert_eq!(who("2001:db8:1:2:aaaa::1"), who("2001:db8:1:2:ffff:1:2:3"));
        assert_ne!(who("2001:db8:1:2::1"), who("2001:db8:1:3::1"));
        assert_eq!(who("198.51.100.7"), "198.51.100.7");
        assert_eq!(who("::ffff:198.51.100.7"), "198.51.100.7");
        assert_ne!(who("198.51.100.7"), who("198.51.100.8"));
    }
}
