//! R2 as the flow's [`Store`]: originals in the `IMAGES` bucket; persisted variants in
//! `VARIANTS` when that binding exists (the two-bucket layout of the AWS setups), else in
//! `IMAGES` under the variant prefix.

use super::upstream;
use crate::error::{Error, Result};
use crate::flow::ports::{Meta, OnlyIf, PutMeta, Store, Stored};
use crate::http::range::Ranged;
use std::collections::HashMap;
use worker::{Bucket, Conditional, Env, HttpMetadata, Object, Range, ResponseBody};

pub const ORIGINALS: &str = "IMAGES";
pub const VARIANTS: &str = "VARIANTS";

pub struct R2(Bucket);

impl R2 {
    pub fn originals(env: &Env) -> Result<R2> {
        env.bucket(ORIGINALS).map(R2).map_err(|_| Error::Misconfigured(format!("no R2 binding named {ORIGINALS}")))
    }

    pub fn variants(env: &Env) -> Result<R2> {
        env.bucket(VARIANTS).map(R2).or_else(|_| R2::originals(env))
    }
}

/// An R2 body not read yet: dropped unread, it is cancelled, so R2 stops sending it.
pub struct R2Body(Option<Object>);

impl R2Body {
    /// The body, to stream into a response.
    pub fn into_response_body(mut self) -> Result<ResponseBody> {
        let object = self.0.take().ok_or_else(no_body)?;
        object.body().ok_or_else(no_body)?.response_body().map_err(upstream)
    }
}

impl Drop for R2Body {
    fn drop(&mut self) {
        let Some(object) = self.0.take() else { return };
        if let Some(Ok(ResponseBody::Stream(stream))) = object.body().map(|b| b.response_body()) {
            // The promise only reports the cancellation; there is nothing to wait for.
            let _ = stream.cancel();
        }
    }
}

fn no_body() -> Error {
    Error::Upstream("R2 returned an object without a body".into())
}

fn meta_of(object: &Object) -> Meta {
    Meta {
        size: object.size(),
        etag: object.etag(),
        http_etag: object.http_etag(),
        uploaded_ms: object.uploaded().as_millis(),
        content_type: object.http_metadata().content_type.filter(|ct| !ct.is_empty()),
        custom: object.custom_metadata().unwrap_or_default(),
    }
}

impl Store for R2 {
    type Body = R2Body;

    async fn head(&self, key: &str) -> Result<Option<Meta>> {
        Ok(self.0.head(key).await.map_err(upstream)?.as_ref().map(meta_of))
    }

    async fn get(&self, key: &str, range: Ranged) -> Result<Option<Stored<R2Body>>> {
        let request = self.0.get(key);
        let request = match range {
            Ranged::Part { offset, length } => request.range(Range::OffsetWithLength { offset, length }),
            _ => request,
        };
        let object = request.execute().await.map_err(upstream)?;
        Ok(object.map(|o| Stored { meta: meta_of(&o), body: R2Body(Some(o)) }))
    }

    async fn read(&self, mut body: R2Body) -> Result<Vec<u8>> {
        let object = body.0.take().ok_or_else(no_body)?;
        object.body().ok_or_else(no_body)?.bytes().await.map_err(upstream)
    }

    async fn put(&self, key: &str, bytes: Vec<u8>, meta: PutMeta, only_if: OnlyIf) -> Result<Option<Meta>> {
        let custom: HashMap<String, String> = meta.custom.into_iter().collect();
        let request = self
            .0
            .put(key, bytes)
            .http_metadata(HttpMetadata { content_type: Some(meta.content_type), ..Default::default() })
            .custom_metadata(custom);
        let request = match only_if {
            OnlyIf::Always => request,
            OnlyIf::Absent => request.only_if(Conditional { etag_does_not_match: Some("*".into()), ..Default::default() }),
            OnlyIf::Present => request.only_if(Conditional { etag_matches: Some("*".into()), ..Default::default() }),
            OnlyIf::EtagIs(etag) => request.only_if(Conditional { etag_matches: Some(etag), ..Default::default() }),
        };
        Ok(request.execute().await.map_err(upstream)?.as_ref().map(meta_of))
    }

    async fn list(&self, prefix: &str, start_after: Option<&str>, max: usize) -> Result<Vec<String>> {
        let mut keys = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let page_size = (max - keys.len()).clamp(1, 1000) as u32;
            let mut request = self.0.list().prefix(prefix).limit(page_size);
            if let Some(c) = cursor.take() {
                request = request.cursor(c);
            } else if let Some(s) = start_after {
                request = request.start_after(s);
            }
            let page = request.execute().await.map_err(upstream)?;
            keys.extend(page.objects().iter().map(Object::key));
            match (page.truncated(), page.cursor()) {
                (true, Some(next)) if keys.len() < max => cursor = Some(next),
                _ => return Ok(keys),
            }
        }
    }

    async fn delete(&self, keys: Vec<String>) -> Result<()> {
        // R2 deletes at most 1,000 keys a call.
        for batch in keys.chunks(1000) {
            self.0.delete_multiple(batch.to_vec()).await.map_err(upstream)?;
        }
        Ok(())
    }
}
