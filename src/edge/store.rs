//! R2: originals in the `IMAGES` bucket; persisted variants in `VARIANTS` when that binding
//! exists (the two-bucket layout of the AWS setups), else in `IMAGES` under the variant prefix.
//! Reads never write, and writes only ever target variant keys.

use super::upstream;
use crate::error::{Error, Result};
use crate::http::range::Ranged;
use std::collections::HashMap;
use worker::{Bucket, Env, HttpMetadata, Object, Range, ResponseBody};

pub const ORIGINALS: &str = "IMAGES";
pub const VARIANTS: &str = "VARIANTS";

pub fn originals(env: &Env) -> Result<Bucket> {
    env.bucket(ORIGINALS).map_err(|_| Error::Misconfigured(format!("no R2 binding named {ORIGINALS}")))
}

pub fn variants(env: &Env) -> Result<Bucket> {
    env.bucket(VARIANTS).or_else(|_| originals(env))
}

/// Metadata of an original, without its body.
pub async fn head(bucket: &Bucket, key: &str) -> Result<Option<Object>> {
    bucket.head(key).await.map_err(upstream)
}

/// An object with its body (to stream or read), or `None` when the key does not exist; only
/// the bytes of `range` when it is a part.
pub async fn get(bucket: &Bucket, key: &str, range: Ranged) -> Result<Option<Object>> {
    let request = bucket.get(key);
    let request = match range {
        Ranged::Part { offset, length } => request.range(Range::OffsetWithLength { offset, length }),
        _ => request,
    };
    request.execute().await.map_err(upstream)
}

/// An object asked for before we know whether its body will be needed: dropped without
/// [`Unread::take`], its body is cancelled, so R2 stops sending it.
pub struct Unread(Option<Object>);

impl Unread {
    pub fn new(object: Object) -> Unread {
        Unread(Some(object))
    }

    pub fn object(&self) -> &Object {
        self.0.as_ref().expect("an Unread holds its object until taken")
    }

    /// The object, to read or stream its body.
    pub fn take(mut self) -> Object {
        self.0.take().expect("an Unread holds its object until taken")
    }
}

impl Drop for Unread {
    fn drop(&mut self) {
        if let Some(object) = self.0.take() {
            discard(object);
        }
    }
}

/// Like [`get`], for a body that may go unread.
pub async fn get_unread(bucket: &Bucket, key: &str) -> Result<Option<Unread>> {
    Ok(get(bucket, key, Ranged::Whole).await?.map(Unread::new))
}

/// Tells R2 that `object`'s body will not be read, so it stops sending it.
pub fn discard(object: Object) {
    if let Some(Ok(ResponseBody::Stream(stream))) = object.body().map(|body| body.response_body()) {
        // The promise only reports the cancellation; there is nothing to wait for.
        let _ = stream.cancel();
    }
}

/// The whole body, copied once into wasm memory.
pub async fn read_all(object: Object) -> Result<Vec<u8>> {
    let body = object.body().ok_or_else(|| Error::Upstream("R2 returned an object without a body".into()))?;
    body.bytes().await.map_err(upstream)
}

/// What a persisted variant records beside its bytes.
pub struct VariantMeta<'a> {
    pub content_type: &'a str,
    /// Its ETag ([`crate::http::variant_etag`]): a read serves it only while this is current.
    pub etag: &'a str,
    pub source_key: &'a str,
    pub source_etag: &'a str,
}

/// Persists a variant (replacing a stale one under the same key), recording its ETag and which
/// original, and which version of it, it came from.
pub async fn put_variant(bucket: &Bucket, key: &str, bytes: Vec<u8>, meta: VariantMeta<'_>) -> Result<()> {
    let content_type = meta.content_type;
    let meta = HashMap::from([
        (VARIANT_ETAG.to_string(), meta.etag.to_string()),
        ("source-key".to_string(), meta.source_key.to_string()),
        ("source-etag".to_string(), meta.source_etag.to_string()),
    ]);
    bucket
        .put(key, bytes)
        .http_metadata(HttpMetadata { content_type: Some(content_type.into()), ..Default::default() })
        .custom_metadata(meta)
        .execute()
        .await
        .map_err(upstream)?;
    Ok(())
}

const VARIANT_ETAG: &str = "etag";

/// The ETag a persisted variant was stored with (none for a variant written before it was kept).
pub fn variant_etag(variant: &Object) -> Option<String> {
    variant.custom_metadata().ok()?.remove(VARIANT_ETAG)
}

/// The stored content type, if the uploader set one.
pub fn content_type(object: &Object) -> Option<String> {
    object.http_metadata().content_type.filter(|ct| !ct.is_empty())
}
