//! Originals from elsewhere, behind the originals' store. Those R2 does not have yet come from `ORIGIN_URL` (the old bucket, a CDN, any web
//! server), served on the same URL and copied into R2 as they are read, so a team can switch DNS
//! before its bucket is copied. [`Sourced`] is the originals' store with the origin behind it:
//! the flow does not know which answered, and `head` finds an original the origin has as `get`
//! does (R2 Sippy copies on `get` only).
//!
//! What holds: one fetch per key per isolate however many requests want it ([`once`]); an
//! original the origin does not have, or one we refuse, is remembered for `ORIGIN_MISS_TTL_S`;
//! the copy is written only where nothing is stored yet (R2's `onlyIf`), so an upload that came
//! meanwhile wins; the bytes in R2 are the origin's, unchanged.
//!
//! A key that is an absolute URL (`/cdn-cgi/image/…/https://…`, on `REMOTE_HOSTS`) is a remote
//! original ([`remote`]): fetched under the same rules, never written into R2, its metadata
//! trusted for its `Cache-Control` (at least `REMOTE_MIN_TTL_S`), then revalidated.

mod copy;
mod fetch;
mod once;
mod remote;
mod sigv4;
mod types;

use types::Deadline;
pub use types::{part, who, Behind, ClientLimit, Copies, SourcedBody, MAX_REMEMBERED_BYTES};

use super::ports::{Clock, Meta, OnlyIf, PutMeta, Store, Stored};
use crate::error::{Error, Result};
use crate::http::range::Ranged;
use std::rc::Rc;

/// The originals' store, with an origin behind it when `ORIGIN_URL` is set, and every call to
/// the store bounded in time when [`Sourced::bounded`].
pub struct Sourced<S> {
    inner: Rc<S>,
    behind: Option<Behind>,
    deadline: Deadline,
}

impl<S: Store> Sourced<S> {
    /// The store alone (the variants' store, or no `ORIGIN_URL`).
    pub fn plain(inner: Rc<S>) -> Sourced<S> {
        Sourced { inner, behind: None, deadline: Deadline::default() }
    }

    /// `behind` serves remote originals (absolute-URL keys), and keys R2 does not have when
    /// `ORIGIN_URL` is set.
    pub fn new(inner: Rc<S>, behind: Option<Behind>) -> Sourced<S> {
        Sourced { inner, behind, deadline: Deadline::default() }
    }

    /// Every call to the store (not a body being read) answers within `ms` or fails (502, as a
    /// failing store does), so a stalled bucket never holds a request longer (`R2_TIMEOUT_MS`).
    pub fn bounded(self, clock: Rc<dyn Clock>, ms: u32) -> Sourced<S> {
        Sourced { deadline: Deadline(Some((clock, ms))), ..self }
    }

    /// R2's object: the part planned on `meta`, cut by R2. An original replaced between the
    /// metadata and the cut is planned again on what the cut returned (once; a second change is
    /// a 502), so the headers always describe the bytes sent.
    async fn cut_stored(
        &self,
        key: &str,
        mut meta: Meta,
        plan: &dyn Fn(&Meta) -> Ranged,
    ) -> Result<Option<(Stored<SourcedBody<S::Body>>, Ranged)>> {
        for _ in 0..2 {
            let ranged = plan(&meta);
            let range = if matches!(ranged, Ranged::Part { .. }) { ranged } else { Ranged::Whole };
            let stored = match self.deadline.within("get", self.inner.get(key, range)).await {
                // A part past the end of a smaller replacement is R2's error: plan on the new one.
                Err(e) if range != Ranged::Whole => match self.deadline.within("head", self.inner.head(key)).await? {
                    Some(now) if now.etag != meta.etag => {
                        meta = now;
                        continue;
                    }
                    _ => return Err(e),
                },
                got => got?,
            };
            let Some(stored) = stored else { return Ok(None) };
            if stored.meta.etag == meta.etag || range == Ranged::Whole {
                return Ok(Some((Stored { meta: stored.meta, body: SourcedBody::Stored(stored.body) }, ranged)));
            }
            meta = stored.meta;
        }
        Err(Error::Upstream(format!("{key} changed twice while a range of it was read")))
    }

    /// The origin behind R2's keys, when `ORIGIN_URL` is set.
    fn fallback(&self) -> Option<&Behind> {
        self.behind.as_ref().filter(|b| b.settings.url.is_some())
    }
}

impl<S: Store + 'static> Store for Sourced<S> {
    type Body = SourcedBody<S::Body>;

    async fn head(&self, key: &str) -> Result<Option<Meta>> {
        if crate::url::remote::is_remote(key) {
            let Some(behind) = &self.behind else { return Ok(None) };
            if let Some(meta) = remote::fresh(behind, key) {
                return Ok(Some(meta));
            }
            return match once::found(&*self.inner, &self.deadline, behind, key, false).await {
                Ok(found) => Ok(Some(found.meta.clone())),
                Err(Error::NotFound) => Ok(None),
                Err(e) => Err(e),
            };
        }
        let stored = self.deadline.within("head", self.inner.head(key)).await?;
        match (stored, self.fallback()) {
            (None, Some(behind)) => match once::found(&*self.inner, &self.deadline, behind, key, true).await {
                Ok(found) => Ok(Some(found.meta.clone())),
                Err(Error::NotFound) => Ok(None),
                Err(e) => Err(e),
            },
            (stored, _) => Ok(stored),
        }
    }

    async fn get(&self, key: &str, range: Ranged) -> Result<Option<Stored<Self::Body>>> {
        let as_stored = |s: Stored<S::Body>| Stored { meta: s.meta, body: SourcedBody::Stored(s.body) };
        let remote = crate::url::remote::is_remote(key);
        if let (true, Some(behind), Ranged::Whole) = (remote, &self.behind, range) {
            if let Some(meta) = remote::fresh(behind, key) {
                let body = SourcedBody::Remote { source: key.to_string(), etag: meta.etag.clone() };
                return Ok(Some(Stored { meta, body }));
            }
        }
        let (stored, behind) = match remote {
            true => (None, self.behind.as_ref()),
            false => (self.deadline.within("get", self.inner.get(key, range)).await?, self.fallback()),
        };
        let (None, Some(behind)) = (&stored, behind) else { return Ok(stored.map(as_stored)) };
        let found = match once::found(&*self.inner, &self.deadline, behind, key, true).await {
            Ok(found) => found,
            Err(Error::NotFound) => return Ok(None),
            Err(e) => return Err(e),
        };
        match &found.bytes {
            // Copied: R2 serves it from now on, this request included (a range is R2's to cut).
            None if !remote => Ok(self.deadline.within("get", self.inner.get(key, range)).await?.map(as_stored)),
            None => Err(Error::Internal("a remote original came without its body".into())),
            Some(bytes) => {
                let (offset, length) = match range {
                    Ranged::Part { offset, length } => (offset as usize, length as usize),
                    _ => (0, bytes.len()),
                };
                let body = SourcedBody::fetched(bytes.clone(), offset, length)?;
                Ok(Some(Stored { meta: found.meta.clone(), body }))
            }
        }
    }

    /// An original from the origin (remote, or `ORIGIN_URL` without a copy in R2) is fetched
    /// once, and the part is planned on those bytes and cut from them: an origin that answers a
    /// second fetch with other bytes cannot make the plan and the cut disagree.
    async fn get_part(&self, key: &str, plan: &dyn Fn(&Meta) -> Ranged) -> Result<Option<(Stored<Self::Body>, Ranged)>> {
        let remote = crate::url::remote::is_remote(key);
        let behind = match remote {
            true => self.behind.as_ref(),
            false => match self.deadline.within("head", self.inner.head(key)).await? {
                Some(meta) => return self.cut_stored(key, meta, plan).await,
                None => self.fallback(),
            },
        };
        let Some(behind) = behind else { return Ok(None) };
        let found = match once::found(&*self.inner, &self.deadline, behind, key, true).await {
            Ok(found) => found,
            Err(Error::NotFound) => return Ok(None),
            Err(e) => return Err(e),
        };
        let Some(bytes) = &found.bytes else {
            // Copied into R2: R2 serves it from now on, and cuts the part.
            return match self.deadline.within("head", self.inner.head(key)).await? {
                Some(meta) => self.cut_stored(key, meta, plan).await,
                None => Ok(None),
            };
        };
        let mut meta = found.meta.clone();
        meta.size = bytes.len() as u64;
        let ranged = plan(&meta);
        let (offset, length) = match ranged {
            Ranged::Part { offset, length } => (offset as usize, length as usize),
            _ => (0, bytes.len()),
        };
        let body = SourcedBody::fetched(bytes.clone(), offset, length)?;
        Ok(Some((Stored { meta, body }, ranged)))
    }

    async fn read(&self, body: Self::Body) -> Result<Vec<u8>> {
        match body {
            SourcedBody::Stored(body) => self.inner.read(body).await,
            SourcedBody::Fetched { bytes, offset, length } => match Rc::try_unwrap(bytes) {
                Ok(whole) if offset == 0 && length == whole.len() => Ok(whole),
                Ok(whole) => Ok(part(&whole, offset, length)?.to_vec()),
                Err(shared) => Ok(part(&shared, offset, length)?.to_vec()),
            },
            SourcedBody::Remote { source, etag } => {
                let behind = self.behind.as_ref().ok_or_else(|| Error::Internal("a remote body without an origin".into()))?;
                let found = once::found(&*self.inner, &self.deadline, behind, &source, true).await?;
                match (&found.bytes, found.meta.etag == etag) {
                    (Some(bytes), true) => Ok(bytes.to_vec()),
                    _ => Err(Error::Upstream(format!("the remote original changed while it was read: {source}"))),
                }
            }
        }
    }

    async fn put(&self, key: &str, bytes: Vec<u8>, meta: PutMeta, only_if: OnlyIf) -> Result<Option<Meta>> {
        self.deadline.within("put", self.inner.put(key, bytes, meta, only_if)).await
    }

    async fn list(&self, prefix: &str, start_after: Option<&str>, max: usize) -> Result<Vec<String>> {
        self.deadline.within("list", self.inner.list(prefix, start_after, max)).await
    }

    async fn delete(&self, keys: Vec<String>) -> Result<()> {
        self.deadline.within("delete", self.inner.delete(keys)).await
    }
}
