//! The origin behind R2 (`ORIGIN_URL`) over `fetch`: a redirect comes back as it is (the flow
//! checks every hop), and the body is streamed and stopped past the flow's limit.

use super::read_capped;
use crate::error::{Error, Result};
use crate::flow::ports::{Origin, OriginResponse, RequestBody};
use futures_util::future::LocalBoxFuture;
use std::cell::RefCell;
use worker::{Fetch, Headers, Method, Request, RequestInit, RequestRedirect, Response};

pub struct HttpOrigin;

impl Origin for HttpOrigin {
    fn get<'a>(&'a self, url: &'a str, headers: &'a [(String, String)]) -> LocalBoxFuture<'a, Result<OriginResponse>> {
        Box::pin(async move {
            let failed = |e: worker::Error| Error::Upstream(format!("the origin failed: {e}"));
            let sent = Headers::new();
            for (name, value) in headers {
                sent.set(name, value).map_err(failed)?;
            }
            let mut init = RequestInit::new();
            init.with_method(Method::Get).with_headers(sent).with_redirect(RequestRedirect::Manual);
            let request = Request::new_with_init(url, &init).map_err(failed)?;
            let response = Fetch::Request(request).send().await.map_err(failed)?;
            let headers = response.headers().entries().map(|(n, v)| (n.to_ascii_lowercase(), v)).collect();
            Ok(OriginResponse { status: response.status_code(), headers, body: Box::new(Streamed(RefCell::new(Some(response)))) })
        })
    }
}

/// An origin's body, read once as a stream.
struct Streamed(RefCell<Option<Response>>);

impl RequestBody for Streamed {
    fn read(&self, max: u64) -> LocalBoxFuture<'_, Result<Vec<u8>>> {
        let response = self.0.borrow_mut().take();
        Box::pin(async move {
            let mut response = response.ok_or_else(|| Error::Internal("the origin's body was read twice".into()))?;
            let failed = |e: worker::Error| Error::Upstream(format!("the origin's body could not be read: {e}"));
            read_capped(response.stream().map_err(failed)?, max, failed).await
        })
    }
}
