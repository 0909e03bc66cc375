//! How many store round trips each outcome waits for, and which bodies are read or cancelled.

use super::world::request;
use super::{checking_every_time, ops, size, world, LATENCY};
use crate::config::Config;

/// Everything a miss needs is asked for at once: the original's metadata, the persisted variant,
/// the mezzanine and the original's body, so the miss waits for one round trip before resizing.
#[tokio::test(start_paused = true)]
async fn a_miss_waits_for_one_round_trip() {
    let w = world(Config::default());
    let (res, _) = w.get("/photo.jpg?w=300").await;
    assert_eq!((res.status, res.header("x-cache")), (200, Some("MISS")));
    assert_eq!(size(&res.body), (300, 200));
    let calls = w.calls();
    let asked: Vec<_> = calls.iter().filter(|(_, op)| op.starts_with("head") || op.starts_with("get")).map(|(t, _)| *t).collect();
    assert_eq!(asked, [0, 0, 0, 0], "every read starts at once: {calls:?}");
    assert_eq!(w.answered(), LATENCY, "one round trip, then the resize (no virtual time)");
    let reads = ops(&calls);
    let wave = ["head photo.jpg", "get _variants/photo.jpg/w=300", "get _variants/photo.jpg/mezzanine", "get photo.jpg", "read photo.jpg"];
    assert!(reads.starts_with(&wave), "{reads:?}");
    // The variant is written after the response: the response itself waited for one round trip.
    let (t, put) = calls.iter().find(|(_, op)| op.starts_with("put")).expect("the variant is persisted");
    assert_eq!((*t, put.as_str()), (LATENCY, "put _variants/photo.jpg/w=300"));
}

/// A persisted variant (the cache evicted, or another data centre) is one round trip too, and
/// the original's body, asked for at the same time, is cancelled unread.
#[tokio::test(start_paused = true)]
async fn a_persisted_variant_waits_for_one_round_trip_and_cancels_the_original() {
    let w = world(Config::default());
    let (first, _) = w.get("/photo.jpg?w=300").await;
    w.cache.evict();
    w.clear_log();
    let before = w.now();
    let (res, _) = w.get("/photo.jpg?w=300").await;
    assert_eq!((res.status, res.header("x-cache")), (200, Some("VARIANT")));
    assert_eq!(res.body, first.body);
    assert_eq!(res.header("etag"), first.header("etag"));
    assert_eq!(w.answered() - before, LATENCY, "one round trip");
    let calls = w.calls();
    let calls = ops(&calls);
    assert!(calls.contains(&"cancel photo.jpg"), "{calls:?}");
    assert!(!calls.contains(&"read photo.jpg"), "{calls:?}");
    assert!(!calls.iter().any(|c| c.starts_with("put")), "nothing is written again: {calls:?}");
}

/// A cache hit asks R2 nothing while the data centre remembers the original (`MAX_STALE_S`);
/// with `MAX_STALE_S=0` it waits for the original's metadata (its version decides freshness).
/// Neither reads a body.
#[tokio::test(start_paused = true)]
async fn a_cache_hit_asks_r2_nothing_within_the_window_and_one_head_without_it() {
    for (config, calls) in [(Config::default(), vec![]), (checking_every_time(), vec!["head photo.jpg"])] {
        let w = world(config);
        let (first, _) = w.get("/photo.jpg?w=300").await;
        w.clear_log();
        let before = w.now();
        let (hit, _) = w.get("/photo.jpg?w=300").await;
        assert_eq!((hit.status, hit.header("x-cache")), (200, Some("HIT")));
        assert_eq!(hit.body, first.body);
        assert!(hit.header("server-timing").is_some_and(|t| t.starts_with("cache;dur=")), "{:?}", hit.header("server-timing"));
        assert_eq!(w.answered() - before, LATENCY * calls.len() as u64);
        assert_eq!(ops(&w.calls()), calls);
    }
}

/// 304 is decided from metadata alone: the bodies asked for early (with the `head`, when every
/// request checks the original) are cancelled, never read.
#[tokio::test(start_paused = true)]
async fn not_modified_reads_no_body() {
    let w = world(checking_every_time());
    let (first, _) = w.get("/photo.jpg?w=300").await;
    let etag = first.header("etag").unwrap().to_string();
    w.cache.evict();
    w.clear_log();
    let mut req = request("/photo.jpg?w=300");
    req.if_none_match = Some(etag.clone());
    let (res, _) = w.send(req).await;
    assert_eq!((res.status, res.header("etag"), res.body.len()), (304, Some(etag.as_str()), 0));
    let calls = w.calls();
    let calls = ops(&calls);
    assert!(!calls.iter().any(|c| c.starts_with("read")), "{calls:?}");
    assert!(calls.contains(&"cancel photo.jpg") && calls.contains(&"cancel _variants/photo.jpg/w=300"), "{calls:?}");

    // An original: one get, its body cancelled.
    w.clear_log();
    let mut req = request("/photo.jpg");
    req.if_none_match = Some(w.store.meta("photo.jpg").unwrap().http_etag);
    let (res, _) = w.send(req).await;
    assert_eq!(res.status, 304);
    assert_eq!(ops(&w.calls()), ["get photo.jpg", "cancel photo.jpg"]);
}

/// A path-grammar URL may name a real file: both names are looked up at once, and the
/// grammar's metadata is not asked for again.
#[tokio::test(start_paused = true)]
async fn path_grammar_looks_up_both_names_at_once() {
    let w = world(Config::default());
    let before = w.now();
    let (res, _) = w.get("/photo-200x200.jpg").await;
    assert_eq!((res.status, res.header("x-cache")), (200, Some("MISS")));
    assert_eq!(size(&res.body), (200, 200));
    let calls = w.calls();
    assert_eq!(&ops(&calls)[..2], ["head photo-200x200.jpg", "head photo.jpg"]);
    assert_eq!((calls[0].0, calls[1].0), (0, 0), "at once");
    assert_eq!(calls.iter().filter(|(_, op)| op == "head photo.jpg").count(), 1, "{calls:?}");
    assert_eq!(w.answered() - before, 2 * LATENCY, "the heads, then the bodies (the variant write comes after)");
}

/// A range of an original needs its size first: head, then a ranged get.
#[tokio::test(start_paused = true)]
async fn a_range_reads_the_size_then_the_part() {
    let w = world(Config::default());
    let mut req = request("/photo.jpg");
    req.range = Some("bytes=0-9".into());
    let (res, _) = w.send(req).await;
    assert_eq!((res.status, res.body.len()), (206, 10));
    assert_eq!(res.body, super::photo()[..10]);
    let total = w.store.meta("photo.jpg").unwrap().size;
    assert_eq!(res.header("content-range"), Some(format!("bytes 0-9/{total}").as_str()));
    assert_eq!(ops(&w.calls()), ["head photo.jpg", "get photo.jpg", "read photo.jpg"]);
}

/// Overlays' versions are asked for together, and their images with the original's body: a miss
/// drawing two overlays waits for two round trips however many it draws (the versions, then the
/// lookup wave), a later miss, which remembers the versions, for one, as without overlays. (One
/// at a time and after the original, it was five and four.)
#[tokio::test(start_paused = true)]
async fn overlays_are_looked_up_together_and_read_with_the_original() {
    let config = Config::from_lookup(|name| match name {
        "OVERLAYS" => Some(
            r#"{"mark": {"key": "brand/mark.png", "width": 40, "default_for": ["shop/"]},
                "badge": {"key": "brand/badge.png", "width": 20, "gravity": "top-left"}}"#
                .into(),
        ),
        _ => None,
    });
    let w = world(config.unwrap());
    let disc = crate::fixtures::png(&crate::fixtures::alpha_disc(80, 80));
    w.put("brand/mark.png", disc.clone(), "image/png");
    w.put("brand/badge.png", disc, "image/png");
    w.put("shop/photo.jpg", super::photo(), "image/jpeg");
    w.clear_log();
    for (width, round_trips) in [(300, 2), (301, 1)] {
        let before = w.now();
        let (res, _) = w.get(&format!("/shop/photo.jpg?w={width}&draw=badge")).await;
        assert_eq!((res.status, res.header("x-cache")), (200, Some("MISS")), "{:?}", String::from_utf8_lossy(&res.body));
        assert_eq!(w.answered() - before, round_trips * LATENCY, "w={width}: {:?}", w.calls());
        w.clear_log();
    }
    // A hit asks R2 for nothing; a persisted variant drops the images asked for with it unread.
    let (hit, _) = w.get("/shop/photo.jpg?w=301&draw=badge").await;
    assert_eq!((hit.header("x-cache"), ops(&w.calls())), (Some("HIT"), vec![]));
    w.cache.evict();
    let (stored, _) = w.get("/shop/photo.jpg?w=301&draw=badge").await;
    assert_eq!(stored.header("x-cache"), Some("VARIANT"));
    let calls = w.calls();
    let calls = ops(&calls);
    assert!(calls.contains(&"cancel brand/badge.png") && !calls.contains(&"read brand/badge.png"), "{calls:?}");
}
