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
use std::rc::Rc;

pub(super) fn config(pairs: &[(&str, &str)]) -> Config {
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

pub(super) const REMOTE: &str = "https://images.example.com/x.jpg";

pub(super) fn remote_world(budget: &str) -> World {
    let w = World::new(LATENCY, config(&[("REMOTE_HOSTS", "https://images.example.com"), ("RENDER_BUDGET", budget)]));
    for n in 1..=20 {
        let mut answer = OriginAnswer::image(photo(), "image/jpeg");
        answer.headers.push(("cache-control".into(), "max-age=600".into()));
        w.origin.answer(&format!("{REMOTE}?n={n}"), answer);
    }
    w
}

pub(super) fn origin_gets(w: &World) -> usize {
    ops(&w.calls()).iter().filter(|op| op.starts_with("origin GET")).count()
}

/// A tiny JPEG: what an origin that shrank its file sends the second time.
pub(super) fn tiny_jpeg() -> Vec<u8> {
    fixtures::jpeg(&fixtures::photo(8, 8, 1), false, None)
}

pub(super) const SCRIPTED: &str = r#"<svg xmlns="http://www.w3.org/2000/svg" width="40" height="40"><script>alert(document.cookie)</script><rect width="40" height="40" fill="red"/></svg>"#;

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
