//! What the origin's parts share: the origin and this isolate's knowledge of it ([`Behind`],
//! [`Copies`]), an outcome, and the bodies the store hands out.

use crate::config::{Limits, OriginSettings};
use crate::error::{Error, Result};
use crate::flow::bounded::Bounded;
use crate::flow::gate::Gate;
use crate::flow::ports::{Clock, Meta, Origin};
use futures_util::future::{select, Either};
use std::cell::RefCell;
use std::collections::HashMap;
use std::pin::pin;
use std::rc::Rc;

/// The origin, and what this isolate knows of it.
#[derive(Clone)]
pub struct Behind {
    pub origin: Rc<dyn Origin>,
    pub clock: Rc<dyn Clock>,
    pub settings: OriginSettings,
    pub copies: Rc<Copies>,
    /// An origin's body is held in memory while it is read and copied: it takes its share of
    /// the isolate's in-flight budget, as an upload does.
    pub gate: &'static Gate,
    pub limits: Limits,
    /// `MISS_LIMITER` and the client asking: an `ORIGIN_URL` fetch is one of its renders, asked
    /// before the fetch, so a flood of names R2 does not have reaches the origin boundedly.
    pub client_limit: Option<ClientLimit>,
}

/// The Rate Limiting binding and whom to count.
#[derive(Clone)]
pub struct ClientLimit {
    pub limiter: Rc<dyn crate::flow::ports::Limiter>,
    pub client: String,
}

impl ClientLimit {
    /// One more fetch from `ORIGIN_URL` for this client (a name R2 does not have), or a 429. A
    /// failing binding lets it through, as for renders.
    pub async fn admit(&self) -> Result<()> {
        match self.limiter.allow(&who(&self.client)).await {
            Ok(false) => Err(Error::TooManyRequests(
                "this client asked for more originals from the origin than MISS_LIMITER allows".into(),
                crate::flow::ports::LIMITED_RETRY_AFTER_S,
            )),
            _ => Ok(()),
        }
    }
}

/// Whom an address counts for: an IPv4 address alone; an IPv6 address by its /64, since one
/// client is routinely given a whole /64 and could rotate through it.
pub fn who(client: &str) -> String {
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

/// This isolate's fetches from the origin: those under way (as many as requests in flight), and,
/// bounded in bytes, the keys refused lately and what remote originals said of themselves.
pub struct Copies {
    pub(super) under_way: RefCell<HashMap<String, Rc<Pending>>>,
    /// Until when, and why.
    pub(super) refused: RefCell<Bounded<(f64, Error)>>,
    /// Remote originals' metadata, while it is fresh.
    pub(super) known: RefCell<Bounded<Known>>,
}

impl Default for Copies {
    fn default() -> Self {
        Copies {
            under_way: RefCell::default(),
            refused: RefCell::new(Bounded::new(MAX_REMEMBERED_BYTES, |(_, e): &(f64, Error)| e.message().len())),
            known: RefCell::new(Bounded::new(MAX_REMEMBERED_BYTES, Known::weight)),
        }
    }
}

impl Copies {
    /// The bytes remembered now (refusals and remote metadata), by the bounds' count.
    pub fn remembered_bytes(&self) -> usize {
        self.refused.borrow().bytes() + self.known.borrow().bytes()
    }
}

/// A fetch under way: its outcome, once the request that makes it has it.
#[derive(Default)]
pub struct Pending(pub RefCell<Option<Outcome>>);

/// At most this many bytes of refusals, and as many of remote metadata, are remembered; past
/// it, the expired ones are dropped, then all.
pub const MAX_REMEMBERED_BYTES: usize = 1 << 20;

pub type Outcome = Result<Rc<Found>>;

/// An original the origin had.
pub struct Found {
    /// R2's metadata once copied; else made from the origin's answer.
    pub meta: Meta,
    /// The bytes, when they were not copied (`ORIGIN_COPY=false`, or R2 is served instead).
    pub bytes: Option<Rc<Vec<u8>>>,
}

/// A remote original's metadata and when it must be asked again.
pub struct Known {
    pub meta: Meta,
    pub fresh_until_ms: f64,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

impl Known {
    /// The heap bytes it holds: the origin's headers are as long as the origin makes them.
    fn weight(&self) -> usize {
        let text = |s: &Option<String>| s.as_ref().map_or(0, String::len);
        let meta = &self.meta;
        let custom: usize = meta.custom.iter().map(|(k, v)| k.len() + v.len() + 48).sum();
        meta.etag.len() + meta.http_etag.len() + text(&meta.content_type) + custom + text(&self.etag) + text(&self.last_modified)
    }
}

/// A body from R2, or one the origin just sent and R2 does not keep.
pub enum SourcedBody<B> {
    Stored(B),
    Fetched {
        bytes: Rc<Vec<u8>>,
        offset: usize,
        length: usize,
    },
    /// A remote original whose metadata is fresh, not fetched until it is read (a persisted
    /// variant or a 304 may answer first): read it with `Store::read`, never stream it.
    Remote {
        source: String,
        etag: String,
    },
}

impl<B> SourcedBody<B> {
    /// `length` bytes of `bytes` from `offset`, checked: the numbers come from a range header
    /// planned on some size, the bytes from an origin, and the two must agree (else 502).
    pub fn fetched(bytes: Rc<Vec<u8>>, offset: usize, length: usize) -> Result<SourcedBody<B>> {
        match offset.checked_add(length) {
            Some(end) if end <= bytes.len() => Ok(SourcedBody::Fetched { bytes, offset, length }),
            _ => Err(Error::Upstream(format!(
                "the origin's original changed while it was read ({} bytes, a range of {length} from {offset} planned)",
                bytes.len()
            ))),
        }
    }
}

/// The part of fetched bytes a body holds (checked when it was made, checked again here).
pub fn part(bytes: &[u8], offset: usize, length: usize) -> Result<&[u8]> {
    offset
        .checked_add(length)
        .and_then(|end| bytes.get(offset..end))
        .ok_or_else(|| Error::Internal(format!("a part of {length} bytes from {offset} of a {}-byte body", bytes.len())))
}

/// How long one call to the store may take (`R2_TIMEOUT_MS`), on the flow's clock; none unbounded.
#[derive(Clone, Default)]
pub struct Deadline(pub Option<(Rc<dyn Clock>, u32)>);

impl Deadline {
    /// `work`, or a failure (502, as a failing store) once the time is up.
    pub async fn within<T>(&self, op: &str, work: impl std::future::Future<Output = Result<T>>) -> Result<T> {
        let Some((clock, ms)) = &self.0 else { return work.await };
        match select(pin!(work), clock.sleep(*ms)).await {
            Either::Left((done, _)) => done,
            Either::Right(_) => Err(Error::Upstream(format!("R2 did not answer a {op} within {ms} ms (R2_TIMEOUT_MS)"))),
        }
    }
}
