//! The Images binding's calls made natively: the same bytes as the URL with the same options,
//! passes in call order, draws where their options say, the isolate's bounds held.

use super::memory::{Lossless, PausedClock};
use crate::binding::{self, code};
use crate::config::Config;
use crate::error::Result;
use crate::fixtures;
use crate::flow::binding::{info, run, Engine, Made};
use crate::flow::gate::Gate;
use crate::transform::Accepts;
use image::{GenericImageView, Rgba, RgbaImage};
use serde_json::{json, Value};

async fn call_with(config: &Config, gate: &Gate, call: Value, sources: Vec<Vec<u8>>) -> Result<Made> {
    let clock = PausedClock::new();
    let engine = Engine { config, clock: &clock, codecs: &Lossless, gate };
    let (job, output) = binding::parse(&call.to_string(), sources.len())?;
    run(&engine, &job, &output, sources).await
}

async fn call(call: Value, sources: Vec<Vec<u8>>) -> Result<Made> {
    call_with(&Config::default(), &Gate::default(), call, sources).await
}

fn transform_only(steps: Value, format: &str) -> Value {
    json!({"job": {"source": 0, "steps": steps}, "output": {"format": format}})
}

fn photo() -> Vec<u8> {
    fixtures::jpeg(&fixtures::photo(600, 400, 7), false, None)
}

fn decoded(bytes: &[u8]) -> image::DynamicImage {
    image::load_from_memory(bytes).unwrap()
}

/// One transform and an output are the URL with those options: the same bytes.
#[tokio::test(start_paused = true)]
async fn one_transform_gives_the_urls_bytes() {
    let config = Config::default();
    let made = call(json!({"job": {"source": 0, "steps": [{"transform": {"width": 100, "fit": "cover", "height": 100, "sharpen": 1}}]}, "output": {"format": "image/jpeg", "quality": 70}}), vec![photo()]).await.unwrap();
    let asked =
        crate::url::for_key("a.jpg", "width=100&height=100&fit=cover&sharpen=1&format=jpeg&quality=70", &config.url).unwrap().transform;
    let resolved = asked.resolved(crate::transform::Format::Jpeg, config.pipeline.output_defaults(), Accepts::default());
    let codecs = (&Lossless as &dyn crate::flow::ports::CodecHost).codecs(None, false);
    let url = crate::pipeline::run(
        photo(),
        &resolved,
        &config.pipeline,
        &crate::pipeline::Host { clock: &|| 0.0, codecs: &codecs, overlays: &[] },
    )
    .unwrap();
    assert_eq!((made.content_type, made.bytes.len()), ("image/jpeg", url.bytes.len()));
    assert!(made.bytes == url.bytes, "the binding and the URL made different bytes");
}

/// `transform()`s run in call order: rotating then fitting a width is not fitting then rotating.
#[tokio::test(start_paused = true)]
async fn transforms_run_in_call_order() {
    let rotate_first =
        call(transform_only(json!([{"transform": {"rotate": 90}}, {"transform": {"width": 100}}]), "image/png"), vec![photo()])
            .await
            .unwrap();
    let width_first =
        call(transform_only(json!([{"transform": {"width": 100}}, {"transform": {"rotate": 90}}]), "image/png"), vec![photo()])
            .await
            .unwrap();
    assert_eq!(decoded(&rotate_first.bytes).dimensions(), (100, 150));
    assert_eq!(decoded(&width_first.bytes).dimensions(), (67, 100));
    let none = call(transform_only(json!([]), "image/webp"), vec![photo()]).await.unwrap();
    assert_eq!((none.content_type, decoded(&none.bytes).dimensions()), ("image/webp", (600, 400)));
}

/// A drawn chain is made first (here sized by its own transform) and drawn where its options say:
/// centred without offsets, at the corner with them; the base keeps its size.
#[tokio::test(start_paused = true)]
async fn draws_are_placed_as_their_options_say() {
    let base = fixtures::png(&RgbaImage::from_pixel(200, 100, Rgba([255, 255, 255, 255])));
    let mark = fixtures::png(&RgbaImage::from_pixel(40, 40, Rgba([255, 0, 0, 255])));
    let drawn = |options: Value| json!({"job": {"source": 0, "steps": [{"draw": {"image": {"source": 1, "steps": [{"transform": {"width": 20}}]}, "options": options}}]}, "output": {"format": "image/png"}});
    let centred = decoded(&call(drawn(json!({})), vec![base.clone(), mark.clone()]).await.unwrap().bytes).to_rgba8();
    assert_eq!(centred.dimensions(), (200, 100));
    assert_eq!((centred.get_pixel(100, 50).0, centred.get_pixel(85, 50).0), ([255, 0, 0, 255], [255, 255, 255, 255]));
    let corner =
        decoded(&call(drawn(json!({"bottom": 0, "right": 0, "opacity": 0.5})), vec![base.clone(), mark.clone()]).await.unwrap().bytes)
            .to_rgba8();
    let p = corner.get_pixel(195, 95).0;
    assert!(p[0] == 255 && (120..=135).contains(&p[1]), "half red over white: {p:?}");
    assert_eq!(corner.get_pixel(100, 50).0, [255, 255, 255, 255]);
    // A transform after a draw transforms the drawn-on image: the mark shrinks with it.
    let after = call(
        json!({"job": {"source": 0, "steps": [
        {"draw": {"image": {"source": 1}, "options": {"top": 0, "left": 0}}},
        {"transform": {"width": 100}},
    ]}, "output": {"format": "image/png"}}),
        vec![base, mark],
    )
    .await
    .unwrap();
    let after = decoded(&after.bytes).to_rgba8();
    assert_eq!(
        (after.dimensions(), after.get_pixel(10, 10).0, after.get_pixel(30, 10).0),
        ((100, 50), [255, 0, 0, 255], [255, 255, 255, 255])
    );
}

/// One image cannot be drawn twice (the recorded chain names it twice): refused, as Cloudflare's
/// binding refuses a consumed transformer; and every bound a URL has holds.
#[tokio::test(start_paused = true)]
async fn bounds_hold() {
    let twice = json!({"job": {"source": 0, "steps": [
        {"draw": {"image": {"source": 1}}}, {"draw": {"image": {"source": 1}}},
    ]}, "output": {"format": "image/png"}});
    let mark = fixtures::png(&RgbaImage::from_pixel(4, 4, Rgba([0, 0, 0, 255])));
    assert_eq!(code(&call(twice, vec![photo(), mark]).await.unwrap_err()), 9432);
    // An image over ORIGINAL_MAX_MB, and one just at it.
    let config = Config::from_lookup(|n| (n == "ORIGINAL_MAX_MB").then(|| "1".into())).unwrap();
    let big = vec![0u8; (1 << 20) + 1];
    assert_eq!(code(&call_with(&config, &Gate::default(), transform_only(json!([]), "image/png"), vec![big]).await.unwrap_err()), 9413);
    let mut at = photo();
    at.resize(1 << 20, 0);
    assert!(
        call_with(&config, &Gate::default(), transform_only(json!([]), "image/png"), vec![at]).await.is_ok(),
        "trailing bytes after the JPEG"
    );
    // Past the memory budget (a PNG of 12,000 × 12,000 declared), and past the output maximum.
    let bomb = fixtures::png_bomb(12_000, 12_000);
    assert_eq!(code(&call(transform_only(json!([]), "image/png"), vec![bomb]).await.unwrap_err()), 9413);
    assert_eq!(code(&call(transform_only(json!([{"transform": {"width": 5000}}]), "image/png"), vec![photo()]).await.unwrap_err()), 9432);
    // Not an image; a damaged one.
    assert_eq!(code(&call(transform_only(json!([]), "image/png"), vec![b"<html>".to_vec()]).await.unwrap_err()), 9412);
    let mut cut = photo();
    cut.truncate(300);
    assert!(matches!(code(&call(transform_only(json!([]), "image/png"), vec![cut]).await.unwrap_err()), 9516 | 9412));
    // The isolate's gate: with all of it taken, a call waits, then is told it is busy.
    let gate = Gate::default();
    let config = Config::from_lookup(|n| match n {
        "IN_FLIGHT_BUDGET_MB" => Some("1".into()),
        "IN_FLIGHT_WAIT_MS" => Some("100".into()),
        _ => None,
    })
    .unwrap();
    let held = gate.try_take(1 << 20, &config.pipeline.limits).unwrap();
    assert_eq!(code(&call_with(&config, &gate, transform_only(json!([]), "image/png"), vec![photo()]).await.unwrap_err()), 9522);
    drop(held);
    assert!(call_with(&config, &gate, transform_only(json!([]), "image/png"), vec![photo()]).await.is_ok());
}

#[tokio::test(start_paused = true)]
async fn raw_pixels_and_info() {
    let made = call(transform_only(json!([{"transform": {"width": 30}}]), "rgba"), vec![photo()]).await.unwrap();
    assert_eq!((made.content_type, made.bytes.len()), ("application/octet-stream", 30 * 20 * 4));
    let rgb = call(transform_only(json!([{"transform": {"width": 30}}]), "rgb"), vec![photo()]).await.unwrap();
    assert_eq!(rgb.bytes.len(), 30 * 20 * 3);
    let sideways = fixtures::jpeg(&fixtures::photo(60, 40, 1), false, Some(6));
    let i = info(&sideways).unwrap();
    assert_eq!((i.format, i.file_size, i.width, i.height), ("image/jpeg", Some(sideways.len() as u64), Some(40), Some(60)));
    let svg = info(fixtures::logo_svg().as_bytes()).unwrap();
    assert_eq!(serde_json::to_value(&svg).unwrap(), json!({"format": "image/svg+xml"}));
    assert_eq!(code(&info(b"not an image at all").unwrap_err()), 9412);
}
