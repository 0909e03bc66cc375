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
    match limiter.allow(&who(client)).await {
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

/// One more fetch from `ORIGIN_URL` for a client (a name R2 does not have), or a 429. A failing
/// binding lets it through, as for renders.
pub(crate) async fn admit_fetch(limit: &crate::flow::origin::ClientLimit) -> Result<()> {
    match limit.limiter.allow(&who(&limit.client)).await {
        Ok(false) => Err(Error::TooManyRequests(
            "this client asked for more originals from the origin than MISS_LIMITER allows".into(),
            RETRY_AFTER_S,
        )),
        _ => Ok(()),
    }
}

/// Whom an address counts for: an IPv4 address alone; an IPv6 address by its /64, since one
/// client is routinely given a whole /64 and could rotate through it.
fn who(client: &str) -> String {
    match client.trim().parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
        Ok(ip) => ip.to_string(),
        Err(_) => client.trim().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::who;

    #[test]
    fn an_ipv6_client_counts_by_its_slash_64() {
        assert_eq!(who("2001:db8:1:2:aaaa::1"), who("2001:db8:1:2:ffff:1:2:3"));
        assert_ne!(who("2001:db8:1:2::1"), who("2001:db8:1:3::1"));
        assert_eq!(who("198.51.100.7"), "198.51.100.7");
        assert_eq!(who("::ffff:198.51.100.7"), "198.51.100.7");
        assert_ne!(who("198.51.100.7"), who("198.51.100.8"));
    }
}
