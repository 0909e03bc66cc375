//! Originals as stored, and SVG originals, which are documents: served sanitised, under a
//! policy that lets nothing run, with an ETag of their own, or refused.

use super::world::request;
use super::{ops, world};
use crate::config::Config;

const HOSTILE: &str = r##"<svg xmlns="http://www.w3.org/2000/svg" width="200" height="100" onload="alert(document.domain)">
  <script>fetch('/steal?c=' + document.cookie)</script>
  <rect width="200" height="100" fill="#3a7"/>
  <a href="javascript:alert(1)"><text x="10" y="50">click</text></a>
</svg>"##;

#[tokio::test(start_paused = true)]
async fn an_svg_original_is_served_sanitised_under_a_strict_policy() {
    let w = world(Config::default());
    w.put("icons/hostile.svg", HOSTILE.into(), "image/svg+xml");
    let (res, _) = w.get("/icons/hostile.svg").await;
    assert_eq!((res.status, res.header("content-type")), (200, Some("image/svg+xml")));
    let body = String::from_utf8(res.body.clone()).unwrap();
    for bad in ["<script", "onload", "javascript:"] {
        assert!(!body.contains(bad), "{bad} in {body}");
    }
    assert!(body.contains("<rect") && body.contains("#3a7"), "{body}");
    assert_eq!(res.header("content-length"), Some(body.len().to_string().as_str()));
    assert!(res.header("content-security-policy").is_some_and(|p| p.contains("default-src 'none'") && p.contains("sandbox")));
    assert_eq!(res.header("x-content-type-options"), Some("nosniff"));
    let stored = w.store.meta("icons/hostile.svg").unwrap();
    assert_ne!(res.header("etag"), Some(stored.http_etag.as_str()), "not the stored bytes, so not their ETag");

    // Its own ETag validates without reading the body; a range gets the whole sanitised file.
    w.clear_log();
    let mut again = request("/icons/hostile.svg");
    again.if_none_match = res.header("etag").map(String::from);
    assert_eq!(w.send(again).await.0.status, 304);
    assert_eq!(ops(&w.calls()), ["get icons/hostile.svg", "cancel icons/hostile.svg"]);
    let mut part = request("/icons/hostile.svg");
    part.range = Some("bytes=0-9".into());
    let (whole, _) = w.send(part).await;
    assert_eq!((whole.status, whole.body == res.body, whole.header("accept-ranges")), (200, true, None));
}

#[tokio::test(start_paused = true)]
async fn an_svg_is_known_by_its_extension_without_a_type_and_bombs_are_never_served() {
    let w = world(Config::default());
    w.store.insert("noted.svg", HOSTILE.into(), None, Default::default());
    let (res, _) = w.get("/noted.svg").await;
    assert_eq!((res.status, res.header("content-type")), (200, Some("image/svg+xml")));
    assert!(!String::from_utf8_lossy(&res.body).contains("<script"));

    let laughs = r#"<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]><svg xmlns="http://www.w3.org/2000/svg"><text>&d;</text></svg>"#;
    w.put("laughs.svg", laughs.into(), "image/svg+xml");
    assert_eq!(w.get("/laughs.svg").await.0.status, 422);
    w.put("big.svg", vec![b' '; (crate::svg::MAX_BYTES + 1) as usize], "image/svg+xml");
    assert_eq!(w.get("/big.svg").await.0.status, 413);
}

#[tokio::test(start_paused = true)]
async fn svg_refused_when_configured_and_every_original_carries_the_policy() {
    let mut config = Config::default();
    config.http.svg = crate::svg::Mode::Refuse;
    let w = world(config);
    w.put("a.svg", HOSTILE.into(), "image/svg+xml");
    assert_eq!(w.get("/a.svg").await.0.status, 415);
    let (photo, _) = w.get("/photo.jpg").await;
    assert_eq!(photo.status, 200);
    assert!(photo.header("content-security-policy").is_some());
    assert_eq!(photo.header("etag"), Some(w.store.meta("photo.jpg").unwrap().http_etag.as_str()), "raster originals keep R2's ETag");
}

/// With `ON_ERROR=original`, a transform of an SVG that cannot be drawn (here a group whose
/// layer would take gigabytes) falls back to the sanitised SVG, saying why.
#[tokio::test(start_paused = true)]
async fn the_fallback_for_an_svg_is_the_sanitised_svg_with_the_reason() {
    let mut config = Config::default();
    config.http.on_error_original = true;
    let w = world(config);
    let layered = r#"<svg xmlns="http://www.w3.org/2000/svg" width="100" height="100" onload="alert(1)"><g opacity=".5"><rect width="40000" height="40000"/></g></svg>"#;
    w.put("icons/hostile.svg", layered.into(), "image/svg+xml");
    let (res, _) = w.get("/icons/hostile.svg?w=100").await;
    assert_eq!((res.status, res.header("content-type")), (200, Some("image/svg+xml")));
    assert!(!String::from_utf8_lossy(&res.body).contains("onload"));
    assert!(res.header("x-resize-error").is_some_and(|m| m.contains("MB")), "{:?}", res.header("x-resize-error"));
}

/// A transform of an SVG is a picture: drawn at the size asked, as a PNG by default (nothing of
/// the document is sent); `SVG=refuse` refuses it too, `SVG=rasterize` draws plain URLs as well.
#[tokio::test(start_paused = true)]
async fn svg_transforms_are_drawn_and_the_modes_decide_plain_urls() {
    let png_size = |body: &[u8]| {
        let img = image::load_from_memory_with_format(body, image::ImageFormat::Png).unwrap();
        (img.width(), img.height(), img.to_rgba8().get_pixel(img.width() / 2, img.height() / 2).0)
    };
    let w = world(Config::default());
    w.put("icons/hostile.svg", HOSTILE.into(), "image/svg+xml");
    let (res, _) = w.get("/icons/hostile.svg?w=400").await;
    assert_eq!((res.status, res.header("content-type")), (200, Some("image/png")));
    assert_eq!(png_size(&res.body), (400, 200, [0x33, 0xaa, 0x77, 255]));
    assert_eq!(w.get("/icons/hostile.svg").await.0.header("content-type"), Some("image/svg+xml"));

    let mut config = Config::default();
    config.http.svg = crate::svg::Mode::Rasterize;
    let w = world(config);
    w.put("icons/hostile.svg", HOSTILE.into(), "image/svg+xml");
    let (res, _) = w.get("/icons/hostile.svg").await;
    assert_eq!((res.status, res.header("content-type")), (200, Some("image/png")));
    assert_eq!(png_size(&res.body), (200, 100, [0x33, 0xaa, 0x77, 255]));
    // Under another name the document is not sent either (it was, sanitised); a transform draws it.
    w.put("icons/hostile.png", HOSTILE.into(), "image/svg+xml");
    let (named, _) = w.get("/icons/hostile.png").await;
    assert_eq!(named.status, 415, "{}", String::from_utf8_lossy(&named.body));
    assert_eq!(w.get("/icons/hostile.png?format=png").await.0.status, 200);

    let mut config = Config::default();
    config.http.svg = crate::svg::Mode::Refuse;
    let w = world(config);
    w.put("icons/hostile.svg", HOSTILE.into(), "image/svg+xml");
    assert_eq!(w.get("/icons/hostile.svg?w=100").await.0.status, 415);
}
