//! The flow's ports in memory, for native tests: a store that records every call with the
//! (virtual) time it started, delays each by a fixed latency and fails on demand; a cache whose
//! remembered metadata expires on the same clock; a clock on tokio's paused time. The harness
//! that plays the adapter's part is `world.rs`.

use crate::error::{Error, Result};
use crate::flow::ports::{Cache, Clock, CodecHost, Later, Meta, OnlyIf, PutMeta, RequestBody, Store, Stored};
use crate::http::range::Ranged;
use crate::pipeline::codecs::port::{LosslessWebp, PictureDecoder, WebpEncoder};
use futures_util::future::LocalBoxFuture;
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;
use tokio::time::{sleep, Duration, Instant};

/// Every store call and body outcome, in order: `(ms since the world began, "op key")`.
pub type Log = Rc<RefCell<Vec<(u64, String)>>>;

pub struct MemoryStore {
    objects: RefCell<HashMap<String, (Meta, Vec<u8>)>>,
    latency: Duration,
    /// Operations (`head`, `get`, `put`) that fail, with the key prefix they fail for.
    failing: RefCell<Vec<(&'static str, String)>>,
    /// Operations that never answer (an hour of virtual time), with their key prefix.
    stalling: RefCell<Vec<(&'static str, String)>>,
    /// Random faults: (one in how many calls fails, one in how many stalls, the generator's state).
    random: Cell<Option<(u64, u64, u64)>>,
    log: Log,
    epoch: Instant,
    version: Cell<u64>,
}

/// A body that logs whether it was read or dropped unread (cancelled).
pub struct MemoryBody {
    key: String,
    bytes: Option<Vec<u8>>,
    log: Log,
    epoch: Instant,
}

impl Drop for MemoryBody {
    fn drop(&mut self) {
        if self.bytes.is_some() {
            self.log.borrow_mut().push((ms(self.epoch), format!("cancel {}", self.key)));
        }
    }
}

pub fn ms(epoch: Instant) -> u64 {
    epoch.elapsed().as_millis() as u64
}

impl MemoryStore {
    pub fn new(latency_ms: u64, log: Log, epoch: Instant) -> MemoryStore {
        MemoryStore {
            objects: RefCell::default(),
            latency: Duration::from_millis(latency_ms),
            failing: RefCell::default(),
            stalling: RefCell::default(),
            random: Cell::new(None),
            log,
            epoch,
            version: Cell::new(0),
        }
    }

    /// Stores an object as an upload would: a new etag every time.
    pub fn insert(&self, key: &str, bytes: Vec<u8>, content_type: Option<&str>, custom: HashMap<String, String>) {
        self.version.set(self.version.get() + 1);
        let etag = format!("v{}-{}", self.version.get(), bytes.len());
        let meta = Meta {
            size: bytes.len() as u64,
            http_etag: format!("\"{etag}\""),
            etag,
            uploaded_ms: 1_777_197_600_000 + self.version.get() * 1000,
            content_type: content_type.map(String::from),
            custom,
        };
        self.objects.borrow_mut().insert(key.into(), (meta, bytes));
    }

    /// From now on, `op` (`head`, `get`, `put`) fails for keys starting with `prefix`.
    pub fn fail(&self, op: &'static str, prefix: &str) {
        self.failing.borrow_mut().push((op, prefix.into()));
    }

    /// From now on, `op` never answers for keys starting with `prefix`.
    pub fn stall(&self, op: &'static str, prefix: &str) {
        self.stalling.borrow_mut().push((op, prefix.into()));
    }

    /// From now on, one call in `fail_every` fails and one in `stall_every` stalls, at random
    /// (a fixed seed: the same run every time).
    pub fn faults(&self, fail_every: u64, stall_every: u64, seed: u64) {
        self.random.set(Some((fail_every, stall_every, seed)));
    }

    pub fn heal(&self) {
        self.random.set(None);
        self.stalling.borrow_mut().clear();
        self.failing.borrow_mut().clear();
    }

    /// Deletes an object, as a client of the bucket would.
    pub fn remove(&self, key: &str) {
        self.objects.borrow_mut().remove(key);
    }

    /// The keys under `prefix`, read without a store call.
    pub fn keys(&self, prefix: &str) -> Vec<String> {
        self.objects.borrow().keys().filter(|k| k.starts_with(prefix)).cloned().collect()
    }

    /// The stored bytes under `key`, read without a store call.
    pub fn bytes(&self, key: &str) -> Option<Vec<u8>> {
        self.objects.borrow().get(key).map(|(_, b)| b.clone())
    }

    pub fn meta(&self, key: &str) -> Option<Meta> {
        self.objects.borrow().get(key).map(|(m, _)| m.clone())
    }

    async fn call(&self, op: &'static str, key: &str) -> Result<()> {
        self.log.borrow_mut().push((ms(self.epoch), format!("{op} {key}")));
        let matches =
            |list: &RefCell<Vec<(&'static str, String)>>| list.borrow().iter().any(|(o, p)| *o == op && key.starts_with(p.as_str()));
        let (mut fail, mut stall) = (matches(&self.failing), matches(&self.stalling));
        if let Some((fail_every, stall_every, state)) = self.random.get() {
            // xorshift64: deterministic, and enough for picking calls.
            let mut x = state;
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            self.random.set(Some((fail_every, stall_every, x)));
            fail |= x % fail_every == 0;
            stall |= (x >> 20) % stall_every == 0;
        }
        if stall {
            sleep(Duration::from_secs(3600)).await;
        }
        sleep(self.latency).await;
        if fail {
            return Err(Error::Upstream(format!("injected {op} failure")));
        }
        Ok(())
    }
}

impl Store for MemoryStore {
    type Body = MemoryBody;

    async fn head(&self, key: &str) -> Result<Option<Meta>> {
        self.call("head", key).await?;
        Ok(self.meta(key))
    }

    async fn get(&self, key: &str, range: Ranged) -> Result<Option<Stored<MemoryBody>>> {
        self.call("get", key).await?;
        let Some((meta, bytes)) = self.objects.borrow().get(key).cloned() else { return Ok(None) };
        let bytes = match range {
            // As R2: a range past the end is the store's error, never a panic.
            Ranged::Part { offset, length } => bytes
                .get(offset as usize..offset.saturating_add(length) as usize)
                .ok_or_else(|| Error::Upstream(format!("the range is past the end of {key}")))?
                .to_vec(),
            _ => bytes,
        };
        let body = MemoryBody { key: key.into(), bytes: Some(bytes), log: self.log.clone(), epoch: self.epoch };
        Ok(Some(Stored { meta, body }))
    }

    async fn read(&self, mut body: MemoryBody) -> Result<Vec<u8>> {
        self.log.borrow_mut().push((ms(self.epoch), format!("read {}", body.key)));
        Ok(body.bytes.take().unwrap_or_default())
    }

    async fn put(&self, key: &str, bytes: Vec<u8>, meta: PutMeta, only_if: OnlyIf) -> Result<Option<Meta>> {
        self.call("put", key).await?;
        let current = self.meta(key);
        let holds = match &only_if {
            OnlyIf::Always => true,
            OnlyIf::Absent => current.is_none(),
            OnlyIf::Present => current.is_some(),
            OnlyIf::EtagIs(etag) => current.is_some_and(|m| &m.etag == etag),
        };
        if !holds {
            return Ok(None);
        }
        self.insert(key, bytes, Some(&meta.content_type), meta.custom.into_iter().collect());
        Ok(self.meta(key))
    }

    async fn list(&self, prefix: &str, start_after: Option<&str>, max: usize) -> Result<Vec<String>> {
        self.call("list", prefix).await?;
        let after = |k: &String| start_after.is_none_or(|s| k.as_str() > s);
        let mut keys: Vec<String> = self.objects.borrow().keys().filter(|k| k.starts_with(prefix) && after(k)).cloned().collect();
        keys.sort();
        keys.truncate(max);
        Ok(keys)
    }

    async fn delete(&self, keys: Vec<String>) -> Result<()> {
        self.call("delete", &keys.join(" ")).await?;
        for key in keys {
            self.objects.borrow_mut().remove(&key);
        }
        Ok(())
    }
}

/// A response as the client gets it (and as the cache keeps it).
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }
}

/// This data centre's cache: responses, and originals' metadata that expires.
#[derive(Default)]
pub struct MemoryCache {
    pub responses: RefCell<HashMap<String, Response>>,
    remembered: RefCell<HashMap<String, (Option<Meta>, Instant)>>,
    failing: Cell<bool>,
}

impl MemoryCache {
    /// From now on, lookups fail.
    pub fn fail(&self) {
        self.failing.set(true);
    }

    /// Forgets every response, as an eviction or another data centre would.
    pub fn evict(&self) {
        self.responses.borrow_mut().clear();
    }

    fn check(&self) -> Result<()> {
        match self.failing.get() {
            true => Err(Error::Upstream("injected cache failure".into())),
            false => Ok(()),
        }
    }
}

/// The cache is in the same data centre: no latency.
impl Cache for MemoryCache {
    type Entry = Response;

    async fn lookup(&self, key: &str) -> Result<Option<Response>> {
        self.check()?;
        Ok(self.responses.borrow().get(key).cloned())
    }

    fn header(&self, entry: &Response, name: &str) -> Option<String> {
        entry.header(name).map(String::from)
    }

    async fn remembered(&self, key: &str) -> Result<Option<Option<Meta>>> {
        self.check()?;
        Ok(self.remembered.borrow().get(key).filter(|(_, until)| Instant::now() < *until).map(|(m, _)| m.clone()))
    }

    async fn remember(&self, key: &str, meta: Option<&Meta>, ttl_s: u32) -> Result<()> {
        let until = Instant::now() + Duration::from_secs(ttl_s as u64);
        self.remembered.borrow_mut().insert(key.into(), (meta.cloned(), until));
        Ok(())
    }

    async fn forget(&self, key: &str) -> Result<()> {
        self.responses.borrow_mut().remove(key);
        self.remembered.borrow_mut().remove(key);
        Ok(())
    }
}

/// Unix time in milliseconds when a world begins (2026-04-26), for signature expiry.
pub const UNIX_START_MS: f64 = 1_777_197_600_000.0;

/// Tokio's paused clock: only sleeps advance it, as only I/O advances a deployed Worker's clock.
pub struct PausedClock(pub Instant);

impl PausedClock {
    pub fn new() -> PausedClock {
        PausedClock(Instant::now())
    }
}

impl Clock for PausedClock {
    fn now_ms(&self) -> f64 {
        UNIX_START_MS + self.0.elapsed().as_secs_f64() * 1000.0
    }

    fn sleep(&self, ms: u32) -> LocalBoxFuture<'static, ()> {
        Box::pin(sleep(Duration::from_millis(ms as u64)))
    }
}

/// Work after the response, run by the harness once the reply is turned into a response.
#[derive(Default)]
pub struct Deferred {
    pub work: RefCell<Vec<LocalBoxFuture<'static, std::result::Result<(), String>>>>,
    pub failures: RefCell<Vec<String>>,
}

impl Later for Deferred {
    fn after_response(&self, work: LocalBoxFuture<'static, std::result::Result<(), String>>) {
        self.work.borrow_mut().push(work);
    }
}

/// The codecs a native build has: `image`'s lossless WebP, no HEIF decoder.
pub struct Lossless;

impl CodecHost for Lossless {
    fn webp(&self) -> LocalBoxFuture<'_, Result<Rc<dyn WebpEncoder>>> {
        Box::pin(async { Ok(Rc::new(LosslessWebp) as Rc<dyn WebpEncoder>) })
    }

    fn av1(&self) -> Option<&dyn PictureDecoder> {
        None
    }

    fn hevc(&self) -> Option<&dyn PictureDecoder> {
        None
    }
}

/// A body read once (an upload's, an origin's), refused past `max` as the adapter does.
pub struct OnceBody(pub RefCell<Option<Vec<u8>>>);

impl OnceBody {
    pub fn new(bytes: Vec<u8>) -> OnceBody {
        OnceBody(RefCell::new(Some(bytes)))
    }
}

impl RequestBody for OnceBody {
    fn read(&self, max: u64) -> LocalBoxFuture<'_, Result<Vec<u8>>> {
        let body = self.0.borrow_mut().take().unwrap_or_default();
        Box::pin(async move {
            match body.len() as u64 > max {
                true => Err(Error::TooLarge(format!("over {max} bytes"))),
                false => Ok(body),
            }
        })
    }
}
