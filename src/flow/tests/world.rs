//! The harness: one isolate over the in-memory ports (`memory.rs`), playing the adapter's part:
//! it turns a reply into a response, fills the cache from `cache_as`, then runs the work after
//! the response.

use super::memory::{ms, Deferred, Log, Lossless, MemoryBody, MemoryCache, MemoryStore, OnceBody, PausedClock, Response};
use super::memory_origin::MemoryOrigin;
use crate::config::Config;
use crate::error::Result;
use crate::flow::gate::Gate;
use crate::flow::origin::{Behind, Copies, Sourced, SourcedBody};
use crate::flow::ports::Store;

use crate::flow::{serve, Method, Ports, Request};
use crate::http::reply::{Body, Reply};
use crate::trace::Trace;
use std::cell::Cell;
use std::collections::HashMap;
use std::rc::Rc;
use tokio::time::Instant;

/// One isolate: a bucket (originals, and variants under the prefix), a cache, the gate, and an
/// origin behind the bucket that is asked only when the configuration sets `ORIGIN_URL`.
pub struct World {
    pub store: Rc<MemoryStore>,
    pub origin: Rc<MemoryOrigin>,
    /// This isolate's fetches from the origin.
    pub copies: Rc<Copies>,
    pub cache: Rc<MemoryCache>,
    checks: Rc<crate::flow::freshness::Checks>,
    pub later: Deferred,
    pub gate: &'static Gate,
    /// This isolate's renders per original (`RENDER_BUDGET`).
    pub renders: crate::flow::renders::Renders,
    pub config: Result<Config>,
    /// `MISS_LIMITER`, when a test binds one.
    pub limiter: Option<Rc<CountingLimiter>>,
    pub log: Log,
    epoch: Instant,
    clock: PausedClock,
    answered: Cell<u64>,
}

impl World {
    /// Every store call takes `latency_ms` (virtual: tests run on tokio's paused clock).
    pub fn new(latency_ms: u64, config: Config) -> World {
        let epoch = Instant::now();
        let log = Log::default();
        let store = Rc::new(MemoryStore::new(latency_ms, log.clone(), epoch));
        let origin = Rc::new(MemoryOrigin::new(latency_ms, log.clone(), epoch));
        World::isolate(store, origin, Ok(config), log, epoch)
    }

    /// Another data centre: the same bucket (and origin) and clock, its own cache and isolate.
    pub fn beside(&self) -> World {
        World::isolate(self.store.clone(), self.origin.clone(), self.config.clone(), self.log.clone(), self.epoch)
    }

    /// A fresh isolate and cache in front of `store`.
    fn isolate(store: Rc<MemoryStore>, origin: Rc<MemoryOrigin>, config: Result<Config>, log: Log, epoch: Instant) -> World {
        World {
            store,
            origin,
            copies: Rc::default(),
            cache: Rc::default(),
            checks: Rc::default(),
            later: Deferred::default(),
            // The adapter's gate lives as long as the isolate.
            gate: Box::leak(Box::default()),
            renders: Default::default(),
            config,
            limiter: None,
            log,
            epoch,
            clock: PausedClock(epoch),
            answered: Cell::new(0),
        }
    }

    pub fn put(&self, key: &str, bytes: Vec<u8>, content_type: &str) {
        self.store.insert(key, bytes, Some(content_type), HashMap::new());
    }

    pub async fn get(&self, url: &str) -> (Response, Trace) {
        self.send(request(url)).await
    }

    pub async fn send(&self, req: Request) -> (Response, Trace) {
        self.send_body(req, Vec::new()).await
    }

    /// Serves one request as the adapter would: the reply becomes a response, a copy goes into
    /// the cache when the reply asks, then the work after the response runs.
    /// A body's `Content-Length` is sent as clients do, unless the request gives its own.
    pub async fn send_body(&self, mut req: Request, body: Vec<u8>) -> (Response, Trace) {
        if req.content_length.is_none() && !body.is_empty() {
            req.content_length = Some(body.len() as u64);
        }
        let body = OnceBody::new(body);
        let mut trace = Trace::default();
        let ports = self.ports(req.client.clone());
        let reply = serve(&req, &body, &self.config, &ports, &mut trace).await;
        let response = self.respond(reply).await;
        self.answered.set(self.now());
        let work: Vec<_> = self.later.work.borrow_mut().drain(..).collect();
        for w in work {
            if let Err(message) = w.await {
                self.later.failures.borrow_mut().push(message);
            }
        }
        (response, trace)
    }

    /// The isolate's ports, as the adapter makes them for each request.
    fn ports(&self, client: Option<String>) -> Ports<'_, Sourced<MemoryStore>, MemoryCache> {
        let limiter = self.limiter.clone().map(|l| l as Rc<dyn crate::flow::ports::Limiter>);
        let client_limit = limiter.zip(client).map(|(limiter, client)| crate::flow::origin::ClientLimit { limiter, client });
        let timeout = self.config.as_ref().map_or(5000, |c| c.http.r2_timeout_ms);
        let behind = self.config.as_ref().ok().map(|config| Behind {
            origin: self.origin.clone(),
            clock: Rc::new(PausedClock(self.epoch)),
            settings: config.origin.clone(),
            copies: self.copies.clone(),
            gate: self.gate,
            limits: config.pipeline.limits,
            client_limit: client_limit.clone(),
        });
        Ports {
            originals: Rc::new(Sourced::new(self.store.clone(), behind).bounded(Rc::new(PausedClock(self.epoch)), timeout)),
            variants: Rc::new(Sourced::plain(self.store.clone()).bounded(Rc::new(PausedClock(self.epoch)), timeout)),
            cache: self.cache.clone(),
            clock: &self.clock,
            later: &self.later,
            codecs: &Lossless,
            gate: self.gate,
            renders: &self.renders,
            checks: self.checks.clone(),
            limiter: self.limiter.as_deref().map(|l| l as &dyn crate::flow::ports::Limiter),
        }
    }

    /// Delivers one queue message (an R2 event notification) to the eager-variant consumer.
    pub async fn eager(&self, action: &str, key: &str) -> Result<crate::flow::eager::Outcome> {
        let event = crate::flow::eager::R2Event { action: action.into(), object: crate::flow::eager::R2Object { key: key.into() } };
        let ports = self.ports(None);
        let config = self.config.as_ref().map_err(Clone::clone)?;
        crate::flow::eager::handle(&event, config, &ports).await
    }

    async fn respond(&self, reply: Reply<SourcedBody<MemoryBody>, Response>) -> Response {
        let Reply { status, headers, body, cache_as, head_only } = reply;
        let own: Vec<(String, String)> = headers.into_iter().map(|(n, v)| (n.to_string(), v)).collect();
        let mut response = match body {
            Body::Cached(mut cached) => {
                for (name, value) in own {
                    cached.headers.retain(|(n, _)| *n != name);
                    cached.headers.push((name, value));
                }
                cached
            }
            Body::Bytes(bytes) => Response { status, headers: own, body: bytes },
            Body::Stored(SourcedBody::Stored(stored)) => Response { status, headers: own, body: self.store.read(stored).await.unwrap() },
            Body::Stored(SourcedBody::Fetched { bytes, offset, length }) => {
                Response { status, headers: own, body: crate::flow::origin::part(&bytes, offset, length).unwrap().to_vec() }
            }
            Body::Stored(SourcedBody::Remote { source, .. }) => panic!("a remote original was answered unread: {source}"),
            Body::Empty => Response { status, headers: own, body: Vec::new() },
        };
        if let Some(key) = cache_as {
            self.cache.responses.borrow_mut().insert(key, response.clone());
        }
        if head_only {
            response.body.clear();
        }
        response
    }

    /// The store calls made since the world began (or since the last `clear_log`).
    pub fn calls(&self) -> Vec<(u64, String)> {
        self.log.borrow().clone()
    }

    pub fn clear_log(&self) {
        self.log.borrow_mut().clear();
    }

    /// When the last response was ready (before the work after it), in [`World::now`]'s time.
    pub fn answered(&self) -> u64 {
        self.answered.get()
    }

    /// Milliseconds of virtual time since the world began.
    pub fn now(&self) -> u64 {
        ms(self.epoch)
    }
}

/// A GET of `url` (path and query) from a client that sends no special headers.
pub fn request(url: &str) -> Request {
    let (path, query) = match url.split_once('?') {
        Some((p, q)) => (p.to_string(), Some(q.to_string())),
        None => (url.to_string(), None),
    };
    Request { method: Method::Get, origin: "https://images.example".into(), path, query, ..Request::default() }
}

/// `MISS_LIMITER` as the binding counts: `limit` renders per client, then refusals; every ask kept.
#[derive(Default)]
pub struct CountingLimiter {
    pub limit: u32,
    pub asked: std::cell::RefCell<HashMap<String, u32>>,
}

impl crate::flow::ports::Limiter for CountingLimiter {
    fn allow<'a>(&'a self, client: &'a str) -> futures_util::future::LocalBoxFuture<'a, Result<bool>> {
        let mut asked = self.asked.borrow_mut();
        let n = asked.entry(client.to_string()).or_default();
        *n += 1;
        let allowed = *n <= self.limit;
        Box::pin(async move { Ok(allowed) })
    }
}
