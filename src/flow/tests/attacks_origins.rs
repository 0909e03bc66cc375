//! The threat model's promises about origins tried as an attacker would: a remote source varied
//! by query or spelling, an origin that changes between two reads or lies about its type, a
//! flood of names R2 does not have, replays of a proxied original, and what an isolate remembers
//! of origins. Every answer is a 4xx or a bounded count, never a 500.

use super::attacks::{config, origin_gets, remote_world, tiny_jpeg, REMOTE, SCRIPTED};
use super::memory_origin::OriginAnswer;
use super::world::{request, World};
use super::{ops, photo, size, LATENCY};
use crate::config::Config;
use crate::flow::origin::SourcedBody;
use std::rc::Rc;

#[tokio::test(start_paused = true)]
async fn a_remote_source_varied_by_query_is_one_original_counted_before_its_download() {
    let w = remote_world("5");
    let mut statuses = Vec::new();
    for n in 1..=20 {
        let (res, _) = w.get(&format!("/cdn-cgi/image/width=100/{REMOTE}?n={n}")).await;
        statuses.push(res.status);
    }
    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 5, "{statuses:?}");
    assert!(statuses[5..].iter().all(|s| *s == 429), "{statuses:?}");
    assert_eq!(origin_gets(&w), 5, "a refused render downloads nothing: {:?}", w.calls());
    let puts = ops(&w.calls()).iter().filter(|op| op.starts_with("put _variants/")).count();
    assert_eq!(puts, 5, "and persists nothing");
    // Descriptions download the original too: counted alike.
    let (json, _) = w.get(&format!("/cdn-cgi/image/format=json/{REMOTE}?n=20")).await;
    assert_eq!(json.status, 429);
    // What was made is still served: a hit, and the same URL again.
    let (hit, _) = w.get(&format!("/cdn-cgi/image/width=100/{REMOTE}?n=1")).await;
    assert_eq!((hit.status, hit.header("x-cache")), (200, Some("HIT")));
    w.cache.evict();
    let (again, _) = w.get(&format!("/cdn-cgi/image/width=100/{REMOTE}?n=2")).await;
    assert_eq!(again.status, 200, "a render counted once is not counted twice");
    // With the budget off, nothing is refused.
    let open = remote_world("0");
    for n in 1..=20 {
        assert_eq!(open.get(&format!("/cdn-cgi/image/width=100/{REMOTE}?n={n}")).await.0.status, 200);
    }
}

#[tokio::test(start_paused = true)]
async fn a_range_is_planned_and_cut_from_one_fetch_of_an_origin_that_changes() {
    let mut c = Config::default();
    c.origin.url = Some("https://old.example/bucket/".parse().unwrap());
    c.origin.copy = false;
    c.origin.miss_ttl_s = 0;
    let w = World::new(LATENCY, c);
    assert!(tiny_jpeg().len() < 1000 && photo().len() > 2000);
    let (big, small) = (OriginAnswer::image(photo(), "image/jpeg"), OriginAnswer::image(tiny_jpeg(), "image/jpeg"));
    w.origin.answer_in_turn("/bucket/a.jpg", vec![big, small]);
    let ranged = |header: &str| {
        let mut r = request("/a.jpg");
        r.range = Some(header.into());
        r
    };
    let (first, _) = w.send(ranged("bytes=1000-1999")).await;
    assert_eq!((first.status, first.body.as_slice()), (206, &photo()[1000..2000]));
    assert_eq!(origin_gets(&w), 1, "one fetch for the size and the part: {:?}", w.calls());
    // The origin now sends a file smaller than the range: planned on those bytes, a 416.
    w.clear_log();
    let (second, _) = w.send(ranged("bytes=1000-1999")).await;
    assert_eq!(second.status, 416, "{}", String::from_utf8_lossy(&second.body));
    assert_eq!(second.header("content-range"), Some(format!("bytes */{}", tiny_jpeg().len()).as_str()));
    let (suffix, _) = w.send(ranged("bytes=-5000")).await;
    assert_eq!((suffix.status, suffix.body), (206, tiny_jpeg()));
    assert_eq!(origin_gets(&w), 2);
}

#[test]
fn a_part_of_fetched_bytes_is_checked_against_them() {
    let bytes = Rc::new(vec![0u8; 10]);
    assert!(SourcedBody::<()>::fetched(bytes.clone(), 2, 8).is_ok());
    for (offset, length) in [(2, 9), (11, 0), (usize::MAX, 2)] {
        let refused = SourcedBody::<()>::fetched(bytes.clone(), offset, length).err().expect("refused");
        assert_eq!(refused.status(), 502, "{offset}+{length}");
    }
    assert!(crate::flow::origin::part(&bytes, 5, 6).is_err());
}

#[tokio::test(start_paused = true)]
async fn an_origin_cannot_type_a_script_past_the_sanitiser() {
    for copy in [true, false] {
        let mut c = Config::default();
        c.origin.url = Some("https://old.example/bucket/".parse().unwrap());
        c.origin.copy = copy;
        let w = World::new(LATENCY, c);
        for lie in ["image/png,image/svg+xml", "image/png", "image/jpeg; charset=x, image/svg+xml"] {
            let key = format!("evil-{}.png", lie.len());
            w.origin.answer(&format!("/bucket/{key}"), OriginAnswer::image(SCRIPTED.as_bytes().to_vec(), lie));
            // Twice: from the origin's answer, then (with the copy) from R2's.
            for _ in 0..2 {
                let (res, _) = w.get(&format!("/{key}")).await;
                let body = String::from_utf8_lossy(&res.body);
                assert_eq!((res.status, res.header("content-type")), (200, Some("image/svg+xml")), "{lie} copy={copy}: {body}");
                assert!(body.contains("<rect") && !body.contains("<script") && !body.contains("alert"), "{lie}: {body}");
            }
            if copy {
                assert_eq!(w.store.meta(&key).unwrap().content_type.as_deref(), Some("image/svg+xml"), "stored as what it is");
            }
            let (drawn, _) = w.get(&format!("/{key}?w=20")).await;
            assert_eq!((drawn.status, size(&drawn.body)), (200, (20, 20)));
        }
    }
}

/// What the isolate remembers of remote originals stays within its bytes, however many sources
/// and however long the headers their origin sends.
#[tokio::test(start_paused = true)]
async fn what_an_isolate_remembers_of_origins_is_bounded_in_bytes() {
    let w = World::new(LATENCY, config(&[("REMOTE_HOSTS", "https://images.example.com"), ("RENDER_BUDGET", "0")]));
    let tiny = tiny_jpeg();
    for n in 0..300 {
        let source = format!("https://images.example.com/{n}/{}.jpg", "p".repeat(800));
        let mut answer = OriginAnswer::image(tiny.clone(), "image/jpeg");
        answer.headers.push(("etag".into(), format!("\"{}\"", "e".repeat(200))));
        answer.headers.push(("last-modified".into(), "Tue, 01 Dec 2026 00:00:00 GMT".into()));
        answer.headers.push(("cache-control".into(), format!("max-age=600, {}", "x".repeat(60_000))));
        w.origin.answer(&source, answer);
        // Refusals are remembered too: a source the origin does not have.
        let (res, _) = w.get(&format!("/cdn-cgi/image/width=4/{source}")).await;
        assert_eq!(res.status, 200, "{}", String::from_utf8_lossy(&res.body));
        let (missing, _) = w.get(&format!("/cdn-cgi/image/width=4/https://images.example.com/missing/{n}/{}.jpg", "q".repeat(800))).await;
        assert_eq!(missing.status, 404);
    }
    let bound = 2 * crate::flow::origin::MAX_REMEMBERED_BYTES;
    assert!(w.copies.remembered_bytes() <= bound, "{} > {bound}", w.copies.remembered_bytes());
    assert!(w.copies.remembered_bytes() > bound / 4, "the count counts: {}", w.copies.remembered_bytes());
}

/// An original an origin sends on every read (a remote source as stored, `ORIGIN_URL` without a
/// copy) is downloaded by each request: replaying one URL, or varying its query, is bounded by
/// the render budget and the client's limiter, counted before the download.
#[tokio::test(start_paused = true)]
async fn originals_proxied_from_an_origin_are_counted_before_each_download() {
    let w = remote_world("4");
    let as_stored = format!("/cdn-cgi/image/onerror=redirect/{REMOTE}?n=1");
    let mut statuses = Vec::new();
    for _ in 0..10 {
        statuses.push(w.get(&as_stored).await.0.status);
    }
    assert_eq!(statuses, [200, 200, 200, 200, 429, 429, 429, 429, 429, 429], "{:?}", w.calls());
    assert_eq!(origin_gets(&w), 4);
    // Served as stored, someone else's picture is not promised for a year.
    let fresh = remote_world("4");
    let (served, _) = fresh.get(&as_stored).await;
    assert_eq!((served.status, served.header("cache-control")), (200, Some("public, max-age=60")));

    let mut c = Config::default();
    c.origin.url = Some("https://old.example/bucket/".parse().unwrap());
    c.origin.copy = false;
    c.cost.render_budget = 3;
    let w = World::new(LATENCY, c);
    w.origin.answer("/bucket/a.jpg", OriginAnswer::image(photo(), "image/jpeg"));
    let mut statuses = Vec::new();
    for width in 1..=6 {
        statuses.push(w.get(&format!("/a.jpg?w={width}")).await.0.status);
    }
    assert_eq!(statuses, [200, 200, 200, 429, 429, 429]);
    assert_eq!(origin_gets(&w), 3, "a refused render downloads nothing: {:?}", w.calls());
    // The operator's own originals as stored are served as often as they are asked for.
    for _ in 0..10 {
        assert_eq!(w.get("/a.jpg").await.0.status, 200);
    }
}

/// An R2 original replaced between the metadata a range is planned on and the cut: the range is
/// planned again on what the cut returned, so `Content-Range` describes the bytes sent.
#[tokio::test(start_paused = true)]
async fn a_range_of_an_original_replaced_meanwhile_describes_what_is_sent() {
    let w = World::new(LATENCY, Config::default());
    w.put("a.jpg", photo(), "image/jpeg");
    let mut ranged = request("/a.jpg");
    ranged.range = Some("bytes=-100".into());
    let replace = async {
        // After the `head` (one latency), before the ranged `get` reads.
        tokio::time::sleep(std::time::Duration::from_millis(LATENCY + LATENCY / 2)).await;
        w.put("a.jpg", tiny_jpeg(), "image/jpeg");
    };
    let ((res, _), ()) = futures_util::future::join(w.send(ranged), replace).await;
    let tiny = tiny_jpeg();
    assert_eq!(res.status, 206);
    assert_eq!(res.body, tiny[tiny.len() - 100..], "the last 100 bytes of what is stored now");
    assert_eq!(res.header("content-range"), Some(format!("bytes {}-{}/{}", tiny.len() - 100, tiny.len() - 1, tiny.len()).as_str()));
}

/// `ORIGIN_URL`: a flood of names R2 does not have reaches the origin only as often as the
/// client's limiter allows, each fetch asked before it is made.
#[tokio::test(start_paused = true)]
async fn a_flood_of_missing_names_reaches_the_origin_boundedly() {
    let mut c = Config::default();
    c.origin.url = Some("https://old.example/bucket/".parse().unwrap());
    let mut w = World::new(LATENCY, c);
    w.limiter = Some(Rc::new(super::world::CountingLimiter { limit: 3, ..Default::default() }));
    let mut statuses = Vec::new();
    for n in 0..10 {
        let mut r = request(&format!("/r{n}.jpg"));
        r.client = Some("198.51.100.9".into());
        statuses.push(w.send(r).await.0.status);
    }
    assert_eq!(statuses, [404, 404, 404, 429, 429, 429, 429, 429, 429, 429]);
    assert_eq!(origin_gets(&w), 3, "{:?}", w.calls());
}
