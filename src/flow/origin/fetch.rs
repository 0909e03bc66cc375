//! One original from an origin: redirects followed only where the rule allows (`ORIGIN_URL`'s
//! own origin, or `REMOTE_HOSTS` again at every hop), the whole fetch bounded in time (504) and
//! size (413, as the bytes come), and only images taken (415/422).

use super::sigv4;
use super::types::Behind;
use crate::config::RemoteHost;
use crate::error::{Error, Result};
use crate::flow::gate::Slot;
use crate::flow::ports::{Meta, OriginResponse};
use crate::pipeline::codecs::sniff;
use futures_util::future::{select, Either};
use sha2::{Digest, Sha256};
use std::pin::pin;
use url::Url;

/// Redirects followed, each checked against the rule.
pub const MAX_REDIRECTS: usize = 3;

/// The longest ETag, Last-Modified or Cache-Control kept of an origin's answer.
const MAX_VALIDATOR: usize = 256;

/// What an origin sent for a key.
pub struct Fetched {
    pub bytes: Vec<u8>,
    pub content_type: String,
    /// The validators as sent, for a later conditional request.
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub cache_control: Option<String>,
}

/// An origin's answer to a (possibly conditional) request.
pub enum Answer {
    Fetched(Fetched, Slot<'static>),
    /// 304 to a conditional request: what we know is current.
    NotModified {
        cache_control: Option<String>,
    },
}

/// Where a redirect may lead.
pub enum Hops<'a> {
    /// The same scheme, host and port as this (`ORIGIN_URL`).
    SameOrigin(&'a Url),
    /// Any origin on the list (`REMOTE_HOSTS`).
    Listed(&'a [RemoteHost]),
}

impl Fetched {
    /// Metadata for an original that R2 does not keep: the origin's strong ETag, else one of the
    /// bytes, so every isolate names this version alike.
    pub fn meta(&self, now_ms: f64) -> Meta {
        let strong = self.etag.as_deref().filter(|t| !t.starts_with("W/")).map(|t| t.trim_matches('"'));
        // An ETag names our variants and goes into R2's metadata: a long or odd one is not used.
        let strong = strong.filter(|t| !t.is_empty() && t.len() <= MAX_VALIDATOR && t.bytes().all(|b| b.is_ascii_graphic()));
        let etag = strong.map(String::from).unwrap_or_else(|| {
            let digest = Sha256::digest(&self.bytes);
            digest[..16].iter().map(|b| format!("{b:02x}")).collect()
        });
        let modified = self.last_modified.as_deref().and_then(|d| httpdate::parse_http_date(d).ok());
        Meta {
            size: self.bytes.len() as u64,
            http_etag: format!("\"{etag}\""),
            etag,
            uploaded_ms: modified
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .map_or(now_ms as u64, |d| d.as_millis() as u64),
            content_type: Some(self.content_type.clone()),
            custom: Default::default(),
        }
    }
}

/// `ORIGIN_URL`'s original for `key`, with the in-flight budget it holds until it is copied.
pub async fn from_origin(behind: &Behind, key: &str) -> Result<(Fetched, Slot<'static>)> {
    let base = behind.settings.url.as_ref().ok_or_else(|| Error::Internal("no ORIGIN_URL".into()))?;
    let mut url = base.clone();
    url.set_path(&format!("{}/{}", base.path().trim_end_matches('/'), crate::keys::key_path(key)));
    match bounded(behind, url, Hops::SameOrigin(base), &[]).await? {
        Answer::Fetched(fetched, slot) => Ok((fetched, slot)),
        Answer::NotModified { .. } => Err(upstream("it answered 304 to a plain GET")),
    }
}

/// A remote original (`REMOTE_HOSTS`), conditional on `validators` when given.
pub async fn remote(behind: &Behind, source: &str, validators: &[(String, String)]) -> Result<Answer> {
    let url = Url::parse(source).map_err(|_| Error::bad_request("the source URL is not valid"))?;
    bounded(behind, url, Hops::Listed(&behind.settings.remote_hosts), validators).await
}

/// The fetch, within `ORIGIN_TIMEOUT_S`.
async fn bounded(behind: &Behind, url: Url, hops: Hops<'_>, extra: &[(String, String)]) -> Result<Answer> {
    let timeout_ms = behind.settings.timeout_ms;
    match select(pin!(follow(behind, url, hops, extra)), behind.clock.sleep(timeout_ms)).await {
        Either::Left((outcome, _)) => outcome,
        Either::Right(_) => {
            Err(Error::GatewayTimeout(format!("the origin did not answer within {} s (ORIGIN_TIMEOUT_S)", timeout_ms / 1000)))
        }
    }
}

async fn follow(behind: &Behind, mut url: Url, hops: Hops<'_>, extra: &[(String, String)]) -> Result<Answer> {
    for _ in 0..=MAX_REDIRECTS {
        let mut headers = extra.to_vec();
        // Only `ORIGIN_URL` is signed: a remote source is someone else's.
        if let (Hops::SameOrigin(_), Some(keys)) = (&hops, &behind.settings.s3) {
            headers.extend(sigv4::headers(url.as_str(), keys, behind.clock.now_ms())?);
        }
        let response = behind.origin.get(url.as_str(), &headers).await?;
        match response.status {
            200 => return read(behind, response).await,
            304 if !extra.is_empty() => {
                return Ok(Answer::NotModified { cache_control: response.header("cache-control").map(String::from) })
            }
            301 | 302 | 303 | 307 | 308 => {
                let location = response.header("location").ok_or_else(|| upstream("a redirect without a Location"))?;
                let next = url.join(location).map_err(|_| upstream("a redirect to an invalid URL"))?;
                match &hops {
                    Hops::SameOrigin(base) if next.origin() != base.origin() => {
                        return Err(upstream("a redirect off the origin (only the same scheme, host and port are followed)"))
                    }
                    Hops::Listed(hosts) => crate::policy::check_remote(next.as_str(), hosts)
                        .map_err(|_| upstream("a redirect to an origin that is not on REMOTE_HOSTS"))?,
                    _ => {}
                }
                url = next;
            }
            404 | 410 => return Err(Error::NotFound),
            status => return Err(upstream(&format!("it answered {status}"))),
        }
    }
    Err(upstream(&format!("more than {MAX_REDIRECTS} redirects")))
}

async fn read(behind: &Behind, response: OriginResponse) -> Result<Answer> {
    let max = behind.settings.max_bytes;
    let too_large = || Error::TooLarge(format!("originals from an origin are limited to {} MB (ORIGIN_MAX_MB)", max >> 20));
    let declared = response.header("content-length").and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > max) {
        return Err(too_large());
    }
    // A body of unknown length counts as the largest allowed, and reading stops past it.
    let slot = behind.gate.take(declared.unwrap_or(max), &behind.limits, &*behind.clock).await?;
    let bytes = response.body.read(max).await.map_err(|e| if let Error::TooLarge(_) = e { too_large() } else { e })?;
    // Validators are kept for revalidation: a header longer than any real one is not.
    let header = |name: &str| response.header(name).filter(|v| v.len() <= MAX_VALIDATOR).map(String::from);
    let fetched = Fetched {
        content_type: content_type(&bytes)?,
        bytes,
        etag: header("etag"),
        last_modified: header("last-modified"),
        cache_control: header("cache-control"),
    };
    Ok(Answer::Fetched(fetched, slot))
}

/// Only images are taken, and typed by their bytes, whatever the origin's `Content-Type` says: an
/// HTML error page or a text file is refused (422), and so is a format we do not read (415), as
/// uploads are; TIFF is kept, as uploads keep it. The type stored and served is ours: an origin
/// that calls an SVG `image/png, image/svg+xml` cannot get it served unsanitised.
fn content_type(bytes: &[u8]) -> Result<String> {
    let sniffed = match sniff(bytes) {
        Ok(format) => format.content_type(),
        Err(_) if bytes.starts_with(b"II*\0") || bytes.starts_with(b"MM\0*") => "image/tiff",
        Err(e) => return Err(e),
    };
    Ok(sniffed.to_string())
}

fn upstream(why: &str) -> Error {
    Error::Upstream(format!("the origin failed: {why}"))
}
