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

/// The security review's case, `/shop/photo.jpg?w=1600&h=400&fit=pad` on a 600×400 photo: the
/// picture sits in the middle (500 to 1100), between white bars. A forced mark at the bottom
/// right goes to the picture's corner, not the canvas's (in the bar, leaving the picture bare),
/// and a fractional width is of the picture; an ordinary overlay keeps the canvas's corner. Also
/// for a picture turned by `rotate=90` (its rectangle is the turned one).
#[test]
fn a_forced_corner_mark_is_on_the_picture_not_in_the_pad() {
    use edge_image_resizer::transform::Turn;
    let mark = RgbaImage::from_pixel(40, 20, Rgba(RED));
    let json = r#"{"mark": {"key": "brand/mark.png", "width": 40, "bottom": 5, "right": 5, "default_for": ["shop/"]},
                   "band": {"key": "brand/mark.png", "width": 0.1, "top": 0, "left": 0, "default_for": ["shop/"]}}"#;
    let padded = Transform { width: Some(1600), height: Some(400), fit: Fit::Pad, ..Default::default() };
    let upright = RgbaImage::from_pixel(600, 400, Rgba(GREY));
    let lying = RgbaImage::from_pixel(400, 600, Rgba(GREY));
    let turned = Transform { turn: Turn { quarters: 1, ..Default::default() }, ..padded.clone() };
    for (source, t) in [(&upright, padded), (&lying, turned)] {
        let img = marked(source, json, &mark, t);
        assert_eq!(img.dimensions(), (1600, 400));
        let (white, grey) = ([255, 255, 255, 255], GREY);
        assert_eq!((img.get_pixel(499, 200).0, img.get_pixel(500, 200).0, img.get_pixel(1100, 200).0), (white, grey, white));
        // `mark`: 40×20, its bottom-right corner 5 px inside the picture's (1100, 400).
        assert_eq!(img.get_pixel(1100 - 6, 400 - 6).0, RED, "the mark at the picture's corner");
        assert_eq!(img.get_pixel(1100 - 45, 400 - 25).0, RED, "the mark's top-left pixel");
        assert_eq!(img.get_pixel(1100 - 4, 400 - 4).0, grey, "outside the offset");
        assert!((1100..1600).all(|x| (0..400).all(|y| img.get_pixel(x, y).0 == white)), "nothing in the right-hand bar");
        // `band`: a tenth of the picture's width (60, not 160), at its top-left corner.
        assert_eq!((img.get_pixel(500, 0).0, img.get_pixel(559, 29).0), (RED, RED), "the band from the picture's corner");
        assert_eq!((img.get_pixel(560, 0).0, img.get_pixel(500, 30).0), (grey, grey), "the band is 60×30");
        assert!((0..500).all(|x| (0..400).all(|y| img.get_pixel(x, y).0 == white)), "nothing in the left-hand bar");
    }
    // An overlay that is not forced keeps Cloudflare's placement, on the padded canvas.
    let logo = r#"{"logo": {"key": "brand/logo.png", "width": 40, "bottom": 5, "right": 5}}"#;
    let padded = Transform { width: Some(1600), height: Some(400), fit: Fit::Pad, ..Default::default() };
    let img = marked(&upright, logo, &mark, padded);
    assert_eq!((img.get_pixel(1600 - 6, 400 - 6).0, img.get_pixel(1100 - 6, 400 - 6).0), (RED, GREY));
}
