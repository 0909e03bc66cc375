//! Persisted variants: what one records beside its bytes, and the write that goes on after the
//! response. A variant only spares work, so neither a failing read nor a failing write ever
//! costs the client its image.

use crate::flow::ports::{Later, Meta, OnlyIf, PutMeta, Store};
use std::rc::Rc;

/// The custom metadata field that holds a variant's ETag ([`crate::keys::variant_etag`]): a read
/// serves it only while this is the ETag the current original would give.
const ETAG: &str = "etag";

/// The ETag a persisted variant was stored with (none for one written before it was kept).
pub(in crate::flow) fn etag(variant: &Meta) -> Option<&str> {
    variant.custom.get(ETAG).map(String::as_str)
}

/// What a variant records: its type and ETag, and which original, and which version of it,
/// it came from.
pub(in crate::flow) fn put_meta(content_type: &str, etag: &str, source_key: &str, source_etag: &str) -> PutMeta {
    PutMeta {
        content_type: content_type.into(),
        custom: vec![(ETAG.into(), etag.into()), ("source-key".into(), source_key.into()), ("source-etag".into(), source_etag.into())],
    }
}

/// Writes the variant once the response is on its way (replacing a stale one under the same
/// key). A failure is only logged: the next miss writes it again.
pub(in crate::flow) fn persist_later<S: Store + 'static>(later: &dyn Later, variants: Rc<S>, key: String, bytes: Vec<u8>, meta: PutMeta) {
    later.after_response(Box::pin(async move {
        variants.put(&key, bytes, meta, OnlyIf::Always).await.map(drop).map_err(|e| format!("persisting variant {key} failed: {e}"))
    }));
}
