//! Absolute-URL sources (`REMOTE_HOSTS`): fetched from a listed origin, never stored as
//! originals, cached and persisted like ours under the URL, revalidated with a 304 after their
//! `Cache-Control`; anything else refused before a fetch.

use super::memory_origin::OriginAnswer;
use super::world::World;
use super::{ops, photo, size, KEY, LATENCY};
use crate::config::Config;
use std::time::Duration;

const SOURCE: &str = "https://images.example.com/a.jpg";

fn remote_world(config: impl FnOnce(&mut Config)) -> World {
    let mut c = Config::from_lookup(|n| (n == "REMOTE_HOSTS").then(|| "https://images.example.com https://*.cdn.example".into())).unwrap();
    config(&mut c);
    World::new(LATENCY, c)
}

fn served(bytes: Vec<u8>, etag: &str, cache_control: &str) -> OriginAnswer {
    let mut answer = OriginAnswer::image(bytes, "image/jpeg");
    answer.headers.push(("etag".into(), etag.into()));
    answer.headers.push(("cache-control".into(), cache_control.into()));
    answer
}

fn origin_requests(w: &World) -> Vec<String> {
    ops(&w.calls()).into_iter().filter(|op| op.starts_with("origin ")).map(String::from).collect()
}

#[tokio::test(start_paused = true)]
async fn a_listed_source_is_fetched_resized_and_never_stored_as_an_original() {
    let w = remote_world(|_| {});
    w.origin.answer(SOURCE, served(photo(), "\"v1\"", "max-age=600"));
    let url = format!("/cdn-cgi/image/width=100/{SOURCE}");
    let (res, _) = w.get(&url).await;
    assert_eq!((res.status, res.header("x-cache")), (200, Some("MISS")), "{}", String::from_utf8_lossy(&res.body));
    assert_eq!(size(&res.body), (100, 67));
    assert_eq!(origin_requests(&w), ["origin GET /a.jpg"]);
    let puts: Vec<String> = ops(&w.calls()).into_iter().filter(|op| op.starts_with("put")).map(String::from).collect();
    assert_eq!(puts, [format!("put _variants/{SOURCE}/w=100")], "only the variant, under the source URL");
    assert!(
        !ops(&w.calls()).iter().any(|op| op.contains(&format!("head {SOURCE}")) || op.contains(&format!("get {SOURCE}"))),
        "R2 is not asked for it"
    );

    // The cache gone, another data centre: the persisted variant answers, and the remote
    // original (fresh for its max-age) is not fetched at all.
    w.cache.evict();
    w.clear_log();
    let (again, _) = w.get(&url).await;
    assert_eq!((again.status, again.header("x-cache")), (200, Some("VARIANT")));
    assert_eq!(again.body, res.body);
    assert!(origin_requests(&w).is_empty(), "{:?}", w.calls());

    // A new size needs the bytes again: one fetch.
    let (other, _) = w.get(&format!("/cdn-cgi/image/width=50/{SOURCE}")).await;
    assert_eq!((other.status, size(&other.body)), (200, (50, 33)));
    assert_eq!(origin_requests(&w), ["origin GET /a.jpg"]);
}

#[tokio::test(start_paused = true)]
async fn sources_off_the_list_are_refused_before_any_fetch() {
    let w = remote_world(|_| {});
    w.origin.answer("/a.jpg", served(photo(), "\"v1\"", "max-age=600"));
    for source in [
        "https://other.example/a.jpg",
        "http://images.example.com/a.jpg",
        "https://images.example.com:8443/a.jpg",
        "https://cdn.example/a.jpg",
        "https://127.0.0.1/a.jpg",
        "https://169.254.169.254/a.jpg",
    ] {
        let (res, _) = w.get(&format!("/cdn-cgi/image/width=100/{source}")).await;
        assert_eq!(res.status, 403, "{source}: {}", String::from_utf8_lossy(&res.body));
    }
    let (listed, _) = w.get("/cdn-cgi/image/width=100/https://eu.cdn.example/a.jpg").await;
    assert_eq!(listed.status, 200);
    assert_eq!(origin_requests(&w).len(), 1, "only the listed one was fetched");
    // None listed (the default): every source refused.
    let closed = World::new(LATENCY, Config::default());
    assert_eq!(closed.get(&format!("/cdn-cgi/image/width=100/{SOURCE}")).await.0.status, 403);
}

#[tokio::test(start_paused = true)]
async fn revalidated_after_its_cache_control_with_a_304_and_replaced_when_it_changed() {
    let w = remote_world(|c| c.http.max_stale_s = 0);
    w.origin.answer(SOURCE, served(photo(), "\"v1\"", "public, max-age=120"));
    let url = format!("/cdn-cgi/image/width=100/{SOURCE}");
    let (first, _) = w.get(&url).await;
    assert_eq!(first.status, 200);

    // Within max-age: a hit asks nobody.
    w.clear_log();
    tokio::time::sleep(Duration::from_secs(100)).await;
    let (hit, _) = w.get(&url).await;
    assert_eq!(hit.header("x-cache"), Some("HIT"));
    assert!(origin_requests(&w).is_empty(), "{:?}", w.calls());

    // Past it: one conditional request, a 304, and the hit stands.
    tokio::time::sleep(Duration::from_secs(30)).await;
    let (revalidated, _) = w.get(&url).await;
    assert_eq!((revalidated.status, revalidated.header("x-cache")), (200, Some("HIT")));
    assert_eq!(origin_requests(&w), ["origin GET /a.jpg conditional"]);

    // The remote original changes: after max-age the new one is served, under a new ETag.
    let changed = crate::fixtures::jpeg(&crate::fixtures::photo(300, 300, 7), false, None);
    w.origin.answer(SOURCE, served(changed, "\"v2\"", "public, max-age=120"));
    tokio::time::sleep(Duration::from_secs(121)).await;
    let (new, _) = w.get(&url).await;
    assert_eq!((new.status, size(&new.body)), (200, (100, 100)));
    assert_ne!(new.header("etag"), first.header("etag"));
}

#[tokio::test(start_paused = true)]
async fn redirects_are_checked_against_the_list_and_bad_sources_store_nothing() {
    let redirect = |to: &str| OriginAnswer { status: 302, headers: vec![("location".into(), to.into())], ..Default::default() };
    let w = remote_world(|c| c.origin.max_bytes = 1 << 20);
    w.origin.answer("https://images.example.com/moved.jpg", redirect("https://eu.cdn.example/a.jpg"));
    w.origin.answer("https://eu.cdn.example/a.jpg", served(photo(), "\"v1\"", "max-age=60"));
    w.origin.answer("https://images.example.com/away.jpg", redirect("https://elsewhere.example/a.jpg"));
    w.origin
        .answer("https://images.example.com/page.jpg", OriginAnswer { status: 200, body: b"<html></html>".to_vec(), ..Default::default() });
    w.origin.answer("https://images.example.com/huge.jpg", OriginAnswer { status: 200, body: vec![0xFF; 2 << 20], ..Default::default() });
    w.origin.answer("https://images.example.com/slow.jpg", OriginAnswer { delay_ms: 11_000, ..served(photo(), "\"v\"", "") });
    for (name, status) in [("moved", 200), ("away", 502), ("page", 422), ("huge", 413), ("slow", 504), ("missing", 404)] {
        let (res, _) = w.get(&format!("/cdn-cgi/image/width=100/https://images.example.com/{name}.jpg")).await;
        assert_eq!(res.status, status, "{name}: {}", String::from_utf8_lossy(&res.body));
    }
    assert!(!origin_requests(&w).iter().any(|r| r.contains("elsewhere")));
    let puts: Vec<String> = ops(&w.calls()).into_iter().filter(|op| op.starts_with("put")).map(String::from).collect();
    assert_eq!(puts.len(), 1, "the one variant made: {puts:?}");
}

#[tokio::test(start_paused = true)]
async fn a_signature_covers_the_source_url() {
    let w = remote_world(|c| {
        *c = Config { origin: c.origin.clone(), ..Config::from_lookup(|n| (n == "SIGNING_KEY").then(|| KEY.to_string())).unwrap() }
    });
    w.origin.answer("/a.jpg", served(photo(), "\"v1\"", "max-age=60"));
    let signed = |path: &str| format!("{path}?sig={}", crate::policy::sign(path, KEY.as_bytes()));
    let good = format!("/cdn-cgi/image/width=100/{SOURCE}");
    assert_eq!(w.get(&signed(&good)).await.0.status, 200);
    let swapped = signed(&good).replace("images.example.com/a.jpg", "eu.cdn.example/a.jpg");
    assert_eq!(w.get(&swapped).await.0.status, 403);
}

#[tokio::test(start_paused = true)]
async fn next_js_image_urls_name_remote_and_local_originals() {
    let w = remote_world(|_| {});
    w.put("photos/a.jpg", photo(), "image/jpeg");
    w.origin.answer(SOURCE, served(photo(), "\"v1\"", "max-age=60"));
    let mut req = super::world::request("/_next/image?url=%2Fphotos%2Fa.jpg&w=64&q=75");
    req.accept = Some("image/webp,*/*".into());
    let (local, _) = w.send(req).await;
    assert_eq!((local.status, local.header("content-type")), (200, Some("image/webp")));
    assert_eq!(size(&local.body), (64, 43));
    let (remote, _) = w.get("/_next/image?url=https%3A%2F%2Fimages.example.com%2Fa.jpg&w=64&q=75").await;
    assert_eq!((remote.status, size(&remote.body)), (200, (64, 43)));
}
