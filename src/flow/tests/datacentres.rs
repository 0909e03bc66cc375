//! Two data centres (two worlds on one bucket, each with its own cache and isolate) on the paused
//! clock: what A writes, B uses (persisted and eager variants); what A replaces or deletes, A shows
//! at once and B within `MAX_STALE_S` and one more request (the one whose check finds it), never
//! later. At `MAX_STALE_S` 0, 1 and the default.

use super::world::{request, World};
use super::{ops, size, LATENCY};
use crate::config::Config;
use crate::fixtures;
use crate::flow::{Method, Request};
use tokio::time::{advance, Duration};

const TOKEN: &str = "a-local-upload-token";

fn config(max_stale_s: u32) -> Config {
    let mut c = Config::from_lookup(|n| match n {
        "UPLOAD_TOKEN" => Some(TOKEN.to_string()),
        "EAGER_VARIANTS" => Some("w=40".to_string()),
        _ => None,
    })
    .unwrap();
    c.http.max_stale_s = max_stale_s;
    c
}

fn upload(key: &str, method: Method) -> Request {
    Request { method, authorization: Some(format!("Bearer {TOKEN}")), ..request(&format!("/{key}")) }
}

async fn put(w: &World, key: &str, bytes: Vec<u8>) {
    let (res, _) = w.send_body(upload(key, Method::Put), bytes).await;
    assert!(matches!(res.status, 200 | 201), "{}", String::from_utf8_lossy(&res.body));
}

/// How many requests B answers with the old picture (`old_width` wide) before the new one.
async fn old_answers_in_b(b: &World, url: &str, old_width: u32, new_width: u32) -> usize {
    for n in 0..5 {
        let (res, _) = b.get(url).await;
        assert_eq!(res.status, 200);
        let width = size(&res.body).0;
        if width == new_width {
            return n;
        }
        assert_eq!(width, old_width);
    }
    panic!("B never showed the new original");
}

#[tokio::test(start_paused = true)]
async fn what_one_data_centre_writes_the_other_uses_and_sees_within_the_window() {
    for max_stale in [0u32, 1, 60] {
        let a = World::new(LATENCY, config(max_stale));
        let b = a.beside();
        put(&a, "p.png", fixtures::png(&fixtures::alpha_disc(300, 200))).await;
        let url = "/p.png?h=50";
        let (made, _) = a.get(url).await;
        assert_eq!((made.header("x-cache"), size(&made.body)), (Some("MISS"), (75, 50)));

        // B uses A's persisted variant: no resize, no read of the original.
        a.clear_log();
        let (used, _) = b.get(url).await;
        assert_eq!((used.header("x-cache"), used.body == made.body), (Some("VARIANT"), true), "MAX_STALE_S={max_stale}");
        assert!(!ops(&a.calls()).contains(&"read p.png"), "{:?}", a.calls());
        // Now cached in B too.
        assert_eq!(b.get(url).await.0.header("x-cache"), Some("HIT"));

        // A replaces it: A at once; B after the window, within one request.
        put(&a, "p.png", fixtures::png(&fixtures::alpha_disc(100, 100))).await;
        assert_eq!(size(&a.get(url).await.0.body), (50, 50), "A shows the new original at once");
        advance(Duration::from_secs(max_stale as u64) + Duration::from_millis(1)).await;
        let old = old_answers_in_b(&b, url, 75, 50).await;
        assert!(old <= 1, "MAX_STALE_S={max_stale}: {old} old answers past the window");
        if max_stale == 0 {
            assert_eq!(old, 0, "checked on every request");
        }

        // A deletes it: A 404 at once; B within the window and one request.
        let (deleted, _) = a.send(upload("p.png", Method::Delete)).await;
        assert_eq!(deleted.status, 200);
        assert_eq!(a.get(url).await.0.status, 404);
        advance(Duration::from_secs(max_stale as u64) + Duration::from_millis(1)).await;
        let mut statuses = Vec::new();
        for _ in 0..3 {
            statuses.push(b.get(url).await.0.status);
        }
        let served = statuses.iter().take_while(|s| **s == 200).count();
        assert!(served <= 1 && statuses[served..].iter().all(|s| *s == 404), "MAX_STALE_S={max_stale}: {statuses:?}");
    }
}

/// Eager variants rendered once (one queue message, in whichever data centre consumes it) serve
/// both data centres from R2.
#[tokio::test(start_paused = true)]
async fn eager_variants_rendered_once_serve_both() {
    let a = World::new(LATENCY, config(60));
    let b = a.beside();
    a.put("e.png", fixtures::png(&fixtures::alpha_disc(200, 100)), "image/png");
    a.eager("PutObject", "e.png").await.unwrap();
    a.clear_log();
    for w in [&a, &b] {
        let (res, _) = w.get("/e.png?w=40").await;
        assert_eq!((res.header("x-cache"), size(&res.body)), (Some("VARIANT"), (40, 20)));
    }
    assert!(!ops(&a.calls()).contains(&"read e.png"), "neither rendered it: {:?}", a.calls());
}
