//! What the flow answers: freshness of stored copies, failures that must not cost the client its
//! image, which file a URL names, negotiation, and the plain errors.

use super::memory::UNIX_START_MS;
use super::world::request;
use super::{checking_every_time, ops, photo, size, world, KEY};
use crate::config::{Config, HttpSettings, Limits, PipelineSettings};
use crate::fixtures;
use crate::flow::Method;

/// With `MAX_STALE_S=0`, a replaced original is never answered from an older copy: the cache and
/// the persisted variant are refused by ETag, and the miss overwrites the variant under its key.
#[tokio::test(start_paused = true)]
async fn a_replaced_original_refuses_stale_copies_and_overwrites_the_variant() {
    let w = world(checking_every_time());
    let (old, _) = w.get("/alpha.png?w=60").await;
    assert_eq!(size(&old.body), (60, 40));
    let key = "_variants/alpha.png/w=60";
    assert_eq!(w.store.meta(key).unwrap().custom.get("etag").map(String::as_str), old.header("etag"));

    w.put("alpha.png", fixtures::grey16_png(120, 120), "image/png");
    let (new, _) = w.get("/alpha.png?w=60").await;
    assert_eq!(new.header("x-cache"), Some("MISS"), "the cached copy is of the old version");
    assert_eq!(size(&new.body), (60, 60));
    assert_ne!(new.header("etag"), old.header("etag"));
    let variant = w.store.meta(key).unwrap();
    assert_eq!(variant.custom.get("etag").map(String::as_str), new.header("etag"), "overwritten under the same key");
    assert_eq!(variant.custom.get("source-etag"), Some(&w.store.meta("alpha.png").unwrap().etag));

    // A fresh cache on the same bucket: now the variant is fresh again.
    w.cache.evict();
    let (again, _) = w.get("/alpha.png?w=60").await;
    assert_eq!((again.header("x-cache"), again.body == new.body), (Some("VARIANT"), true));
}

/// The persisted variants and the cache only spare work: when they cannot be read or written,
/// the client still gets its image. The original itself failing is the store's error: 502.
#[tokio::test(start_paused = true)]
async fn failing_variants_and_cache_still_give_the_image() {
    let w = world(Config::default());
    w.store.fail("put", "_variants/");
    let (res, _) = w.get("/photo.jpg?w=100").await;
    assert_eq!((res.status, res.header("x-cache"), size(&res.body)), (200, Some("MISS"), (100, 67)));
    let failures = w.later.failures.borrow().clone();
    assert!(failures.len() == 1 && failures[0].contains("persisting variant _variants/photo.jpg/w=100 failed"), "{failures:?}");

    w.store.heal();
    w.get("/photo.jpg?w=120").await;
    w.cache.evict();
    w.store.fail("get", "_variants/");
    let (res, trace) = w.get("/photo.jpg?w=120").await;
    assert_eq!((res.status, res.header("x-cache"), size(&res.body)), (200, Some("MISS"), (120, 80)));
    assert!(trace.warnings.iter().any(|m| m.contains("reading the persisted variant failed")), "{:?}", trace.warnings);

    w.store.heal();
    w.cache.fail();
    let (res, trace) = w.get("/photo.jpg?w=120").await;
    assert_eq!((res.status, res.header("x-cache")), (200, Some("VARIANT")), "the variant written meanwhile answers");
    assert!(trace.warnings.iter().any(|m| m.contains("cache lookup failed")), "{:?}", trace.warnings);

    w.store.fail("get", "photo.jpg");
    assert_eq!(w.get("/photo.jpg?w=130").await.0.status, 502);
    w.store.heal();
    w.store.fail("head", "photo.jpg");
    assert_eq!(w.get("/photo.jpg?w=130").await.0.status, 502);
}

/// A stored variant without the ETag it was written with is stale, never served.
#[tokio::test(start_paused = true)]
async fn a_variant_without_its_etag_is_stale() {
    let w = world(Config::default());
    w.store.insert("_variants/photo.jpg/w=120", b"not an image".to_vec(), Some("image/jpeg"), Default::default());
    let (res, _) = w.get("/photo.jpg?w=120").await;
    assert_eq!((res.status, res.header("x-cache"), size(&res.body)), (200, Some("MISS"), (120, 80)));
}

/// An original whose key is near the store's 1,024 bytes: its variants' keys would be over, so
/// they are neither read nor written (the cache still holds them).
#[tokio::test(start_paused = true)]
async fn an_over_long_variant_key_is_neither_read_nor_written() {
    let w = world(Config::default());
    let key = format!("{}.jpg", "k".repeat(1010));
    w.put(&key, photo(), "image/jpeg");
    w.clear_log();
    let (res, _) = w.get(&format!("/{key}?w=50")).await;
    assert_eq!((res.status, size(&res.body)), (200, (50, 33)));
    let calls = w.calls();
    assert!(calls.iter().all(|(_, op)| !op.contains("_variants/")), "{:?}", ops(&calls));
    let (hit, _) = w.get(&format!("/{key}?w=50")).await;
    assert_eq!(hit.header("x-cache"), Some("HIT"));
}

/// `photo-200x200.jpg` is the grammar's 200×200 of `photo.jpg`, unless a file really has
/// that name: then that file is served as stored.
#[tokio::test(start_paused = true)]
async fn a_real_file_named_like_a_path_grammar_url_wins() {
    let w = world(Config::default());
    let literal = fixtures::png(&fixtures::alpha_disc(30, 20));
    w.put("photo-200x200.jpg", literal.clone(), "image/png");
    let (res, _) = w.get("/photo-200x200.jpg").await;
    assert_eq!((res.status, res.body == literal, res.header("x-cache")), (200, true, None));
    let (transformed, _) = w.get("/photo-200x200.jpg?w=10").await;
    assert_eq!(size(&transformed.body), (10, 7), "the query's transform applies to the literal file");
}

/// `format=auto`: the client's class is part of the cache key, the response varies on Accept,
/// and clients of one class share one entry.
#[tokio::test(start_paused = true)]
async fn negotiation_keys_the_cache_by_client_class() {
    let w = world(Config::default());
    let accepting = |accept: Option<&str>| {
        let mut req = request("/photo.jpg?w=100&format=auto");
        req.accept = accept.map(String::from);
        req
    };
    let (webp, _) = w.send(accepting(Some("image/webp,*/*"))).await;
    let (legacy, _) = w.send(accepting(Some("image/*"))).await;
    assert_eq!((webp.header("content-type"), legacy.header("content-type")), (Some("image/webp"), Some("image/jpeg")));
    assert_eq!((webp.header("vary"), legacy.header("x-cache")), (Some("Accept"), Some("MISS")));
    let (again, _) = w.send(accepting(Some("image/avif,image/webp"))).await;
    assert_eq!((again.header("x-cache"), again.header("content-type")), (Some("HIT"), Some("image/webp")));
    assert_eq!(w.cache.responses.borrow().len(), 2);
}

#[tokio::test(start_paused = true)]
async fn head_answers_like_get_without_a_body() {
    let w = world(Config::default());
    let (get, _) = w.get("/photo.jpg?w=90").await;
    let mut head = request("/photo.jpg?w=90");
    head.method = Method::Head;
    let (res, _) = w.send(head).await;
    assert_eq!((res.status, res.body.len(), res.header("x-cache")), (200, 0, Some("HIT")));
    assert_eq!(res.header("content-length"), get.header("content-length"));
}

#[tokio::test(start_paused = true)]
async fn plain_errors_and_the_original_fallback() {
    let w = world(Config::default());
    assert_eq!(w.get("/missing.jpg?w=10").await.0.status, 404);
    w.clear_log();
    let mut post = request("/photo.jpg");
    post.method = Method::Other;
    let (res, _) = w.send(post).await;
    assert_eq!((res.status, res.header("allow")), (405, Some("GET, HEAD")));
    assert!(w.calls().is_empty(), "a refused request reads nothing");
    w.put("scan.tiff.jpg", b"II*\0 not a jpeg".to_vec(), "image/tiff");
    let (res, trace) = w.get("/scan.tiff.jpg?w=10").await;
    assert_eq!(res.status, 415, "{:?}", trace.error);

    let fallback = Config { http: HttpSettings { on_error_original: true, ..Default::default() }, ..Config::default() };
    let w = world(fallback);
    w.put("scan.tiff.jpg", b"II*\0 not a jpeg".to_vec(), "image/tiff");
    let (res, _) = w.get("/scan.tiff.jpg?w=10").await;
    assert_eq!((res.status, res.body.as_slice()), (200, b"II*\0 not a jpeg".as_slice()));
    assert!(res.header("x-resize-error").is_some_and(|m| m.contains("TIFF")));
}

/// With a signing key, the flow checks `exp` against its own clock.
#[tokio::test(start_paused = true)]
async fn signatures_expire_by_the_ports_clock() {
    let config = Config::from_lookup(|name| (name == "SIGNING_KEY").then(|| KEY.to_string())).unwrap();
    let w = world(config);
    let now = (UNIX_START_MS / 1000.0) as u64;
    let url = |exp: u64| {
        let unsigned = format!("/photo.jpg?w=10&exp={exp}");
        format!("{unsigned}&sig={}", crate::policy::sign(&unsigned, KEY.as_bytes()))
    };
    assert_eq!(w.get(&url(now + 5)).await.0.status, 200);
    assert_eq!(w.get(&url(now - 5)).await.0.status, 403);
}

/// Over the in-flight budget, a request waits, then gets 503 with Retry-After.
#[tokio::test(start_paused = true)]
async fn a_full_gate_answers_busy_after_waiting() {
    let limits = Limits { in_flight_budget: 1, in_flight_wait_ms: 100, ..Limits::default() };
    let w = world(Config { pipeline: PipelineSettings { limits, ..Default::default() }, ..Config::default() });
    let clock = super::memory::PausedClock::new();
    let held = w.gate.take(1, &limits, &clock).await.unwrap();
    let before = w.now();
    let (res, _) = w.get("/photo.jpg?w=10").await;
    assert_eq!((res.status, res.header("retry-after")), (503, Some("1")));
    assert!(w.now() - before >= 100, "it waited for the budget first");
    drop(held);
    assert_eq!(w.get("/photo.jpg?w=10").await.0.status, 200);
}

/// An AVIF past `AVIF_MAX_SIDE` is served as WebP and stored as this URL's variant; the limits
/// that decide the format are part of an AVIF's ETag, so changing them never gives one ETag two
/// different bodies. Other formats' ETags do not depend on them.
#[tokio::test(start_paused = true)]
async fn an_avif_over_its_side_is_webp_and_its_etag_names_the_limits() {
    let served = |side: u32, url: &'static str| async move {
        let mut config = Config::default();
        config.pipeline.limits.avif_max_side = side;
        let w = world(config);
        let (res, _) = w.get(url).await;
        let puts = ops(&w.calls()).iter().filter(|op| op.starts_with("put _variants/")).count();
        (res.status, res.header("content-type").map(String::from), res.header("etag").map(String::from), puts)
    };
    let (status, content_type, narrow, puts) = served(200, "/photo.jpg?w=300&format=avif").await;
    assert_eq!((status, content_type.as_deref(), puts), (200, Some("image/webp"), 1), "served as WebP and stored");
    let (_, wide_type, wide, _) = served(400, "/photo.jpg?w=300&format=avif").await;
    assert_ne!(narrow, wide, "another AVIF_MAX_SIDE, another ETag");
    assert_ne!(wide_type.as_deref(), Some("image/webp"), "within the side: not WebP");
    let (.., webp_a, _) = served(200, "/photo.jpg?w=300&format=webp").await;
    let (.., webp_b, _) = served(400, "/photo.jpg?w=300&format=webp").await;
    assert_eq!(webp_a, webp_b);
}

/// `AVIF_SPEED` changes an AVIF's bytes, so it changes its ETag (and nothing else's).
#[tokio::test(start_paused = true)]
async fn another_avif_speed_is_another_avif_etag() {
    let etag = |speed: u8, url: &'static str| async move {
        let mut config = Config::default();
        config.pipeline.avif_speed = speed;
        let (res, _) = world(config).get(url).await;
        (res.header("content-type").map(String::from), res.header("etag").map(String::from))
    };
    let (fast, slow) = (etag(10, "/photo.jpg?w=40&format=avif").await, etag(9, "/photo.jpg?w=40&format=avif").await);
    assert_eq!((fast.0.as_deref(), slow.0.as_deref()), (Some("image/avif"), Some("image/avif")));
    assert_ne!(fast.1, slow.1);
    assert_eq!(etag(10, "/photo.jpg?w=40&format=webp").await, etag(9, "/photo.jpg?w=40&format=webp").await);
}
