//! Eager variants: a queue message about a new original leaves its configured variants stored,
//! so the first request for them is a persisted-variant hit; messages delivered twice, about
//! other things, or about originals that cannot give a variant do no harm.

use super::world::request;
use super::{photo, world};
use crate::config::Config;
use crate::error::Error;

fn eager(variants: &[&str]) -> Config {
    let mut config = Config::default();
    config.upload.eager_variants = variants.iter().map(|v| v.to_string()).collect();
    config
}

#[tokio::test(start_paused = true)]
async fn the_configured_variants_are_stored_and_the_first_request_is_served_from_them() {
    let w = world(eager(&["w=200", "?w=100&format=webp", "w=50&format=auto"]));
    let outcome = w.eager("PutObject", "photo.jpg").await.unwrap();
    // `format=auto` is made for each class of client: no WebP, WebP (AVIF is off by default).
    assert_eq!(outcome.rendered.len(), 4, "{outcome:?}");
    assert!(outcome.refused.is_empty() && outcome.fresh.is_empty(), "{outcome:?}");
    assert_eq!(w.calls().iter().filter(|(_, c)| c.starts_with("read photo.jpg")).count(), 1, "the original is read once");

    for (url, accept, width, kind) in [
        ("/photo.jpg?w=200", None, 200, "image/jpeg"),
        ("/photo.jpg?width=100&format=webp", None, 100, "image/webp"),
        ("/photo.jpg?w=50&format=auto", Some("image/webp,*/*"), 50, "image/webp"),
        ("/photo.jpg?w=50&format=auto", Some("image/jpeg"), 50, "image/jpeg"),
    ] {
        let mut req = request(url);
        req.accept = accept.map(String::from);
        let (res, _) = w.send(req).await;
        assert_eq!((res.status, res.header("x-cache"), res.header("content-type")), (200, Some("VARIANT"), Some(kind)), "{url} {accept:?}");
        let img = image::load_from_memory(&res.body).unwrap();
        assert_eq!(img.width(), width, "{url}");
    }
}

#[tokio::test(start_paused = true)]
async fn a_message_delivered_twice_does_no_work_twice_and_a_replaced_original_is_rendered_again() {
    let w = world(eager(&["w=200", "w=120&format=png"]));
    assert_eq!(w.eager("PutObject", "photo.jpg").await.unwrap().rendered.len(), 2);
    w.clear_log();
    let again = w.eager("PutObject", "photo.jpg").await.unwrap();
    assert_eq!((again.rendered.len(), again.fresh.len()), (0, 2), "{again:?}");
    assert!(w.calls().iter().all(|(_, c)| !c.starts_with("put") && !c.starts_with("read")), "{:?}", w.calls());

    // A new version: its variants have other ETags, so they are made again (same keys).
    w.put("photo.jpg", crate::fixtures::jpeg(&crate::fixtures::photo(300, 300, 7), false, None), "image/jpeg");
    let replaced = w.eager("PutObject", "photo.jpg").await.unwrap();
    assert_eq!((replaced.rendered.len(), replaced.fresh.len()), (2, 0), "{replaced:?}");
    let (res, _) = w.get("/photo.jpg?w=200").await;
    assert_eq!((res.header("x-cache"), image::load_from_memory(&res.body).unwrap().height()), (Some("VARIANT"), 200));
}

#[tokio::test(start_paused = true)]
async fn deletions_variants_gone_originals_and_an_empty_list_are_skipped() {
    let w = world(eager(&["w=200"]));
    for (action, key, why) in [
        ("DeleteObject", "photo.jpg", "not an object created"),
        ("LifecycleDeletion", "photo.jpg", "not an object created"),
        ("PutObject", "_variants/photo.jpg/w=200", "a persisted variant"),
        ("PutObject", "never-stored.jpg", "the original is gone"),
    ] {
        let outcome = w.eager(action, key).await.unwrap();
        assert_eq!((outcome.skipped, outcome.rendered.len()), (Some(why), 0), "{action} {key}");
    }
    let none = world(Config::default());
    assert_eq!(none.eager("PutObject", "photo.jpg").await.unwrap().skipped, Some("EAGER_VARIANTS is empty"));
    assert!(none.calls().is_empty(), "nothing asked of R2: {:?}", none.calls());
}

#[tokio::test(start_paused = true)]
async fn what_an_original_cannot_give_is_reported_and_store_failures_are_errors_for_a_retry() {
    let w = world(eager(&["w=200", "w=200&format=avif&q=40"]));
    w.put("broken.jpg", photo()[..600].to_vec(), "image/jpeg");
    let broken = w.eager("PutObject", "broken.jpg").await.unwrap();
    assert_eq!((broken.rendered.len(), broken.refused.len()), (0, 2), "{broken:?}");
    assert!(broken.refused[0].contains("decode"), "{broken:?}");

    w.store.fail("put", "_variants/");
    assert!(matches!(w.eager("PutObject", "photo.jpg").await, Err(Error::Upstream(_))));
    w.store.heal();
    assert_eq!(w.eager("PutObject", "photo.jpg").await.unwrap().rendered.len(), 2);

    let bad = world(eager(&["w=abc"]));
    let e = bad.eager("PutObject", "photo.jpg").await.unwrap_err();
    assert!(matches!(e, Error::Misconfigured(_)) && e.message().contains("EAGER_VARIANTS"), "{e}");
}

/// A marketplace watermark (`OVERLAYS`' `default_for`) is drawn into eager variants as a request
/// would draw it, at the overlay's current version, so the request finds them.
#[tokio::test(start_paused = true)]
async fn default_overlays_are_drawn_and_their_version_names_the_variant() {
    let config = Config::from_lookup(|name| match name {
        "OVERLAYS" => Some(r#"{"mark": {"key": "brand/mark.png", "width": 40, "default_for": ["shop/"]}}"#.into()),
        "EAGER_VARIANTS" => Some("w=200".into()),
        _ => None,
    });
    let w = world(config.unwrap());
    w.put("brand/mark.png", crate::fixtures::png(&crate::fixtures::alpha_disc(80, 80)), "image/png");
    w.put("shop/photo.jpg", photo(), "image/jpeg");
    let outcome = w.eager("PutObject", "shop/photo.jpg").await.unwrap();
    assert_eq!(outcome.rendered.len(), 1, "{outcome:?}");
    assert!(outcome.rendered[0].contains("draw=mark."), "{outcome:?}");
    let (res, _) = w.get("/shop/photo.jpg?w=200").await;
    assert_eq!((res.status, res.header("x-cache")), (200, Some("VARIANT")));
}

/// Under a size allow-list, an eager variant no URL may ask for is a configuration mistake.
#[tokio::test(start_paused = true)]
async fn a_variant_the_size_policy_refuses_is_a_misconfiguration() {
    let config = Config::from_lookup(|name| match name {
        "SIZE_POLICY" => Some("allow-list".into()),
        "ALLOWED_SIZES" => Some("320w".into()),
        "EAGER_VARIANTS" => Some("w=320 w=333".into()),
        _ => None,
    });
    let w = world(config.unwrap());
    let e = w.eager("PutObject", "photo.jpg").await.unwrap_err();
    assert!(matches!(e, Error::Misconfigured(_)) && e.message().contains("w=333"), "{e}");
}

/// An eager variant is the one a request reads: with `WIDTH_STEPS`, `w=700` is made at the step
/// requests snap to, and served as `VARIANT` for each class of a negotiated format.
#[tokio::test(start_paused = true)]
async fn eager_variants_snap_to_the_width_steps_as_requests_do() {
    let mut config = eager(&["w=700", "w=700&format=auto"]);
    config.cost.width_steps = vec![640, 750];
    let w = world(config);
    w.put("big.jpg", crate::fixtures::jpeg(&crate::fixtures::photo(1600, 1000, 3), false, None), "image/jpeg");
    let outcome = w.eager("PutObject", "big.jpg").await.unwrap();
    assert_eq!(outcome.rendered.len(), 3, "{outcome:?}");
    for (url, accept) in
        [("/big.jpg?w=700", None), ("/big.jpg?w=700&format=auto", Some("image/webp")), ("/big.jpg?w=700&format=auto", None)]
    {
        let mut req = request(url);
        req.accept = accept.map(String::from);
        let (res, _) = w.send(req).await;
        assert_eq!((res.status, res.header("x-cache")), (200, Some("VARIANT")), "{url} {accept:?}");
        assert_eq!(image::load_from_memory(&res.body).unwrap().width(), 750);
    }
}

/// One plan for both (issue #37): under `WIDTH_STEPS`, a size allow-list, a forced watermark and
/// `format=auto` with AVIF, every class of client finds the eager variant a request names.
#[tokio::test(start_paused = true)]
async fn every_eager_variant_is_the_one_a_request_reads_under_every_rule_at_once() {
    let config = Config::from_lookup(|name| match name {
        "WIDTH_STEPS" => Some("64,100".into()),
        "SIZE_POLICY" => Some("allow-list".into()),
        "ALLOWED_SIZES" => Some("100w".into()),
        "AUTO_AVIF" => Some("true".into()),
        "OVERLAYS" => Some(r#"{"mark": {"key": "brand/mark.png", "width": 20, "default_for": ["shop/"]}}"#.into()),
        "EAGER_VARIANTS" => Some("w=90&format=auto w=90".into()),
        _ => None,
    });
    let w = world(config.unwrap());
    w.put("brand/mark.png", crate::fixtures::png(&crate::fixtures::alpha_disc(40, 40)), "image/png");
    w.put("shop/photo.jpg", crate::fixtures::jpeg(&crate::fixtures::photo(400, 250, 3), false, None), "image/jpeg");
    let outcome = w.eager("PutObject", "shop/photo.jpg").await.unwrap();
    assert_eq!((outcome.rendered.len(), outcome.refused.len()), (4, 0), "{outcome:?}");
    // The mark's version asked once per entry, not once per class of client (three for `auto`).
    let asked = w.calls().iter().filter(|(_, c)| c == "head brand/mark.png").count();
    assert_eq!(asked, 2, "{:?}", w.calls());
    for (url, accept, kind) in [
        ("/shop/photo.jpg?w=90&format=auto", Some("image/avif,image/webp,*/*"), "image/avif"),
        ("/shop/photo.jpg?w=90&format=auto", Some("image/webp,*/*"), "image/webp"),
        ("/shop/photo.jpg?w=90&format=auto", None, "image/jpeg"),
        ("/shop/photo.jpg?w=90", None, "image/jpeg"),
    ] {
        let mut req = request(url);
        req.accept = accept.map(String::from);
        let (res, _) = w.send(req).await;
        assert_eq!((res.status, res.header("x-cache"), res.header("content-type")), (200, Some("VARIANT"), Some(kind)), "{url} {accept:?}");
        assert_eq!(res.header("x-resize-width"), Some("100"), "{url}");
    }
}

/// An Ultra HDR photo: a 300×200 base and a quarter-size grey map.
fn ultra_hdr() -> Vec<u8> {
    use crate::pipeline::codecs::gainmap::{self, GainMap, Values};
    let base = crate::fixtures::jpeg(&crate::fixtures::photo(300, 200, 3), false, None);
    let grey = image::GrayImage::from_pixel(75, 50, image::Luma([200]));
    let map = crate::pipeline::steps::encode::encode_jpeg(&image::DynamicImage::ImageLuma8(grey), 90, [255; 4], false, None).unwrap();
    let values = Values::grey(0.0, 2.0);
    gainmap::write(&base, &map, &GainMap::from_values(values))
}

#[tokio::test(start_paused = true)]
async fn an_eager_auto_variant_of_an_hdr_photo_is_stored_and_served_as_the_jpeg_it_is() {
    let w = world(eager(&["w=100&format=auto"]));
    w.put("hdr.jpg", ultra_hdr(), "image/jpeg");
    let outcome = w.eager("PutObject", "hdr.jpg").await.unwrap();
    assert_eq!(outcome.rendered.len(), 2, "{outcome:?}");
    for accept in ["image/webp,*/*", "image/jpeg"] {
        let mut req = request("/hdr.jpg?w=100&format=auto");
        req.accept = Some(accept.into());
        let (res, _) = w.send(req).await;
        assert_eq!((res.status, res.header("x-cache"), res.header("content-type")), (200, Some("VARIANT"), Some("image/jpeg")), "{accept}");
        assert!(crate::pipeline::codecs::gainmap::read(&res.body).is_some(), "{accept}: the map is kept");
    }
}
