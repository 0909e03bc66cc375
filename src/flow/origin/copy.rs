//! `ORIGIN_URL`: the original R2 does not have, fetched and, with `ORIGIN_COPY`, written into R2
//! where nothing is stored yet (an upload meanwhile wins).

use super::fetch;
use super::types::{Behind, Deadline, Found, Outcome};
use crate::error::Error;
use crate::flow::ports::{OnlyIf, PutMeta, Store};
use std::rc::Rc;

/// The copy's calls to the store are bounded (`R2_TIMEOUT_MS`), as every other R2 call.
pub async fn fetch_and_copy<S: Store>(inner: &S, deadline: &Deadline, behind: &Behind, key: &str) -> Outcome {
    let (fetched, slot) = fetch::from_origin(behind, key).await?;
    if !behind.settings.copy {
        let meta = fetched.meta(behind.clock.now_ms());
        return Ok(Rc::new(Found { meta, bytes: Some(Rc::new(fetched.bytes)) }));
    }
    let put = PutMeta { content_type: fetched.content_type, custom: Vec::new() };
    let written = deadline.within("put", inner.put(key, fetched.bytes, put, OnlyIf::Absent)).await?;
    drop(slot);
    let meta = match written {
        Some(meta) => meta,
        // Something was stored meanwhile (an upload): it wins, and is what we serve.
        None => deadline.within("head", inner.head(key)).await?.ok_or(Error::NotFound)?,
    };
    Ok(Rc::new(Found { meta, bytes: None }))
}
