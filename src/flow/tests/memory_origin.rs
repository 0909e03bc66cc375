//! An HTTP origin in memory, for the `ORIGIN_URL` and remote-source tests: answers by whole URL
//! or by path, each after a latency on the paused clock, every request logged beside the store's.

use super::memory::{ms, Log, OnceBody};
use crate::error::Result;
use crate::flow::ports::{Origin, OriginResponse};
use futures_util::future::LocalBoxFuture;
use std::cell::RefCell;
use std::collections::HashMap;
use tokio::time::{sleep, Duration, Instant};

/// An HTTP origin in memory (`ORIGIN_URL`, remote sources): answers by whole URL or by path,
/// each after the same latency as the store (or its own delay), every request logged as
/// `origin GET <path>` (with ` signed` and ` conditional` when it was); a conditional request
/// whose `If-None-Match` is the answer's ETag gets a 304.
pub struct MemoryOrigin {
    answers: RefCell<HashMap<String, OriginAnswer>>,
    /// Answers given in turn, one a request, the last one again and again (an origin that changes).
    turns: RefCell<HashMap<String, Vec<OriginAnswer>>>,
    latency: Duration,
    log: Log,
    epoch: Instant,
}

/// What the origin answers for one path.
#[derive(Clone, Default)]
pub struct OriginAnswer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// Extra time before the answer.
    pub delay_ms: u64,
}

impl OriginAnswer {
    pub fn image(bytes: Vec<u8>, content_type: &str) -> OriginAnswer {
        let headers = vec![("content-type".into(), content_type.into()), ("content-length".into(), bytes.len().to_string())];
        OriginAnswer { status: 200, headers, body: bytes, delay_ms: 0 }
    }
}

impl MemoryOrigin {
    pub fn new(latency_ms: u64, log: Log, epoch: Instant) -> MemoryOrigin {
        MemoryOrigin { answers: RefCell::default(), turns: RefCell::default(), latency: Duration::from_millis(latency_ms), log, epoch }
    }

    /// From now on, `path` (as requested, with its leading `/`, or a whole URL) answers `answer`.
    pub fn answer(&self, path: &str, answer: OriginAnswer) {
        self.answers.borrow_mut().insert(path.into(), answer);
    }

    /// From now on, `path` answers each of `answers` in turn, then the last one for ever.
    pub fn answer_in_turn(&self, path: &str, mut answers: Vec<OriginAnswer>) {
        answers.reverse();
        self.turns.borrow_mut().insert(path.into(), answers);
    }

    /// The origin is switched off: every path answers 404.
    pub fn clear(&self) {
        self.answers.borrow_mut().clear();
    }
}

impl Origin for MemoryOrigin {
    fn get<'a>(&'a self, url: &'a str, headers: &'a [(String, String)]) -> LocalBoxFuture<'a, Result<OriginResponse>> {
        Box::pin(async move {
            let path = url.split_once("://").map(|(_, rest)| rest.find('/').map_or("/", |i| &rest[i..])).unwrap_or(url).to_string();
            let header = |name: &str| headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str());
            let signed = if header("authorization").is_some() { " signed" } else { "" };
            let conditional = if header("if-none-match").is_some() || header("if-modified-since").is_some() { " conditional" } else { "" };
            self.log.borrow_mut().push((ms(self.epoch), format!("origin GET {path}{signed}{conditional}")));
            let turn = {
                let mut turns = self.turns.borrow_mut();
                turns.get_mut(url).map(|t| if t.len() > 1 { t.pop().unwrap() } else { t[0].clone() })
            };
            let turn = turn.or_else(|| {
                let mut turns = self.turns.borrow_mut();
                turns.get_mut(&path).map(|t| if t.len() > 1 { t.pop().unwrap() } else { t[0].clone() })
            });
            let mut answer = turn.unwrap_or_else(|| {
                let answers = self.answers.borrow();
                answers.get(url).or_else(|| answers.get(&path)).cloned().unwrap_or(OriginAnswer { status: 404, ..Default::default() })
            });
            let etag = answer.headers.iter().find(|(n, _)| n == "etag").map(|(_, v)| v.clone());
            if answer.status == 200 && etag.is_some() && header("if-none-match") == etag.as_deref() {
                answer = OriginAnswer { status: 304, headers: answer.headers, body: Vec::new(), delay_ms: answer.delay_ms };
            }
            sleep(self.latency + Duration::from_millis(answer.delay_ms)).await;
            let body = Box::new(OnceBody::new(answer.body));
            Ok(OriginResponse { status: answer.status, headers: answer.headers, body })
        })
    }
}
