//! One original from the origin: redirects followed on the same origin only, the whole fetch
//! bounded in time (504) and size (413, as the bytes come), and only images taken (415/422).

use super::{sigv4, Behind};
use crate::error::{Error, Result};
use crate::flow::gate::Slot;
use crate::flow::ports::{Meta, OriginResponse};
use crate::pipeline::codecs::sniff;
use futures_util::future::{select, Either};
use sha2::{Digest, Sha256};
use std::pin::pin;

/// Redirects followed, each to the same scheme, host and port as `ORIGIN_URL`.
pub const MAX_REDIRECTS: usize = 3;

/// What the origin sent for a key.
pub struct Fetched {
    pub bytes: Vec<u8>,
    pub content_type: String,
    etag: Option<String>,
    last_modified_ms: Option<u64>,
}

impl Fetched {
    /// Metadata for an original that R2 does not keep (`ORIGIN_COPY=false`): the origin's strong
    /// ETag, else one of the bytes, so every isolate names this version alike.
    pub fn meta(&self, now_ms: f64) -> Meta {
        let etag = self.etag.clone().unwrap_or_else(|| {
            let digest = Sha256::digest(&self.bytes);
            digest[..16].iter().map(|b| format!("{b:02x}")).collect()
        });
        Meta {
            size: self.bytes.len() as u64,
            http_etag: format!("\"{etag}\""),
            etag,
            uploaded_ms: self.last_modified_ms.unwrap_or(now_ms as u64),
            content_type: Some(self.content_type.clone()),
            custom: Default::default(),
        }
    }
}

/// The original under `key`, with the in-flight budget it holds until it is copied.
pub async fn fetch(behind: &Behind, key: &str) -> Result<(Fetched, Slot<'static>)> {
    let timeout_ms = behind.settings.timeout_ms;
    match select(pin!(follow(behind, key)), behind.clock.sleep(timeout_ms)).await {
        Either::Left((outcome, _)) => outcome,
        Either::Right(_) => {
            Err(Error::GatewayTimeout(format!("the origin did not answer within {} s (ORIGIN_TIMEOUT_S)", timeout_ms / 1000)))
        }
    }
}

async fn follow(behind: &Behind, key: &str) -> Result<(Fetched, Slot<'static>)> {
    let base = behind.settings.url.as_ref().ok_or_else(|| Error::Internal("no ORIGIN_URL".into()))?;
    let mut url = base.clone();
    url.set_path(&format!("{}/{}", base.path().trim_end_matches('/'), crate::http::key_path(key)));
    for _ in 0..=MAX_REDIRECTS {
        let headers = match &behind.settings.s3 {
            Some(keys) => sigv4::headers(url.as_str(), keys, behind.clock.now_ms())?,
            None => Vec::new(),
        };
        let response = behind.origin.get(url.as_str(), &headers).await?;
        match response.status {
            200 => return read(behind, response).await,
            301 | 302 | 303 | 307 | 308 => {
                let location = response.header("location").ok_or_else(|| upstream("a redirect without a Location"))?;
                let next = url.join(location).map_err(|_| upstream("a redirect to an invalid URL"))?;
                if next.origin() != base.origin() {
                    return Err(upstream("a redirect off the origin (only the same scheme, host and port are followed)"));
                }
                url = next;
            }
            404 | 410 => return Err(Error::NotFound),
            status => return Err(upstream(&format!("it answered {status}"))),
        }
    }
    Err(upstream(&format!("more than {MAX_REDIRECTS} redirects")))
}

async fn read(behind: &Behind, response: OriginResponse) -> Result<(Fetched, Slot<'static>)> {
    let max = behind.settings.max_bytes;
    let too_large = || Error::TooLarge(format!("originals from ORIGIN_URL are limited to {} MB (ORIGIN_MAX_MB)", max >> 20));
    let declared = response.header("content-length").and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > max) {
        return Err(too_large());
    }
    // A body of unknown length counts as the largest allowed, and reading stops past it.
    let slot = behind.gate.take(declared.unwrap_or(max), &behind.limits, &*behind.clock).await?;
    let bytes = response.body.read(max).await.map_err(|e| if let Error::TooLarge(_) = e { too_large() } else { e })?;
    let content_type = content_type(&bytes, response.header("content-type"))?;
    let etag = response.header("etag").filter(|t| !t.starts_with("W/")).map(|t| t.trim_matches('"').to_string()).filter(|t| !t.is_empty());
    let last_modified_ms = response
        .header("last-modified")
        .and_then(|d| httpdate::parse_http_date(d).ok())
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok().map(|d| d.as_millis() as u64));
    Ok((Fetched { bytes, content_type, etag, last_modified_ms }, slot))
}

/// Only images are taken, by their bytes: the origin's `Content-Type` when it names an image,
/// else the type the bytes are. An HTML error page or a text file is refused (422), and so is a
/// format we do not read (415), as uploads are.
fn content_type(bytes: &[u8], declared: Option<&str>) -> Result<String> {
    let sniffed = match sniff(bytes) {
        Ok(format) => format.content_type(),
        Err(_) if bytes.starts_with(b"II*\0") || bytes.starts_with(b"MM\0*") => "image/tiff",
        Err(e) => return Err(e),
    };
    Ok(match declared.map(str::trim) {
        Some(ct) if ct.to_ascii_lowercase().starts_with("image/") => ct.to_string(),
        _ => sniffed.to_string(),
    })
}

fn upstream(why: &str) -> Error {
    Error::Upstream(format!("the origin failed: {why}"))
}
