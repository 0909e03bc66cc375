use super::*;
use crate::config::PipelineSettings;
use crate::pipeline::transform_bytes;
use crate::transform::{Fit, Transform};

/// Left half red, right half blue, on a transparent 24×12 canvas with a 2 px clear margin.
const HALVES: &str = r##"<svg xmlns="http://www.w3.org/2000/svg" width="24" height="12" viewBox="0 0 24 12">
  <rect x="2" y="2" width="10" height="8" fill="#f00"/><rect x="12" y="2" width="10" height="8" fill="#00f"/>
</svg>"##;

fn png(svg: &str, t: Transform) -> Result<image::RgbaImage> {
    let out = transform_bytes(svg.as_bytes().to_vec(), &t, &PipelineSettings::default())?;
    assert_eq!(out.format, Format::Png);
    Ok(image::load_from_memory(&out.bytes).unwrap().to_rgba8())
}

fn width(w: u32) -> Transform {
    Transform { width: Some(w), ..Default::default() }
}

#[test]
fn the_document_is_drawn_at_the_width_asked_not_enlarged_from_its_own_size() {
    for w in [48, 960] {
        let img = png(HALVES, width(w)).unwrap();
        assert_eq!(img.dimensions(), (w, w / 2), "the default fit (scale-down) enlarges a vector");
        let at = |x: f64, y: f64| *img.get_pixel((x * w as f64) as u32, (y * w as f64 / 2.0) as u32);
        assert_eq!(at(0.25, 0.5).0, [255, 0, 0, 255]);
        assert_eq!(at(0.75, 0.5).0, [0, 0, 255, 255]);
        assert_eq!(at(0.02, 0.05).0[3], 0, "the margin stays transparent");
    }
    // Crisp at 960 px: the red/blue edge is one pixel wide, where a 24 px bitmap enlarged 40×
    // would smear it over tens of pixels.
    let img = png(HALVES, width(960)).unwrap();
    let mixed = (0..960)
        .filter(|&x| {
            let p = img.get_pixel(x, 240).0;
            p[0] > 10 && p[2] > 10
        })
        .count();
    assert!(mixed <= 1, "{mixed} pixels mix red and blue");
}

#[test]
fn without_a_size_it_is_drawn_at_its_own_and_other_fits_follow_the_box() {
    assert_eq!(png(HALVES, Transform::default()).unwrap().dimensions(), (24, 12));
    let cover = Transform { width: Some(100), height: Some(100), fit: Fit::Crop, ..Default::default() };
    let img = png(HALVES, cover).unwrap();
    assert_eq!(img.dimensions(), (100, 100));
    // Centre crop of a 2:1 picture into a square: red on the left of the middle, blue right.
    assert_eq!(img.get_pixel(30, 50).0, [255, 0, 0, 255]);
    assert_eq!(img.get_pixel(70, 50).0, [0, 0, 255, 255]);
}

#[test]
fn a_huge_canvas_is_drawn_at_the_size_asked() {
    let huge = r#"<svg xmlns="http://www.w3.org/2000/svg" width="200000" height="200000"><circle cx="100000" cy="100000" r="90000" fill="green"/></svg>"#;
    let p = probe(huge.as_bytes()).unwrap();
    assert_eq!((p.width, p.height), (200_000, 200_000));
    let img = png(huge, width(400)).unwrap();
    assert_eq!(img.dimensions(), (400, 400));
    assert_eq!(img.get_pixel(200, 200).0, [0, 128, 0, 255]);
    assert_eq!(img.get_pixel(2, 2).0[3], 0);
}

#[test]
fn use_bombs_are_refused_before_they_expand() {
    let mut doc = String::from(
        r#"<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="10" height="10"><defs><rect id="l0" width="1" height="1"/>"#,
    );
    for level in 1..=9 {
        doc += &format!(r#"<g id="l{level}">"#);
        for _ in 0..10 {
            doc += &format!(r##"<use xlink:href="#l{}"/>"##, level - 1);
        }
        doc += "</g>";
    }
    doc += r##"</defs><use xlink:href="#l9"/></svg>"##;
    let e = probe(doc.as_bytes()).unwrap_err();
    // usvg stops at a million elements itself, after building them (seconds, and memory a
    // worker does not have); counted first, it stops at a tenth of that before building any.
    assert_eq!(e.status(), 422, "{e}");
    assert!(e.to_string().contains("<use>"), "{e}");
    // A few uses are fine, and so is one that points at itself.
    let fine = r##"<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect id="r" width="5" height="5"/><use href="#r" x="5"/><g id="s"><use href="#s"/></g></svg>"##;
    assert!(probe(fine.as_bytes()).is_ok());
}

#[test]
fn layers_larger_than_the_canvas_count_against_the_budget() {
    let plain = r#"<svg xmlns="http://www.w3.org/2000/svg" width="100" height="100"><rect width="100" height="100"/></svg>"#;
    let layered = r#"<svg xmlns="http://www.w3.org/2000/svg" width="100" height="100"><g opacity="0.5"><g opacity="0.5"><rect width="30000" height="30000"/></g></g></svg>"#;
    assert_eq!(probe(plain.as_bytes()).unwrap().plane_bytes, 100 * 100 * 4);
    assert!(probe(layered.as_bytes()).unwrap().plane_bytes > 2 * 30_000 * 30_000 * 4);
    assert_eq!(png(layered, width(100)).unwrap_err().status(), 413);
}

#[test]
fn nothing_outside_the_document_is_read_and_scripts_do_not_matter() {
    let svg = r##"<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="20" height="20" onload="alert(1)">
      <script>alert(1)</script>
      <image xlink:href="file:///etc/passwd" width="20" height="20"/>
      <image xlink:href="http://169.254.169.254/latest/meta-data/" width="20" height="20"/>
      <image xlink:href="data:image/svg+xml;base64,PHN2ZyB4bWxucz0iaHR0cDovL3d3dy53My5vcmcvMjAwMC9zdmciLz4=" width="20" height="20"/>
      <rect x="5" y="5" width="10" height="10" fill="#0f0"/></svg>"##;
    let img = png(svg, width(20)).unwrap();
    assert_eq!(img.get_pixel(10, 10).0, [0, 255, 0, 255]);
    assert_eq!(img.get_pixel(1, 1).0[3], 0, "no image was drawn");
}

#[test]
fn entity_bombs_and_broken_documents_are_undecodable() {
    let laughs = r#"<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]><svg xmlns="http://www.w3.org/2000/svg" width="9" height="9"><text>&d;</text></svg>"#;
    for bad in [laughs, "<svg xmlns='http://www.w3.org/2000/svg'><rect>"] {
        assert_eq!(png(bad, width(10)).unwrap_err().status(), 422);
    }
}

#[test]
fn semi_transparent_paint_comes_out_with_straight_alpha() {
    let svg = r##"<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"><rect width="4" height="4" fill="#ff8000" fill-opacity="0.5"/></svg>"##;
    let p = png(svg, width(4)).unwrap().get_pixel(2, 2).0;
    assert!(p[0] >= 254 && (127..=129).contains(&p[1]) && p[2] == 0 && (127..=129).contains(&p[3]), "{p:?}");
}

fn embedding(bytes: &[u8], mime: &str) -> String {
    use base64::Engine;
    let data = base64::engine::general_purpose::STANDARD.encode(bytes);
    format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="40" height="20"><image width="40" height="20" preserveAspectRatio="none" xlink:href="data:{mime};base64,{data}"/></svg>"#
    )
}

#[test]
fn embedded_images_are_drawn_by_their_bytes_not_the_type_they_claim() {
    // A 4:2:0 JPEG, left half orange, right half teal, declared as a PNG (the sanitiser keeps
    // `data:` URLs of the standard image types only).
    let img = image::RgbImage::from_fn(64, 32, |x, _| if x < 32 { image::Rgb([240, 120, 20]) } else { image::Rgb([20, 150, 150]) });
    let jpeg = crate::fixtures::jpeg(&img, false, None);
    let out = png(&embedding(&jpeg, "image/png"), width(40)).unwrap();
    for (x, want) in [(8, [240, 120, 20]), (32, [20, 150, 150])] {
        let got = out.get_pixel(x, 10).0;
        assert!((0..3).all(|c| got[c].abs_diff(want[c]) <= 8) && got[3] == 255, "{x}: {got:?}");
    }
    let disc = crate::fixtures::png(&crate::fixtures::alpha_disc(20, 20));
    let out = png(&embedding(&disc, "image/png"), width(40)).unwrap();
    assert!(out.get_pixel(20, 10).0[3] >= 240, "the disc's opaque middle");
    assert_eq!(out.get_pixel(0, 0).0[3], 0, "its clear corner");
}

#[test]
fn an_embedded_bomb_is_refused_by_admission_at_any_output_size() {
    let bomb = crate::fixtures::png_bomb(30_000, 30_000);
    let svg = embedding(&bomb, "image/png");
    assert!(probe(svg.as_bytes()).unwrap().held_bytes >= 30_000 * 30_000 * 4);
    assert_eq!(png(&svg, width(16)).unwrap_err().status(), 413);
}
