//! Large originals are decoded once: the first miss stores a mezzanine after the response, and
//! later sizes read it instead of the original; never one of another version.

use super::world::{request, World};
use super::{ops, size, LATENCY};
use crate::config::{Config, Mezzanine};
use crate::fixtures;
use crate::flow::Method;

const ORIGINAL: &str = "big.jpg";
const MEZZANINE: &str = "_variants/big.jpg/mezzanine";
const TOKEN: &str = "a-local-upload-token";

/// Mezzanines for originals of 1 MP and more, 512 px on the longer side (small, so the debug
/// build stays quick; the defaults are measured in BENCHMARKS.md).
fn mezzanines(on: bool) -> Config {
    let mut c = Config::from_lookup(|name| (name == "UPLOAD_TOKEN").then(|| TOKEN.to_string())).unwrap();
    c.pipeline.mezzanine = Mezzanine { min_pixels: if on { 1_000_000 } else { 0 }, side: 512 };
    c
}

/// A world with a 1600×1200 photo (1.9 MP) stored as `big.jpg`.
fn world(on: bool, original: Vec<u8>) -> World {
    world_with(mezzanines(on), original)
}

fn world_with(config: Config, original: Vec<u8>) -> World {
    let w = World::new(LATENCY, config);
    w.put(ORIGINAL, original, "image/jpeg");
    w.clear_log();
    w
}

fn big(seed: u32) -> Vec<u8> {
    fixtures::jpeg(&fixtures::photo(1600, 1200, seed), false, None)
}

/// Mean absolute difference of two decoded images' RGB samples (0–255).
fn mean_difference(a: &[u8], b: &[u8]) -> f64 {
    let (a, b) = (image::load_from_memory(a).unwrap().to_rgb8(), image::load_from_memory(b).unwrap().to_rgb8());
    assert_eq!(a.dimensions(), b.dimensions());
    a.as_raw().iter().zip(b.as_raw()).map(|(x, y)| (*x as f64 - *y as f64).abs()).sum::<f64>() / a.as_raw().len() as f64
}

/// The same URL through a world without mezzanines: the output made from the original.
async fn from_the_original(original: Vec<u8>, url: &str) -> Vec<u8> {
    world(false, original).get(url).await.0.body
}

#[tokio::test(start_paused = true)]
async fn the_second_size_reads_the_mezzanine_and_not_the_original() {
    let w = world(true, big(1));
    let (first, _) = w.get("/big.jpg?w=300").await;
    assert_eq!((first.status, size(&first.body)), (200, (300, 225)));
    // Made after the response, from the original read again: the response waited for none of it.
    let calls = w.calls();
    let reads: Vec<u64> = calls.iter().filter(|(_, op)| op == "get big.jpg").map(|(t, _)| *t).collect();
    assert!(reads.len() == 2 && reads[0] == 0 && reads[1] >= w.answered(), "{calls:?}");
    // Upright, 512 px, recording its original's version and size.
    let meta = w.store.meta(MEZZANINE).expect("a mezzanine is stored");
    let original = w.store.meta(ORIGINAL).unwrap();
    assert_eq!(meta.custom.get("source-etag"), Some(&original.etag));
    assert_eq!(meta.custom.get("source-size").map(String::as_str), Some("1600x1200"));
    assert_eq!(size(&w.store.bytes(MEZZANINE).unwrap()), (512, 384));
    assert!(meta.size * 4 < original.size, "{} bytes of {}", meta.size, original.size);

    w.clear_log();
    let (second, trace) = w.get("/big.jpg?w=200&format=webp").await;
    assert_eq!((second.status, second.header("x-cache"), size(&second.body)), (200, Some("MISS"), (200, 150)));
    let calls = w.calls();
    let calls = ops(&calls);
    assert!(calls.contains(&"read _variants/big.jpg/mezzanine") && calls.contains(&"cancel big.jpg"), "{calls:?}");
    assert!(!calls.contains(&"read big.jpg"), "{calls:?}");
    assert_eq!((trace.bytes_in, trace.source), (Some(meta.size), Some("mezzanine")));
    assert!(!calls.iter().any(|c| c.starts_with("put _variants/big.jpg/mezzanine")), "made once: {calls:?}");
    // The same answer as from the original: its ETag, and within JPEG noise of its pixels.
    let direct = world(false, big(1));
    let (expected, _) = direct.get("/big.jpg?w=200&format=webp").await;
    assert_eq!(second.header("etag"), expected.header("etag"));
    let d = mean_difference(&second.body, &expected.body);
    assert!(d < 2.0, "mean difference {d}");
}

#[tokio::test(start_paused = true)]
async fn an_output_that_needs_more_pixels_reads_the_original() {
    let w = world(true, big(2));
    w.get("/big.jpg?w=300").await;
    w.clear_log();
    for url in ["/big.jpg?w=800", "/big.jpg?w=300&trim=0;1200;0;0", "/big.jpg?w=100&trim=border"] {
        let (res, _) = w.get(url).await;
        assert_eq!(res.status, 200, "{url}");
        let calls = w.calls();
        assert!(ops(&calls).contains(&"read big.jpg") && !ops(&calls).contains(&"read _variants/big.jpg/mezzanine"), "{url}: {calls:?}");
        w.clear_log();
    }
}

#[tokio::test(start_paused = true)]
async fn crops_and_orientation_keep_the_originals_geometry() {
    // Stored sideways with EXIF orientation 6: displayed 1200×1600.
    let original = fixtures::jpeg(&fixtures::photo(1600, 1200, 3), false, Some(6));
    let w = world(true, original.clone());
    w.get("/big.jpg?w=100").await;
    assert_eq!(size(&w.store.bytes(MEZZANINE).unwrap()), (384, 512), "upright");
    for url in [
        "/big.jpg?w=300",
        "/big.jpg?w=200&h=200&fit=cover&gravity=0.2x0.8",
        "/big.jpg?w=150&trim=100;200;300;50",
        "/big.jpg?w=160&rotate=90",
    ] {
        w.clear_log();
        let (res, _) = w.get(url).await;
        assert!(ops(&w.calls()).contains(&"read _variants/big.jpg/mezzanine"), "{url}");
        let expected = from_the_original(original.clone(), url).await;
        assert_eq!(size(&res.body), size(&expected), "{url}");
        let d = mean_difference(&res.body, &expected);
        assert!(d < 2.5, "{url}: mean difference {d}");
    }
}

#[tokio::test(start_paused = true)]
async fn a_replaced_original_never_uses_its_old_mezzanine() {
    // Every request asks R2 for the original's version (the window is proven in staleness.rs).
    let mut config = mezzanines(true);
    config.http.max_stale_s = 0;
    let w = world_with(config, big(4));
    w.get("/big.jpg?w=300").await;
    let old = w.store.meta(MEZZANINE).unwrap();
    // Replaced behind the worker's back (another data centre's upload, a sync job).
    let mut inverted = fixtures::photo(1600, 1200, 4);
    image::imageops::invert(&mut inverted);
    let replacement = fixtures::jpeg(&inverted, false, None);
    w.put(ORIGINAL, replacement.clone(), "image/jpeg");
    w.cache.evict();
    w.clear_log();
    let (res, _) = w.get("/big.jpg?w=200").await;
    let calls = w.calls();
    assert!(ops(&calls).contains(&"read big.jpg"), "the new original: {calls:?}");
    let d = mean_difference(&res.body, &from_the_original(replacement, "/big.jpg?w=200").await);
    assert!(d < 2.0, "the new picture: {d}");
    // And its own mezzanine replaces the old one.
    let new = w.store.meta(MEZZANINE).unwrap();
    assert_ne!(new.custom.get("source-etag"), old.custom.get("source-etag"));
    assert_eq!(new.custom.get("source-etag"), Some(&w.store.meta(ORIGINAL).unwrap().etag));
}

#[tokio::test(start_paused = true)]
async fn small_originals_get_none_and_a_delete_removes_it() {
    let w = world(true, big(5));
    w.put("small.jpg", fixtures::jpeg(&fixtures::photo(900, 600, 5), false, None), "image/jpeg");
    w.get("/small.jpg?w=100").await;
    assert!(w.store.keys("_variants/small.jpg/mezzanine").is_empty(), "0.5 MP: under MEZZANINE_MIN_MP");
    w.get("/big.jpg?w=100").await;
    assert!(w.store.meta(MEZZANINE).is_some());
    let delete = crate::flow::Request { method: Method::Delete, authorization: Some(format!("Bearer {TOKEN}")), ..request("/big.jpg") };
    let (res, _) = w.send(delete).await;
    assert_eq!(res.status, 200);
    assert!(w.store.keys("_variants/big.jpg/").is_empty(), "{:?}", w.store.keys("_variants/"));
}

#[tokio::test(start_paused = true)]
async fn an_upload_makes_it_and_the_first_size_reads_it() {
    let w = World::new(LATENCY, mezzanines(true));
    let put = crate::flow::Request { method: Method::Put, authorization: Some(format!("Bearer {TOKEN}")), ..request("/big.jpg") };
    let (res, _) = w.send_body(put, big(6)).await;
    assert_eq!(res.status, 200);
    let meta = w.store.meta(MEZZANINE).expect("made with the upload");
    assert_eq!(meta.custom.get("source-etag"), Some(&w.store.meta(ORIGINAL).unwrap().etag));
    w.clear_log();
    let (res, trace) = w.get("/big.jpg?w=300").await;
    assert_eq!((res.status, trace.source), (200, Some("mezzanine")));
    assert!(!ops(&w.calls()).contains(&"read big.jpg"));
}

#[tokio::test(start_paused = true)]
async fn eager_variants_read_the_original_once_and_make_the_rest_from_the_mezzanine() {
    let mut config = mezzanines(true);
    config.upload.eager_variants = ["w=1000", "w=400", "w=200&format=webp"].map(String::from).to_vec();
    let w = world_with(config, big(7));
    let outcome = w.eager("PutObject", ORIGINAL).await.unwrap();
    assert_eq!(outcome.rendered.len(), 3, "{outcome:?}");
    let calls = w.calls();
    let calls = ops(&calls);
    assert_eq!(calls.iter().filter(|c| **c == "read big.jpg").count(), 1, "{calls:?}");
    assert_eq!(calls.iter().filter(|c| **c == "put _variants/big.jpg/mezzanine").count(), 1, "{calls:?}");
    // w=1000 needs more than the mezzanine has: from the original; the others from the mezzanine.
    let made = w.store.bytes("_variants/big.jpg/w=200,f=webp").or_else(|| w.store.bytes("_variants/big.jpg/f=webp,w=200"));
    let made = made.unwrap_or_else(|| panic!("{:?}", w.store.keys("_variants/")));
    let d = mean_difference(&made, &from_the_original(big(7), "/big.jpg?w=200&format=webp").await);
    assert!(d < 2.0, "mean difference {d}");
}

/// A mezzanine is kept only at half its original's bytes or less: a JPEG decode costs about its
/// bytes, so a larger one would be slower to make outputs from than the original.
#[test]
fn a_mezzanine_not_half_the_originals_bytes_is_not_kept() {
    let img = image::DynamicImage::ImageRgb8(fixtures::photo(512, 384, 8));
    let made = crate::pipeline::Made { img, exif: None, of: (1600, 1200) };
    let bytes = crate::pipeline::mezzanine::encode(&made).unwrap().len() as u64;
    let original = |size| crate::flow::ports::Meta { size, etag: "e1".into(), ..Default::default() };
    let kept = crate::flow::mezzanine::encoded(&made, &original(bytes * 2)).unwrap().expect("half the original's bytes");
    assert_eq!(kept.1.custom.iter().find(|(k, _)| k == "source-etag").map(|(_, v)| v.as_str()), Some("e1"));
    assert!(crate::flow::mezzanine::encoded(&made, &original(bytes * 2 - 1)).unwrap().is_none());
}

/// A key whose format never gets a mezzanine is not asked for one: no R2 read a miss cannot use.
#[tokio::test(start_paused = true)]
async fn a_png_miss_asks_for_no_mezzanine() {
    let w = world(true, big(9));
    w.put("logo.png", fixtures::png(&fixtures::alpha_disc(300, 200)), "image/png");
    w.clear_log();
    let (res, _) = w.get("/logo.png?w=100").await;
    assert_eq!(res.status, 200);
    let calls = w.calls();
    assert!(!ops(&calls).iter().any(|c| c.contains("mezzanine")), "{calls:?}");
    w.clear_log();
    w.get("/big.jpg?w=100").await;
    assert!(ops(&w.calls()).contains(&"get _variants/big.jpg/mezzanine"));
}
