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

/// Persists a variant, recording which original (and which version of it) it came from.
pub async fn put_variant(
    bucket: &Bucket,
    key: &str,
    bytes: Vec<u8>,
    content_type: &str,
    source_key: &str,
    source_etag: &str,
) -> Result<()> {
    let meta = HashMap::from([("source-key".to_string(), source_key.to_string()), ("source-etag".to_string(), source_etag.to_string())]);
    bucket
        .put(key, bytes)
        .http_metadata(HttpMetadata { content_type: Some(content_type.into()), ..Default::default() })
        .custom_metadata(meta)
        .execute()
        .await
        .map_err(upstream)?;
    Ok(())
}

/// The stored content type, if the uploader set one.
pub fn content_type(object: &Object) -> Option<String> {
    object.http_metadata().content_type.filter(|ct| !ct.is_empty())
}
