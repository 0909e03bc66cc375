//! `FONTS`: the operator's fonts are read from R2 with the first SVG drawn (one wave), never
//! again in that isolate, and draw the lettering that names them; a missing one is said.

use super::world::World;
use super::{ops, LATENCY};
use crate::config::Config;

const FONT: &str = "fonts/test-mono.woff2";
const GONE: &str = "fonts/gone.ttf";

fn lettering(family: &str) -> Vec<u8> {
    format!(r##"<svg xmlns="http://www.w3.org/2000/svg" width="200" height="40"><rect width="200" height="40" fill="#fff"/><text x="4" y="30" font-family="{family}" font-size="24">iiiii</text></svg>"##).into_bytes()
}

fn world() -> World {
    let w = World::new(LATENCY, Config::from_lookup(|name| (name == "FONTS").then(|| format!("{FONT}, {GONE}"))).unwrap());
    w.put(FONT, include_bytes!("../../../tests/fixtures/fonts/test-mono.woff2").to_vec(), "font/woff2");
    w.put("logo.svg", lettering("Test Mono"), "image/svg+xml");
    w.put("plain.svg", lettering("sans-serif"), "image/svg+xml");
    w.clear_log();
    w
}

/// The width of the dark pixels, in pixels.
fn ink_width(png: &[u8]) -> u32 {
    let img = image::load_from_memory(png).unwrap().to_luma8();
    let xs: Vec<u32> = img.enumerate_pixels().filter(|p| p.2 .0[0] < 128).map(|p| p.0).collect();
    xs.iter().max().unwrap() - xs.iter().min().unwrap() + 1
}

#[tokio::test(start_paused = true)]
async fn fonts_are_read_once_at_the_first_svg_and_draw_their_family() {
    let w = world();
    let (plain, _) = w.get("/plain.svg?w=200&format=png").await;
    assert_eq!(plain.status, 200);
    let calls = w.calls();
    let reads: Vec<&(u64, String)> = calls.iter().filter(|(_, op)| op.starts_with("get fonts/")).collect();
    assert_eq!(reads.len(), 2, "{calls:?}");
    assert_eq!(reads[0].0, reads[1].0, "both asked for at once: {calls:?}");
    let note = plain.header("x-resize-note").unwrap_or_default();
    assert!(note.contains("fonts/gone.ttf is not in the bucket"), "{note}");
    w.clear_log();
    let (mono, _) = w.get("/logo.svg?w=200&format=png").await;
    assert!(!ops(&w.calls()).iter().any(|op| op.contains("fonts/")), "not read again: {:?}", w.calls());
    // Five monospace i's are more than twice as wide as five sans-serif ones.
    let (wide, narrow) = (ink_width(&mono.body), ink_width(&plain.body));
    assert!(wide > 2 * narrow, "{wide} against {narrow}");
}

#[tokio::test(start_paused = true)]
async fn a_failing_read_is_a_502_and_the_next_request_reads_again() {
    let w = world();
    w.store.fail("get", "fonts/");
    let (failed, _) = w.get("/logo.svg?w=200&format=png").await;
    assert_eq!(failed.status, 502);
    w.store.heal();
    let (served, _) = w.get("/logo.svg?w=120&format=png").await;
    assert_eq!(served.status, 200);
    assert!(ops(&w.calls()).iter().filter(|op| op.contains(FONT)).count() >= 2, "{:?}", w.calls());
}

#[tokio::test(start_paused = true)]
async fn a_photo_never_reads_the_fonts() {
    let w = world();
    w.put("photo.jpg", super::photo(), "image/jpeg");
    let (photo, _) = w.get("/photo.jpg?w=100").await;
    assert_eq!(photo.status, 200);
    assert!(!ops(&w.calls()).iter().any(|op| op.contains("fonts/")), "{:?}", w.calls());
}

#[tokio::test(start_paused = true)]
async fn a_font_over_the_limit_is_refused_unread() {
    let w = World::new(LATENCY, Config::from_lookup(|name| (name == "FONTS").then(|| "fonts/huge.ttf".to_string())).unwrap());
    w.put("fonts/huge.ttf", vec![0; 9 << 20], "font/ttf");
    w.put("plain.svg", lettering("sans-serif"), "image/svg+xml");
    let (plain, _) = w.get("/plain.svg?w=200&format=png").await;
    assert_eq!(plain.status, 200);
    let note = plain.header("x-resize-note").unwrap_or_default();
    assert!(note.contains("fonts/huge.ttf is 9 MB, over the 8 MB"), "{note}");
    assert!(!ops(&w.calls()).contains(&"read fonts/huge.ttf"), "{:?}", w.calls());
}
