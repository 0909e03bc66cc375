//! Forced watermarks (`OVERLAYS`' `default_for`) where a client cannot get the picture without
//! them: every part of a large output under a small tiled mark, and the picture itself (not
//! `fit=pad`'s bars) under a corner mark. Checked on the decoded output's pixels.

#[path = "support/fixtures.rs"]
mod fixtures;

use edge_image_resizer::config::{parse_overlays, PipelineSettings};
use edge_image_resizer::pipeline;
use edge_image_resizer::transform::{Fit, Format, FormatChoice, Transform};
use image::{Rgba, RgbaImage};

const GREY: [u8; 4] = [128, 128, 128, 255];
const RED: [u8; 4] = [255, 0, 0, 255];

/// `source` under the overlays of `json` (each drawing `mark`), as PNG, decoded.
fn marked(source: &RgbaImage, json: &str, mark: &RgbaImage, t: Transform) -> RgbaImage {
    let overlays: Vec<_> = parse_overlays(json).unwrap().into_iter().map(|o| (o, fixtures::png(mark))).collect();
    let t = Transform { format: Some(FormatChoice::Is(Format::Png)), ..t };
    let t = t.resolved(Format::Png, PipelineSettings::default().output_defaults(), Default::default());
    let host = pipeline::Host { clock: &|| 0.0, codecs: &pipeline::Codecs::NATIVE, overlays: &overlays };
    let out = pipeline::run(fixtures::png(source), &t, &PipelineSettings::default(), &host).unwrap();
    image::load_from_memory(&out.bytes).unwrap().to_rgba8()
}

/// A 24×24 tile, transparent but for a red 4×4 square in its top-left corner: every 24×24
/// window of a tiled output holds a red pixel.
fn dotted_tile() -> RgbaImage {
    RgbaImage::from_fn(24, 24, |x, y| Rgba(if x < 4 && y < 4 { RED } else { [0, 0, 0, 0] }))
}

/// The security review's case: a 24 px tile on a 2000×1333 output is 84×56 = 4,704 tiles, more
/// than the 4,096 once drawn, and the last rows were left out (the bottom ~180 px unmarked).
#[test]
fn a_tiled_forced_mark_covers_a_large_output_to_its_last_row() {
    let grey = RgbaImage::from_pixel(300, 200, Rgba(GREY));
    let json = r#"{"mark": {"key": "brand/mark.png", "repeat": true, "default_for": ["shop/"]}}"#;
    let t = Transform { width: Some(2000), fit: Fit::Contain, ..Default::default() };
    let img = marked(&grey, json, &dotted_tile(), t);
    assert_eq!(img.dimensions(), (2000, 1333));
    // Every band of 24 rows, the bottom one included, holds a dot in every 24 columns.
    for top in (0..img.height()).step_by(24).map(|y| y.min(img.height() - 24)) {
        for left in (0..img.width()).step_by(24).map(|x| x.min(img.width() - 24)) {
            let dotted = (top..top + 24).any(|y| (left..left + 24).any(|x| img.get_pixel(x, y).0 == RED));
            assert!(dotted, "no mark in the 24×24 window at ({left}, {top})");
        }
    }
}
