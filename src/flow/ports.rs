//! What the flow needs from the platform, as small traits: the adapter (`edge/`) implements
//! them over R2, the Cache API, `Date.now()`, `ctx.waitUntil` and the wasm codecs; the native tests over
//! memory, with delays and failures on demand.

use crate::error::Result;
use crate::http::range::Ranged;
use crate::pipeline::codecs::port::{LosslessWebp, PictureDecoder, WebpEncoder};
use crate::pipeline::Codecs;
use futures_util::future::LocalBoxFuture;
use std::collections::HashMap;
use std::rc::Rc;

/// What a store knows of an object without its body.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Meta {
    pub size: u64,
    /// The store's own version tag (R2's `etag`, unquoted).
    pub etag: String,
    /// The same, quoted as an HTTP ETag (R2's `httpEtag`).
    pub http_etag: String,
    /// Upload time, milliseconds since the epoch.
    pub uploaded_ms: u64,
    /// The stored `Content-Type`, if the uploader set one.
    pub content_type: Option<String>,
    pub custom: HashMap<String, String>,
}

/// An object with its body.
pub struct Stored<B> {
    pub meta: Meta,
    pub body: B,
}

/// When a write may happen (R2's `onlyIf`, checked atomically by the store).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum OnlyIf {
    #[default]
    Always,
    /// `If-None-Match: *`: only if nothing is stored under the key.
    Absent,
    /// `If-Match: *`: only if something is stored under the key.
    Present,
    /// `If-Match`: only if the stored object has this etag (unquoted).
    EtagIs(String),
}

/// What a write records beside the bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PutMeta {
    pub content_type: String,
    pub custom: Vec<(String, String)>,
}

/// An object store (R2). Reads never write; the flow writes only persisted variants.
#[allow(async_fn_in_trait)] // single-threaded: neither the worker nor the tests need Send futures
pub trait Store {
    /// A body not read yet. Dropping it unread tells the store to stop sending it, so a body
    /// asked for early (before we know it is needed) costs nothing when it is not.
    type Body;

    async fn head(&self, key: &str) -> Result<Option<Meta>>;
    /// The object, or only `range`'s bytes of it when that is a part.
    async fn get(&self, key: &str, range: Ranged) -> Result<Option<Stored<Self::Body>>>;
    /// The object with only the part `plan` picks, planned on the same object it is cut from
    /// (`plan` sees its metadata), and that part; `None` when nothing is stored. Here: the
    /// metadata, then the part (the store cuts it). A store that fetches whole bodies from
    /// elsewhere cuts the part out of the very bytes it planned on, never a second fetch.
    async fn get_part(&self, key: &str, plan: &dyn Fn(&Meta) -> Ranged) -> Result<Option<(Stored<Self::Body>, Ranged)>> {
        let Some(meta) = self.head(key).await? else { return Ok(None) };
        let ranged = plan(&meta);
        let range = if matches!(ranged, Ranged::Part { .. }) { ranged } else { Ranged::Whole };
        Ok(self.get(key, range).await?.map(|stored| (stored, ranged)))
    }
    /// The whole body, copied once into wasm memory.
    async fn read(&self, body: Self::Body) -> Result<Vec<u8>>;
    /// Writes the object whole or not at all; `None` when `only_if` did not hold (nothing written).
    async fn put(&self, key: &str, bytes: Vec<u8>, meta: PutMeta, only_if: OnlyIf) -> Result<Option<Meta>>;
    /// The first `max` keys (in key order) that start with `prefix` and, with `start_after`,
    /// come after it.
    async fn list(&self, prefix: &str, start_after: Option<&str>, max: usize) -> Result<Vec<String>>;
    async fn delete(&self, keys: Vec<String>) -> Result<()>;
}

/// A response cache in this data centre (the Cache API). Filling it with responses is the
/// adapter's part: a [`Reply`] names the key in `cache_as`, and the adapter stores a copy once the
/// response is on its way. It also remembers what R2 said about an original, for a while, so
/// that a cache hit need not ask R2 again (`MAX_STALE_S`).
///
/// [`Reply`]: crate::http::reply::Reply
#[allow(async_fn_in_trait)]
pub trait Cache {
    /// A cached response.
    type Entry;

    async fn lookup(&self, key: &str) -> Result<Option<Self::Entry>>;
    /// One of a cached response's headers (`etag`, `last-modified`).
    fn header(&self, entry: &Self::Entry, name: &str) -> Option<String>;
    /// What is remembered of an original under `key`, while it has not expired: `Some(None)`
    /// when it is remembered as absent (deleted).
    async fn remembered(&self, key: &str) -> Result<Option<Option<Meta>>>;
    /// Remembers `meta` (`None`: the original is absent) under `key` for `ttl_s` seconds.
    async fn remember(&self, key: &str, meta: Option<&Meta>, ttl_s: u32) -> Result<()>;
    /// Drops whatever is under `key` (a stale response, or remembered metadata).
    async fn forget(&self, key: &str) -> Result<()>;
}

/// Time, owned by the platform (deployed Workers advance it only across I/O).
pub trait Clock {
    fn now_ms(&self) -> f64;
    fn sleep(&self, ms: u32) -> LocalBoxFuture<'static, ()>;
}

/// Work that goes on after the response is sent (`ctx.waitUntil`). Nobody is left to answer
/// when it fails, so the platform logs the failure.
pub trait Later {
    fn after_response(&self, work: LocalBoxFuture<'static, std::result::Result<(), String>>);
}

/// A body that arrives as a stream: an upload's, an origin's answer.
pub trait RequestBody {
    /// The whole body; a 413 as soon as more than `max` bytes have come (never read whole first).
    fn read(&self, max: u64) -> LocalBoxFuture<'_, Result<Vec<u8>>>;
}

/// An HTTP server behind the store (`ORIGIN_URL`: the old bucket, a CDN, any web server).
pub trait Origin {
    /// One GET with these headers, redirects not followed (the flow decides which to follow);
    /// its body not read yet. A connection that fails is an `Upstream` error (502).
    fn get<'a>(&'a self, url: &'a str, headers: &'a [(String, String)]) -> LocalBoxFuture<'a, Result<OriginResponse>>;
}

/// An origin's answer, before its body is read.
pub struct OriginResponse {
    pub status: u16,
    /// Header names in lower case.
    pub headers: Vec<(String, String)>,
    pub body: Box<dyn RequestBody>,
}

impl OriginResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }
}

/// What a client refused by `MISS_LIMITER` is told to wait: the binding's longest period (set it
/// to 60 s).
pub const LIMITED_RETRY_AFTER_S: u32 = 60;

/// New renders per client (the Rate Limiting binding, `MISS_LIMITER`): whether `client` may have
/// one more in this period. Hits, persisted variants and 304s never ask.
pub trait Limiter {
    fn allow<'a>(&'a self, client: &'a str) -> LocalBoxFuture<'a, Result<bool>>;
}

/// The codecs that live outside Rust, each a wasm module of its own in the worker: one port.
/// What the pipeline gets of it is a [`Codecs`] (`codecs`, on `dyn CodecHost`).
pub trait CodecHost {
    /// libwebp's lossy encoder, made ready on first use (instantiated once per isolate).
    fn webp(&self) -> LocalBoxFuture<'_, Result<Rc<dyn WebpEncoder>>>;
    /// dav1d, for AVIF (a fresh instance per picture inside).
    fn av1(&self) -> Option<&dyn PictureDecoder>;
    /// libde265, for HEIC.
    fn hevc(&self) -> Option<&dyn PictureDecoder>;
}

impl dyn CodecHost + '_ {
    /// The codecs for one pipeline call: libwebp when `webp` is wanted (else `image`'s lossless
    /// encoder, never used for output), dav1d, and libde265 only when `heic` (`HEIC=true`).
    pub fn codecs<'a>(&'a self, webp: Option<&'a dyn WebpEncoder>, heic: bool) -> Codecs<'a> {
        Codecs { webp: webp.unwrap_or(&LosslessWebp), av1: self.av1(), hevc: if heic { self.hevc() } else { None } }
    }
}
