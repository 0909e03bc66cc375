//! A failing and stalling bucket under load, natively on the paused clock: R2 calls fail or never
//! answer at random while 32 clients send misses, hits, 304s, originals and uploads. What must
//! hold: no 5xx but a 502 (the original could not be read or written), each of those answered
//! once R2 answers again; no request waits past its bound (`R2_TIMEOUT_MS` on every call);
//! originals byte-identical to what was last uploaded; every persisted variant decodes and came
//! from a version its original really had.

use super::world::{request, World};
use super::{size, LATENCY};
use crate::config::Config;
use crate::fixtures;
use crate::flow::{Method, Request};
use futures_util::future::join_all;
use std::collections::{HashMap, HashSet};

const TOKEN: &str = "a-local-upload-token";

fn uploads_on() -> Config {
    Config::from_lookup(|n| (n == "UPLOAD_TOKEN").then(|| TOKEN.to_string())).unwrap()
}

fn original(i: u64, version: u64) -> Vec<u8> {
    fixtures::jpeg(&fixtures::photo(64, 48, (i * 100 + version) as u32), false, None)
}

/// A stalled variant read costs the request one timeout at most, then the image is made.
#[tokio::test(start_paused = true)]
async fn a_stalled_call_costs_at_most_its_timeout() {
    let w = World::new(LATENCY, Config::default());
    w.put("a.jpg", original(1, 0), "image/jpeg");
    w.store.stall("get", "_variants/");
    let (res, _) = w.get("/a.jpg?w=32").await;
    assert_eq!((res.status, size(&res.body)), (200, (32, 24)));
    assert!(w.answered() <= 5000 + 2 * LATENCY, "{} ms", w.answered());

    w.put("b.jpg", original(2, 0), "image/jpeg");
    w.store.stall("head", "b.jpg");
    w.store.stall("get", "b.jpg");
    let started = w.now();
    let (stalled, _) = w.get("/b.jpg?w=16").await;
    assert_eq!(stalled.status, 502);
    assert!(String::from_utf8_lossy(&stalled.body).contains("R2_TIMEOUT_MS"));
    assert!(w.answered() - started <= 5000 + 2 * LATENCY, "{} ms", w.answered() - started);
}

#[tokio::test(start_paused = true)]
async fn under_random_faults_nothing_is_lost_and_only_originals_give_502() {
    let w = World::new(LATENCY, uploads_on());
    let keys: Vec<String> = (0..10).map(|i| format!("load/{i}.jpg")).collect();
    let mut current: HashMap<String, Vec<u8>> = HashMap::new();
    let mut versions: HashMap<String, HashSet<String>> = HashMap::new();
    for (i, key) in keys.iter().enumerate() {
        w.put(key, original(i as u64, 0), "image/jpeg");
        current.insert(key.clone(), original(i as u64, 0));
        versions.entry(key.clone()).or_default().insert(w.store.meta(key).unwrap().etag);
    }
    // One call in 10 fails, one in 50 never answers.
    w.store.faults(10, 50, 0x9E37_79B9_7F4A_7C15);
    let widths = [16, 24, 32, 40, 48, 64];
    let mut statuses: HashMap<u16, usize> = HashMap::new();
    let mut refused: Vec<Request> = Vec::new();
    let mut longest = 0;
    for round in 0..64u64 {
        let batch: Vec<(Request, Option<Vec<u8>>)> = (0..32u64)
            .map(|c| {
                let n = round * 32 + c;
                let key = &keys[(n * 7 % 10) as usize];
                let width = widths[(n % 6) as usize];
                match n % 16 {
                    // An upload of a new version.
                    0 => {
                        let bytes = original(n % 10, n);
                        (
                            Request { method: Method::Put, authorization: Some(format!("Bearer {TOKEN}")), ..request(&format!("/{key}")) },
                            Some(bytes),
                        )
                    }
                    1 => (request(&format!("/{key}")), None),
                    2 => (Request { if_none_match: Some("\"whatever\"".into()), ..request(&format!("/{key}?w={width}")) }, None),
                    3 => (request(&format!("/{key}?w={width}&format=png")), None),
                    _ => (request(&format!("/{key}?w={width}")), None),
                }
            })
            .collect();
        let started = w.now();
        let answers = join_all(batch.iter().map(|(req, body)| w.send_body(req.clone(), body.clone().unwrap_or_default()))).await;
        longest = longest.max(w.now() - started);
        for ((req, body), (res, _)) in batch.into_iter().zip(answers) {
            *statuses.entry(res.status).or_default() += 1;
            assert!(matches!(res.status, 200 | 201 | 304 | 502), "{} {}: {}", res.status, req.path, String::from_utf8_lossy(&res.body));
            match (req.method, res.status) {
                (Method::Put, 200 | 201) => {
                    let key = req.path[1..].to_string();
                    current.insert(key.clone(), body.unwrap());
                    versions.entry(key.clone()).or_default().insert(w.store.meta(&key).unwrap().etag);
                }
                (_, 502) => refused.push(req),
                (Method::Get, 200) if req.query.is_some() => assert!(image::load_from_memory(&res.body).is_ok(), "{}", req.path),
                _ => {}
            }
        }
    }
    eprintln!("2,048 requests, 1 R2 call in 10 failing and 1 in 50 stalling: {statuses:?}; slowest batch {longest} ms");
    // Each batch also ran the work after its responses; a batch waits for its slowest request.
    assert!(longest <= 3 * (5000 + 2 * LATENCY), "a batch took {longest} ms");
    assert!(statuses.get(&502).is_some_and(|n| *n > 0) && statuses.get(&200).is_some_and(|n| *n > 1000), "{statuses:?}");

    // R2 answers again: every refused request succeeds when retried.
    w.store.heal();
    for req in refused {
        let body = (req.method == Method::Put).then(|| original(3, 999));
        let (res, _) = w.send_body(req.clone(), body.clone().unwrap_or_default()).await;
        assert!(matches!(res.status, 200 | 201 | 304), "retried {} {}: {}", res.status, req.path, String::from_utf8_lossy(&res.body));
        if let (Method::Put, Some(bytes)) = (req.method, body) {
            let key = req.path[1..].to_string();
            current.insert(key.clone(), bytes);
            versions.entry(key.clone()).or_default().insert(w.store.meta(&key).unwrap().etag);
        }
    }
    // Nothing lost: each original is what was last uploaded.
    for key in &keys {
        assert_eq!(w.store.bytes(key).as_ref(), current.get(key), "{key}");
    }
    // Every persisted variant decodes and came from a version its original had.
    for variant in w.store.keys("_variants/") {
        let meta = w.store.meta(&variant).unwrap();
        let source = &meta.custom["source-key"];
        assert!(versions[source].contains(&meta.custom["source-etag"]), "{variant}");
        assert!(image::load_from_memory(&w.store.bytes(&variant).unwrap()).is_ok(), "{variant}");
    }
}
