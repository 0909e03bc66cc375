//! The staleness contract (`flow::freshness`), on a fake clock: within `MAX_STALE_S` of its last
//! check a data centre answers hits and 304s without R2; after it, a hit is served at once and the
//! original checked after the response; a replaced original then shows on the next request.

use super::world::request;
use super::{ops, size, world};
use crate::config::Config;
use crate::fixtures;
use futures_util::future::join;
use tokio::time::{advance, Duration};

fn heads(calls: &[(u64, String)]) -> usize {
    calls.iter().filter(|(_, op)| op.starts_with("head")).count()
}

#[tokio::test(start_paused = true)]
async fn a_replaced_original_shows_within_the_window_after_the_last_check() {
    let w = world(Config::default());
    let (old, _) = w.get("/alpha.png?w=60").await;
    let (old_other, _) = w.get("/alpha.png?w=30").await;
    assert_eq!((old.header("x-cache"), old_other.header("x-cache")), (Some("MISS"), Some("MISS")));
    w.put("alpha.png", fixtures::grey16_png(120, 120), "image/png");

    // Within the window: the old copy, and R2 is not asked.
    advance(Duration::from_secs(30)).await;
    w.clear_log();
    let (within, _) = w.get("/alpha.png?w=60").await;
    assert_eq!((within.header("x-cache"), within.body == old.body), (Some("HIT"), true));
    assert!(w.calls().is_empty(), "{:?}", w.calls());

    // Past it: still the old copy at once, and the original is checked after the response.
    advance(Duration::from_secs(31)).await;
    w.clear_log();
    let before = w.now();
    let (served, _) = w.get("/alpha.png?w=60").await;
    assert_eq!((served.header("x-cache"), served.body == old.body), (Some("HIT"), true));
    assert_eq!(w.answered(), before, "served without waiting for R2");
    assert_eq!(ops(&w.calls()), ["head alpha.png"], "the check, after the response");

    // The check found a new version: the next request makes it, and the other variant's cached
    // copy is refused at once by its ETag.
    let (new, _) = w.get("/alpha.png?w=60").await;
    assert_eq!((new.header("x-cache"), size(&new.body)), (Some("MISS"), (60, 60)));
    let (new_other, _) = w.get("/alpha.png?w=30").await;
    assert_eq!((new_other.header("x-cache"), size(&new_other.body)), (Some("MISS"), (30, 30)));
}

#[tokio::test(start_paused = true)]
async fn an_unchanged_original_is_checked_once_per_window_and_its_copies_kept() {
    let w = world(Config::default());
    w.get("/photo.jpg?w=100").await;
    advance(Duration::from_secs(61)).await;
    w.clear_log();
    // A burst of hits after the window: one check for all of them.
    let (a, b) = join(w.get("/photo.jpg?w=100"), w.get("/photo.jpg?w=100")).await;
    assert_eq!((a.0.header("x-cache"), b.0.header("x-cache")), (Some("HIT"), Some("HIT")));
    assert_eq!(heads(&w.calls()), 1, "{:?}", w.calls());
    w.clear_log();
    let (again, _) = w.get("/photo.jpg?w=100").await;
    assert_eq!(again.header("x-cache"), Some("HIT"), "the copy was kept");
    assert!(w.calls().is_empty(), "remembered again for a new window: {:?}", w.calls());
}

#[tokio::test(start_paused = true)]
async fn a_deleted_original_drops_its_copy_after_the_check() {
    let w = world(Config::default());
    w.get("/photo.jpg?w=100").await;
    w.store.remove("photo.jpg");
    advance(Duration::from_secs(61)).await;
    assert_eq!(w.get("/photo.jpg?w=100").await.0.header("x-cache"), Some("HIT"), "served while the check runs");
    assert_eq!(w.get("/photo.jpg?w=100").await.0.status, 404);
}

/// 304s within the window come from the cached copy or the remembered metadata: no R2.
#[tokio::test(start_paused = true)]
async fn not_modified_within_the_window_asks_r2_nothing() {
    let w = world(Config::default());
    let (first, _) = w.get("/photo.jpg?w=100").await;
    let etag = first.header("etag").unwrap().to_string();
    for evicted in [false, true] {
        if evicted {
            w.cache.evict();
        }
        w.clear_log();
        let mut req = request("/photo.jpg?w=100");
        req.if_none_match = Some(etag.clone());
        let (res, _) = w.send(req).await;
        assert_eq!((res.status, res.header("etag")), (304, Some(etag.as_str())), "evicted: {evicted}");
        assert!(w.calls().is_empty(), "evicted: {evicted}: {:?}", w.calls());
    }
    // Past the window, a 304 from the cached copy is answered at once too.
    w.get("/photo.jpg?w=100").await;
    advance(Duration::from_secs(61)).await;
    let before = w.now();
    let mut req = request("/photo.jpg?w=100");
    req.if_none_match = Some(etag.clone());
    let (res, _) = w.send(req).await;
    assert_eq!((res.status, w.answered()), (304, before));
}

/// A path-grammar URL reads the original's metadata from R2 in step 4: what it finds replaces
/// what the data centre remembered, so the other URLs of that original see the new version too.
#[tokio::test(start_paused = true)]
async fn metadata_read_by_a_path_grammar_url_replaces_what_was_remembered() {
    let w = world(Config::default());
    w.get("/alpha.png?w=40").await;
    w.put("alpha.png", fixtures::grey16_png(90, 90), "image/png");
    let (path, _) = w.get("/alpha-30x30.png").await;
    assert_eq!((path.header("x-cache"), size(&path.body)), (Some("MISS"), (30, 30)));
    let (query, _) = w.get("/alpha.png?w=40").await;
    assert_eq!((query.header("x-cache"), size(&query.body)), (Some("MISS"), (40, 40)), "the new version at once");
}

/// Whether a file really has a path-grammar URL's name is remembered like an original: the hit
/// asks R2 nothing, and a file put under that name directly in R2 wins once the window is over.
#[tokio::test(start_paused = true)]
async fn a_path_grammar_hit_asks_r2_nothing_within_the_window() {
    let w = world(Config::default());
    let (first, _) = w.get("/photo-200x200.jpg").await;
    assert_eq!((first.header("x-cache"), size(&first.body)), (Some("MISS"), (200, 200)));
    w.clear_log();
    let (hit, _) = w.get("/photo-200x200.jpg").await;
    assert_eq!(hit.header("x-cache"), Some("HIT"));
    assert!(w.calls().is_empty(), "{:?}", w.calls());

    let literal = fixtures::png(&fixtures::alpha_disc(30, 20));
    w.put("photo-200x200.jpg", literal.clone(), "image/png");
    assert_eq!(w.get("/photo-200x200.jpg").await.0.header("x-cache"), Some("HIT"), "within the window");
    advance(Duration::from_secs(61)).await;
    let (named, _) = w.get("/photo-200x200.jpg").await;
    assert_eq!((named.body == literal, named.header("x-cache")), (true, None), "the real file, as stored");
}
