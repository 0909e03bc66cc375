//! Each promise of docs/threat-model.md tried the way an attacker would: force a refusal to get
//! the bare original under a forced watermark, vary a remote source's query to get unbounded
//! renders, change an origin between two reads to break a range, lie about an origin's type to
//! smuggle a script, and store an original too large to read. Every answer is a 4xx, a bounded
//! count, or a watermarked or sanitised image, never a 500.

use super::memory_origin::OriginAnswer;
use super::world::{request, World};
use super::{ops, photo, size, LATENCY};
use crate::config::Config;
use crate::fixtures;
use crate::flow::origin::SourcedBody;
use std::rc::Rc;

fn config(pairs: &[(&str, &str)]) -> Config {
    let pairs: Vec<(String, String)> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    Config::from_lookup(|n| pairs.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone())).unwrap()
}

const MARK: &str = r#"{"mark": {"key": "brand/mark.png", "width": 40, "default_for": ["shop/"]}}"#;

/// Bytes that start as a JPEG and decode as nothing: every transform of them is a 422.
fn broken_jpeg() -> Vec<u8> {
    let mut bytes = vec![0xFF, 0xD8, 0xFF, 0xE0, 0, 16];
    bytes.extend(b"JFIF\0 and then nothing a decoder can read".iter());
    bytes
}

/// A shop's originals under a forced watermark, and the same files outside it.
fn shop(extra: &[(&str, &str)]) -> World {
    let mut pairs = vec![("OVERLAYS", MARK), ("ANIM_MAX_MEGAPIXELS", "1")];
    pairs.extend_from_slice(extra);
    let w = World::new(LATENCY, config(&pairs));
    w.put("brand/mark.png", fixtures::png(&fixtures::alpha_disc(80, 80)), "image/png");
    for prefix in ["shop", "plain"] {
        w.put(&format!("{prefix}/photo.jpg"), photo(), "image/jpeg");
        w.put(&format!("{prefix}/broken.jpg"), broken_jpeg(), "image/jpeg");
        // 400×300 × 10 frames: 1.2 MP, over ANIM_MAX_MEGAPIXELS=1, so served unchanged outside the shop.
        w.put(&format!("{prefix}/ball.gif"), fixtures::bouncing_ball(400, 300, 10), "image/gif");
    }
    w
}

#[tokio::test(start_paused = true)]
async fn a_forced_watermark_is_not_stripped_by_forcing_a_refusal() {
    for extra in [&[][..], &[("ON_ERROR", "original")][..]] {
        let w = shop(extra);
        let asks = |path: &str| match extra.is_empty() {
            true => format!("{path}&onerror=redirect"),
            false => path.to_string(),
        };
        // Outside the watermark's prefix, the fallback still serves the original's bytes…
        let (plain, _) = w.get(&asks("/plain/broken.jpg?w=100")).await;
        assert_eq!((plain.status, plain.body.as_slice()), (200, broken_jpeg().as_slice()), "{extra:?}");
        // …under it, a refusal stays a refusal: never the bare original.
        for (path, status) in [
            ("/shop/broken.jpg?w=100", 422),
            ("/shop/photo.jpg?width=4096&height=4096&fit=pad", 413),
            ("/shop/ball.gif?w=200&anim=true", 413),
        ] {
            let (res, _) = w.get(&asks(path)).await;
            assert_eq!(res.status, status, "{path} {extra:?}: {}", String::from_utf8_lossy(&res.body));
            assert!(res.header("x-resize-error").is_none(), "{path}: not the fallback");
        }
        // The animation over its budget is served unchanged outside the prefix, as Cloudflare does.
        let (ball, _) = w.get(&asks("/plain/ball.gif?w=200&anim=true")).await;
        assert_eq!((ball.status, ball.body.len()), (200, fixtures::bouncing_ball(400, 300, 10).len()));
        // And the plain URL under the prefix is a watermarked image, not the stored bytes.
        let (marked, _) = w.get("/shop/photo.jpg").await;
        assert_eq!(marked.status, 200);
        assert_ne!(marked.body, photo());
        assert_eq!(size(&marked.body), (600, 400));
    }
}

const REMOTE: &str = "https://images.example.com/x.jpg";

fn remote_world(budget: &str) -> World {
    let w = World::new(LATENCY, config(&[("REMOTE_HOSTS", "https://images.example.com"), ("RENDER_BUDGET", budget)]));
    for n in 1..=20 {
        let mut answer = OriginAnswer::image(photo(), "image/jpeg");
        answer.headers.push(("cache-control".into(), "max-age=600".into()));
        w.origin.answer(&format!("{REMOTE}?n={n}"), answer);
    }
    w
}

fn origin_gets(w: &World) -> usize {
    ops(&w.calls()).iter().filter(|op| op.starts_with("origin GET")).count()
}

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

/// A tiny JPEG: what an origin that shrank its file sends the second time.
fn tiny_jpeg() -> Vec<u8> {
    fixtures::jpeg(&fixtures::photo(8, 8, 1), false, None)
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

const SCRIPTED: &str = r#"<svg xmlns="http://www.w3.org/2000/svg" width="40" height="40"><script>alert(document.cookie)</script><rect width="40" height="40" fill="red"/></svg>"#;

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

#[tokio::test(start_paused = true)]
async fn a_stored_type_that_lists_svg_is_sanitised() {
    let w = World::new(LATENCY, Config::default());
    w.put("upload.png", SCRIPTED.as_bytes().to_vec(), "image/png,image/svg+xml");
    let (res, _) = w.get("/upload.png").await;
    let body = String::from_utf8_lossy(&res.body);
    assert_eq!((res.status, res.header("content-type")), (200, Some("image/svg+xml")));
    assert!(!body.contains("<script"), "{body}");
}

#[tokio::test(start_paused = true)]
async fn an_original_over_original_max_mb_is_refused_before_it_is_read() {
    let w = World::new(LATENCY, config(&[("ORIGINAL_MAX_MB", "1"), ("EAGER_VARIANTS", "w=100")]));
    let big =
        fixtures::png(&image::RgbaImage::from_fn(1200, 1200, |x, y| image::Rgba([(x * 7) as u8, (y * 13) as u8, (x ^ y) as u8, 255])));
    assert!(big.len() > 1 << 20, "{}", big.len());
    w.put("big.png", big.clone(), "image/png");
    w.put("small.jpg", photo(), "image/jpeg");
    w.clear_log();
    for url in ["/big.png?w=100", "/big.png?format=json", "/big.png?format=blurhash"] {
        let (res, _) = w.get(url).await;
        assert_eq!(res.status, 413, "{url}: {}", String::from_utf8_lossy(&res.body));
        assert!(String::from_utf8_lossy(&res.body).contains("ORIGINAL_MAX_MB"));
    }
    assert!(!ops(&w.calls()).contains(&"read big.png"), "never read: {:?}", w.calls());
    // As stored it is streamed, never read whole: still served.
    let (whole, _) = w.get("/big.png").await;
    assert_eq!((whole.status, whole.body.len()), (200, big.len()));
    assert_eq!(w.get("/small.jpg?w=100").await.0.status, 200);
    // Eager variants skip it as a refusal.
    w.clear_log();
    let eager = w.eager("PutObject", "big.png").await.unwrap();
    assert_eq!((eager.rendered.len(), eager.refused.len()), (0, 1), "{eager:?}");
    assert!(eager.refused[0].contains("ORIGINAL_MAX_MB") && !ops(&w.calls()).contains(&"read big.png"));
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

/// `MISS_LIMITER`: a client's new renders are bounded whatever originals it asks for; hits,
/// persisted variants and 304s never ask the binding, and other clients are not affected.
#[tokio::test(start_paused = true)]
async fn a_client_is_limited_in_new_renders_not_in_hits() {
    let mut w = super::world(config(&[("RENDER_BUDGET", "0")]));
    w.limiter = Some(Rc::new(super::world::CountingLimiter { limit: 3, ..Default::default() }));
    let from = |url: &str, ip: &str| {
        let mut r = request(url);
        r.client = Some(ip.into());
        r
    };
    let mut statuses = Vec::new();
    for width in 1..=6 {
        statuses.push(w.send(from(&format!("/photo.jpg?w={width}"), "198.51.100.7")).await.0.status);
    }
    assert_eq!(statuses, [200, 200, 200, 429, 429, 429]);
    let (refused, _) = w.send(from("/photo.jpg?w=9", "198.51.100.7")).await;
    assert_eq!(refused.header("retry-after"), Some("60"));
    // What was made is still served to it: a hit, a persisted variant, a 304, the original.
    let asked = || w.limiter.as_ref().unwrap().asked.borrow().get("198.51.100.7").copied().unwrap_or(0);
    let before = asked();
    let (hit, _) = w.send(from("/photo.jpg?w=1", "198.51.100.7")).await;
    assert_eq!((hit.status, hit.header("x-cache")), (200, Some("HIT")));
    w.cache.evict();
    let (variant, _) = w.send(from("/photo.jpg?w=2", "198.51.100.7")).await;
    assert_eq!((variant.status, variant.header("x-cache")), (200, Some("VARIANT")));
    let mut current = from("/photo.jpg?w=2", "198.51.100.7");
    current.if_none_match = variant.header("etag").map(String::from);
    assert_eq!(w.send(current).await.0.status, 304);
    assert_eq!(w.send(from("/photo.jpg", "198.51.100.7")).await.0.status, 200);
    assert_eq!(asked(), before, "none of those asked the binding");
    // Another client renders; a request without an address is not limited.
    assert_eq!(w.send(from("/photo.jpg?w=20", "203.0.113.9")).await.0.status, 200);
    assert_eq!(w.get("/photo.jpg?w=21").await.0.status, 200);
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

/// A signed `width=auto` with a height is held to `WIDTH_STEPS` too (`snap_width` leaves a
/// request with a height alone): every hint gives one of the steps, never a new width.
#[tokio::test(start_paused = true)]
async fn a_signed_width_auto_with_a_height_is_held_to_the_steps() {
    let key = "a-signing-key-of-thirty-two-byte";
    let w = super::world(config(&[("SIGNING_KEY", key), ("WIDTH_STEPS", "100,200"), ("RENDER_BUDGET", "0")]));
    let path = "/photo.jpg";
    let query = "width=auto&height=50&fit=cover";
    let sig = crate::policy::sign(&format!("{path}?{query}"), key.as_bytes());
    let mut widths = std::collections::BTreeSet::new();
    for hint in [1, 99, 150, 333, 1999] {
        let mut r = request(&format!("{path}?{query}&sig={sig}"));
        r.hints.width = Some(hint);
        let (res, _) = w.send(r).await;
        assert_eq!(res.status, 200, "{}", String::from_utf8_lossy(&res.body));
        widths.insert(size(&res.body).0);
    }
    assert_eq!(widths.into_iter().collect::<Vec<_>>(), [100, 200]);
}

/// An eager variant of an animation over its budget would be the original itself, under a
/// forced watermark the bare original: it is reported refused, never stored as the variant.
#[tokio::test(start_paused = true)]
async fn an_eager_variant_is_never_the_original_served_unchanged() {
    let w = shop(&[("EAGER_VARIANTS", "w=200&anim=true")]);
    for key in ["shop/ball.gif", "plain/ball.gif"] {
        let outcome = w.eager("PutObject", key).await.unwrap();
        assert_eq!((outcome.rendered.len(), outcome.refused.len()), (0, 1), "{key}: {outcome:?}");
    }
    let (res, _) = w.get("/shop/ball.gif?w=200&anim=true").await;
    assert_eq!(res.status, 413, "not a VARIANT holding the bare original");
}

/// A stored type that names a document (or an XML image type) is not served as one: an object
/// of an operator's tooling, or copied before origins' types were replaced, gets its key's type.
#[tokio::test(start_paused = true)]
async fn documents_are_not_served_by_their_stored_type() {
    let w = World::new(LATENCY, Config::default());
    for (i, stored) in ["text/html", "application/xhtml+xml", "text/xml", "image/foo+xml", "application/javascript"].iter().enumerate() {
        let key = format!("doc{i}.png");
        w.put(&key, b"<html><script>alert(1)</script></html>".to_vec(), stored);
        let (res, _) = w.get(&format!("/{key}")).await;
        assert_eq!((res.status, res.header("content-type")), (200, Some("image/png")), "{stored}");
    }
    w.put("clip.mp4", vec![0; 64], "video/mp4");
    assert_eq!(w.get("/clip.mp4").await.0.header("content-type"), Some("video/mp4"), "media types are kept");
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

/// A best-effort format (an AVIF past `AVIF_MAX_SIDE`, made as WebP) keeps its type when it is
/// read back as the persisted variant, and in the cache after it: never WebP bytes called AVIF.
#[tokio::test(start_paused = true)]
async fn a_best_effort_variant_is_typed_as_what_was_stored() {
    let mut c = Config::default();
    c.pipeline.limits.avif_max_side = 200;
    let w = super::world(c);
    let (miss, _) = w.get("/photo.jpg?w=300&format=avif").await;
    assert_eq!((miss.status, miss.header("content-type")), (200, Some("image/webp")));
    w.cache.evict();
    for expected in ["VARIANT", "HIT"] {
        let (res, _) = w.get("/photo.jpg?w=300&format=avif").await;
        assert_eq!((res.header("x-cache"), res.header("content-type")), (Some(expected), Some("image/webp")));
        assert!(res.header("content-disposition").is_some_and(|d| d.contains("photo.webp")), "{:?}", res.header("content-disposition"));
    }
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
