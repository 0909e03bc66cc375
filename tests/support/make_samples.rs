//! Writes the sample originals the project uses for `npm start` and the integration tests, so
//! nothing is copied from elsewhere: `cargo run --example make-samples -- <dir>` (scripts/fixtures/samples.sh).
//! An example target, so it is built with the tests' profile and dependencies: after `cargo test`
//! nothing is compiled for it.
//!
//! - `photo.jpg`     4000×3000 photo-like JPEG (smooth light, texture, sharp edges, noise)
//! - `alpha.png`     1200×800 RGBA PNG: a soft-edged disc on full transparency
//! - `portrait.jpg`  stored 1800×1200 with EXIF orientation 6, so it displays as 1200×1800,
//!   and an artist and a copyright line, as a camera writes them
//! - `progressive.jpg` 2400×1600 progressive JPEG
//! - `hdr.jpg`       2400×1600 Ultra HDR JPEG: a 600×400 gain map brightens its light parts up to
//!   4× on an HDR screen
//! - `grey.png`      640×480 16-bit greyscale PNG
//! - `big.jpg`, `big-progressive.jpg`  6000×4000 (24 MP), baseline and progressive
//! - `animated.gif`  400×300, 12 frames
//! - `logo.svg`      320×200 SVG: gradient, layer with opacity, drop shadow, pattern, dashes
//! - `bomb.png`      a header that claims 65536×65536 (tests only; `npm start` does not seed it)

#[path = "fixtures.rs"]
mod fixtures;

use fixtures::{
    alpha_disc, bouncing_ball, exif, grey16_png, jpeg, jpeg_with_exif, logo_svg, photo, png, png_bomb, portrait_stored_sideways, ARTIST,
    COPYRIGHT,
};
use std::path::Path;

fn main() {
    let dir = std::env::args().nth(1).unwrap_or_else(|| "samples".into());
    let dir = Path::new(&dir);
    std::fs::create_dir_all(dir).expect("create output directory");
    let write = |name: &str, bytes: Vec<u8>| std::fs::write(dir.join(name), bytes).expect("write a sample");

    write("photo.jpg", jpeg(&photo(4000, 3000, 1), false, None));
    write("progressive.jpg", jpeg(&photo(2400, 1600, 2), true, None));
    write("hdr.jpg", ultra_hdr(&photo(2400, 1600, 4)));
    let big = photo(6000, 4000, 3);
    write("big.jpg", jpeg(&big, false, None));
    write("big-progressive.jpg", jpeg(&big, true, None));
    drop(big);
    // Stored landscape, shown portrait: orientation 6 means "rotate 90° clockwise to display".
    let camera = exif(6, &[(0x013B, ARTIST), (0x8298, COPYRIGHT)]);
    write("portrait.jpg", jpeg_with_exif(&portrait_stored_sideways(1800, 1200), &camera));
    write("alpha.png", png(&alpha_disc(1200, 800)));
    write("grey.png", grey16_png(640, 480));
    write("animated.gif", bouncing_ball(400, 300, 12));
    write("logo.svg", logo_svg().into_bytes());
    write("bomb.png", png_bomb(65536, 65536));
    println!("samples written to {}", dir.display());
}

/// `img` as an Ultra HDR JPEG whose quarter-size grey gain map boosts its bright parts up to
/// four times (log2 2) on an HDR screen, written by the worker's own gain map writer.
fn ultra_hdr(img: &image::RgbImage) -> Vec<u8> {
    use edge_image_resizer::pipeline::codecs::gainmap::{self, GainMap, Values};
    let small = image::imageops::resize(img, img.width() / 4, img.height() / 4, image::imageops::FilterType::Triangle);
    let map = image::GrayImage::from_fn(small.width(), small.height(), |x, y| {
        let [r, g, b] = small.get_pixel(x, y).0;
        let luma = (r as u32 * 2 + g as u32 * 5 + b as u32) / 8;
        image::Luma([(luma.saturating_sub(128) * 2).min(255) as u8])
    });
    let mut map_jpeg = Vec::new();
    jpeg_encoder::Encoder::new(&mut map_jpeg, 90)
        .encode(map.as_raw(), map.width() as u16, map.height() as u16, jpeg_encoder::ColorType::Luma)
        .expect("encode a map");
    let values = Values::grey(0.0, 2.0);
    gainmap::write(&jpeg(img, false, None), &map_jpeg, &GainMap::from_values(values))
}
