//! `ORIGIN_URL`: originals R2 does not have come from the old origin on the same URL, are
//! copied into R2 byte for byte, and are fetched once however many ask; a bad origin is a clear
//! answer with nothing stored. Origin round trips are counted on the paused clock as R2's are.

use super::memory_origin::OriginAnswer;
use super::world::{request, World};
use super::{ops, photo, size, LATENCY};
use crate::config::{Config, S3Keys};
use crate::flow::Method;
use futures_util::future::join_all;

/// A bucket with nothing in it, in front of the old origin's `/bucket`.
fn migrating(config: impl FnOnce(&mut Config)) -> World {
    let mut c = Config::default();
    c.origin.url = Some("https://old.example/bucket/".parse().unwrap());
    config(&mut c);
    World::new(LATENCY, c)
}

fn origin_has(w: &World, key: &str, bytes: Vec<u8>) {
    w.origin.answer(&format!("/bucket/{key}"), OriginAnswer::image(bytes, "image/jpeg"));
}

fn origin_requests(w: &World) -> Vec<String> {
    ops(&w.calls()).into_iter().filter(|op| op.starts_with("origin ")).map(String::from).collect()
}

#[tokio::test(start_paused = true)]
async fn a_first_read_comes_from_the_origin_and_is_copied_the_next_is_r2s() {
    let w = migrating(|_| {});
    origin_has(&w, "old/photo.jpg", photo());
    let (res, _) = w.get("/old/photo.jpg?w=300").await;
    assert_eq!((res.status, res.header("x-cache")), (200, Some("MISS")), "{:?}", String::from_utf8_lossy(&res.body));
    assert_eq!(size(&res.body), (300, 200));
    assert_eq!(origin_requests(&w), ["origin GET /bucket/old/photo.jpg"]);
    // The copy is the origin's bytes, typed as the origin typed them, and its ETag is R2's.
    assert_eq!(w.store.bytes("old/photo.jpg").as_deref(), Some(&photo()[..]));
    let meta = w.store.meta("old/photo.jpg").unwrap();
    assert_eq!(meta.content_type.as_deref(), Some("image/jpeg"));
    let (original, _) = w.get("/old/photo.jpg").await;
    assert_eq!(original.body, photo());
    assert_eq!(original.header("etag"), Some(meta.http_etag.as_str()));

    // The old origin switched off: everything is R2's now.
    w.origin.clear();
    w.cache.evict();
    w.clear_log();
    let (again, _) = w.get("/old/photo.jpg?w=200").await;
    assert_eq!((again.status, size(&again.body)), (200, (200, 133)));
    assert!(origin_requests(&w).is_empty(), "{:?}", w.calls());
}

/// A first read waits for R2's wave, the origin, the copy and R2 again: four round trips, once
/// per original (a `head` alone, as a 304 check or a range makes, stops after the copy).
#[tokio::test(start_paused = true)]
async fn a_first_read_costs_the_origin_and_one_copy() {
    let w = migrating(|_| {});
    origin_has(&w, "a.jpg", photo());
    let (res, _) = w.get("/a.jpg?w=300").await;
    assert_eq!(res.status, 200);
    let calls = w.calls();
    let timeline: Vec<(u64, &str)> = calls.iter().map(|(t, op)| (*t, op.as_str())).filter(|(_, op)| !op.starts_with("cancel")).collect();
    assert!(
        timeline.starts_with(&[
            (0, "head a.jpg"),
            (0, "get _variants/a.jpg/w=300"),
            (0, "get _variants/a.jpg/mezzanine"),
            (0, "get a.jpg"),
            (LATENCY, "origin GET /bucket/a.jpg"),
            (2 * LATENCY, "put a.jpg"),
            (3 * LATENCY, "get a.jpg"),
        ]),
        "{timeline:?}"
    );
    assert_eq!(w.answered(), 4 * LATENCY);
}

#[tokio::test(start_paused = true)]
async fn concurrent_requests_make_one_origin_fetch() {
    let w = migrating(|_| {});
    origin_has(&w, "a.jpg", photo());
    let urls = ["/a.jpg?w=100", "/a.jpg?w=200", "/a.jpg?w=300", "/a.jpg", "/a.jpg?w=100&format=png"];
    let answers = join_all(urls.iter().map(|u| w.get(u))).await;
    for ((res, _), url) in answers.iter().zip(urls) {
        assert_eq!(res.status, 200, "{url}");
    }
    assert_eq!(answers[3].0.body, photo());
    assert_eq!(origin_requests(&w), ["origin GET /bucket/a.jpg"]);
    assert_eq!(ops(&w.calls()).iter().filter(|op| **op == "put a.jpg").count(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_key_missing_on_both_sides_is_a_404_remembered_for_a_while() {
    let w = migrating(|c| c.origin.miss_ttl_s = 30);
    for _ in 0..5 {
        assert_eq!(w.get("/nowhere.jpg?w=100").await.0.status, 404);
    }
    assert_eq!(origin_requests(&w), ["origin GET /bucket/nowhere.jpg"]);
    // Once the time is up, the origin is asked again (and now it has it).
    tokio::time::sleep(std::time::Duration::from_secs(31)).await;
    origin_has(&w, "nowhere.jpg", photo());
    w.cache.evict();
    assert_eq!(w.get("/nowhere.jpg?w=100").await.0.status, 200);
    assert_eq!(origin_requests(&w).len(), 2);
}

#[tokio::test(start_paused = true)]
async fn bad_origins_answer_clearly_and_store_nothing() {
    let html = b"<!doctype html><html><body>Not here</body></html>".to_vec();
    let big = vec![0xFFu8; 3 << 20];
    let cases: Vec<(&str, OriginAnswer, u16)> = vec![
        ("slow", OriginAnswer { delay_ms: 11_000, ..OriginAnswer::image(photo(), "image/jpeg") }, 504),
        ("failing", OriginAnswer { status: 503, ..Default::default() }, 502),
        ("refusing", OriginAnswer { status: 403, ..Default::default() }, 502),
        ("html", OriginAnswer { status: 200, headers: vec![("content-type".into(), "text/html".into())], body: html, delay_ms: 0 }, 422),
        ("text", OriginAnswer { status: 200, headers: vec![], body: b"hello".to_vec(), delay_ms: 0 }, 422),
        ("video", OriginAnswer::image(b"\0\0\0\x18ftypisom\0\0\0\0isommp41".to_vec(), "image/jpeg"), 415),
        ("large-declared", OriginAnswer::image(big.clone(), "image/jpeg"), 413),
        // No Content-Length (chunked): refused as the bytes pass the limit.
        ("large-chunked", OriginAnswer { status: 200, headers: vec![], body: big, delay_ms: 0 }, 413),
    ];
    for (name, answer, status) in cases {
        let w = migrating(|c| c.origin.max_bytes = 2 << 20);
        w.origin.answer(&format!("/bucket/{name}.jpg"), answer);
        for url in [format!("/{name}.jpg?w=100"), format!("/{name}.jpg")] {
            let (res, _) = w.get(&url).await;
            assert_eq!(res.status, status, "{url}: {}", String::from_utf8_lossy(&res.body));
            assert!(res.body.len() < 300, "a short message: {url}");
            if status >= 500 {
                assert_eq!(res.header("cache-control"), Some("no-store"), "{url}");
            }
        }
        assert!(!ops(&w.calls()).iter().any(|op| op.starts_with("put")), "{name}: nothing stored: {:?}", w.calls());
    }
}

#[tokio::test(start_paused = true)]
async fn redirects_are_followed_on_the_same_origin_only_and_three_at_most() {
    let redirect = |to: &str| OriginAnswer { status: 302, headers: vec![("location".into(), to.into())], ..Default::default() };
    let w = migrating(|_| {});
    w.origin.answer("/bucket/moved.jpg", redirect("/bucket/1.jpg"));
    w.origin.answer("/bucket/1.jpg", redirect("https://old.example/bucket/2.jpg"));
    w.origin.answer("/bucket/2.jpg", redirect("3.jpg"));
    w.origin.answer("/bucket/3.jpg", OriginAnswer::image(photo(), "image/jpeg"));
    w.origin.answer("/bucket/far.jpg", redirect("/bucket/moved.jpg"));
    w.origin.answer("/bucket/away.jpg", redirect("https://elsewhere.example/bucket/3.jpg"));
    w.origin.answer("/bucket/insecure.jpg", redirect("http://old.example/bucket/3.jpg"));
    assert_eq!(w.get("/moved.jpg?w=100").await.0.status, 200);
    assert_eq!(w.store.bytes("moved.jpg").as_deref(), Some(&photo()[..]), "copied under the key asked for");
    for key in ["far", "away", "insecure"] {
        let (res, _) = w.get(&format!("/{key}.jpg?w=100")).await;
        assert_eq!(res.status, 502, "{key}: {}", String::from_utf8_lossy(&res.body));
        assert!(w.store.bytes(&format!("{key}.jpg")).is_none());
    }
    assert!(!origin_requests(&w).iter().any(|r| r.contains("elsewhere")));
}

/// An upload that lands while the origin is read wins: the copy never replaces it.
#[tokio::test(start_paused = true)]
async fn an_upload_during_the_copy_wins() {
    let w = migrating(|_| {});
    w.origin.answer("/bucket/a.jpg", OriginAnswer { delay_ms: 100, ..OriginAnswer::image(photo(), "image/jpeg") });
    let uploaded = crate::fixtures::png(&crate::fixtures::alpha_disc(64, 64));
    let upload = async {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        w.put("a.jpg", uploaded.clone(), "image/png");
    };
    let ((res, _), ()) = futures_util::future::join(w.get("/a.jpg"), upload).await;
    assert_eq!((res.status, res.header("content-type")), (200, Some("image/png")));
    assert_eq!(res.body, uploaded);
    assert_eq!(w.store.bytes("a.jpg"), Some(uploaded));
}

#[tokio::test(start_paused = true)]
async fn without_copy_the_origin_serves_every_miss_and_r2_keeps_nothing() {
    let w = migrating(|c| c.origin.copy = false);
    let mut answer = OriginAnswer::image(photo(), "image/jpeg");
    answer.headers.push(("etag".into(), "\"abc123\"".into()));
    w.origin.answer("/bucket/a.jpg", answer);
    let (first, _) = w.get("/a.jpg?w=100").await;
    assert_eq!((first.status, size(&first.body)), (200, (100, 67)));
    let (original, _) = w.get("/a.jpg").await;
    assert_eq!((&original.body, original.header("etag")), (&photo(), Some("\"abc123\"")));
    assert!(w.store.bytes("a.jpg").is_none());
    // A range of it, cut from the origin's bytes.
    let mut ranged = request("/a.jpg");
    ranged.range = Some("bytes=0-9".into());
    let (part, _) = w.send(ranged).await;
    assert_eq!((part.status, part.body.as_slice()), (206, &photo()[..10]));
    // Nothing is kept, so each read is the origin's (a range is one fetch, cut from its bytes).
    assert_eq!(origin_requests(&w).len(), 3);
}

#[tokio::test(start_paused = true)]
async fn s3_credentials_sign_every_origin_request() {
    let w = migrating(|c| {
        c.origin.s3 = Some(S3Keys { region: "eu-west-1".into(), access_key_id: "AKID".into(), secret_access_key: "secret".into() })
    });
    origin_has(&w, "a.jpg", photo());
    assert_eq!(w.get("/a.jpg?w=100").await.0.status, 200);
    assert_eq!(origin_requests(&w), ["origin GET /bucket/a.jpg signed"]);
}

#[tokio::test(start_paused = true)]
async fn without_an_origin_url_nothing_is_asked_beyond_r2() {
    let w = World::new(LATENCY, Config::default());
    origin_has(&w, "a.jpg", photo());
    assert_eq!(w.get("/a.jpg?w=100").await.0.status, 404);
    let mut head = request("/a.jpg");
    head.method = Method::Head;
    assert_eq!(w.send(head).await.0.status, 404);
    assert!(origin_requests(&w).is_empty());
}

/// Requests that wait for another's fetch get its outcome within one look (10 ms); when the
/// request that fetched goes away first (its client left), the next one fetches itself.
#[tokio::test(start_paused = true)]
async fn waiting_requests_see_the_outcome_soon_and_fetch_when_the_first_is_gone() {
    let w = migrating(|_| {});
    origin_has(&w, "a.jpg", photo());
    let started = w.now();
    let (first, second) = futures_util::future::join(w.get("/a.jpg?w=100"), async {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        let (res, _) = w.get("/a.jpg?w=200").await;
        (res, w.now())
    })
    .await;
    assert_eq!((first.0.status, second.0.status), (200, 200));
    // Its R2 get follows the copy by one look at most (the variant's put after the response
    // is counted too: the harness runs it before returning).
    assert!(second.1 - started <= 5 + 10 + 5 * LATENCY, "{} ms", second.1 - started);

    origin_has(&w, "b.jpg", photo());
    let gone = tokio::time::timeout(std::time::Duration::from_millis(LATENCY + LATENCY / 2), w.get("/b.jpg?w=100")).await;
    assert!(gone.is_err(), "the first request is dropped while the origin answers");
    let (res, _) = w.get("/b.jpg?w=100").await;
    assert_eq!(res.status, 200);
    assert_eq!(origin_requests(&w).iter().filter(|r| r.contains("b.jpg")).count(), 2);
}
