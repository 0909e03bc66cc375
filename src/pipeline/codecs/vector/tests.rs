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

/// A 1000×1000 document whose square is drawn through `filter` (the primitives' markup).
fn filtered(primitives: &str) -> String {
    format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="1000" height="1000"><filter id="f" x="0" y="0" width="1" height="1">{primitives}</filter><rect width="1000" height="1000" fill="#48c" filter="url(#f)"/></svg>"##
    )
}

/// The filter attacks, each at parameters that still finish, drawn at 1000×1000 with the time
/// each takes: `cargo test --lib filter_attack_timings -- --ignored --nocapture`.
#[test]
#[ignore = "prints timings; run by hand"]
fn filter_attack_timings() {
    let cases = [
        ("no filter", r#"<feOffset dx="0"/>"#.to_string()),
        ("feMorphology radius 4", r#"<feMorphology operator="dilate" radius="4"/>"#.to_string()),
        ("feMorphology radius 16", r#"<feMorphology operator="dilate" radius="16"/>"#.to_string()),
        ("feTurbulence 1 octave", r#"<feTurbulence baseFrequency="0.05" numOctaves="1"/>"#.to_string()),
        ("feTurbulence 16 octaves", r#"<feTurbulence baseFrequency="0.05" numOctaves="16"/>"#.to_string()),
        ("feGaussianBlur 2", r#"<feGaussianBlur stdDeviation="2"/>"#.to_string()),
        ("feGaussianBlur 100000", r#"<feGaussianBlur stdDeviation="100000"/>"#.to_string()),
        ("feConvolveMatrix order 9", format!(r#"<feConvolveMatrix order="9" kernelMatrix="{}"/>"#, "1 ".repeat(81))),
        ("64 × feOffset", r#"<feOffset dx="1"/>"#.repeat(64)),
        ("feDiffuseLighting", r#"<feDiffuseLighting><feDistantLight/></feDiffuseLighting>"#.to_string()),
    ];
    for (name, primitives) in cases {
        let svg = filtered(&primitives);
        let start = std::time::Instant::now();
        let result = render(svg.as_bytes(), (1000, 1000)).map(|_| ());
        println!("{name:28} {:>8.1} ms {:?}", start.elapsed().as_secs_f64() * 1e3, result.map_err(|e| e.to_string()));
    }
    let huge = r##"<svg xmlns="http://www.w3.org/2000/svg" width="1000" height="1000"><filter id="f" x="-1000" y="-1000" width="1000000" height="1000000" filterUnits="userSpaceOnUse"><feOffset dx="1"/></filter><rect width="1000" height="1000" fill="#48c" filter="url(#f)"/></svg>"##;
    let start = std::time::Instant::now();
    let result = render(huge.as_bytes(), (1000, 1000)).map(|_| ());
    println!("{:28} {:>8.1} ms {:?}", "a 10⁶-unit filter region", start.elapsed().as_secs_f64() * 1e3, result.map_err(|e| e.to_string()));
}

const XLINK: &str = r#"xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink""#;

/// `n` rectangles in a group with `id`.
fn group(id: &str, n: usize) -> String {
    format!(r#"<g id="{id}">{}</g>"#, r#"<rect width="1" height="1"/>"#.repeat(n))
}

/// `n` copies of `use`, in a 10×10 document after `defs`.
fn uses(defs: &str, r#use: &str, n: usize) -> String {
    format!(r#"<svg {XLINK} width="10" height="10"><defs>{defs}</defs>{}</svg>"#, r#use.repeat(n))
}

fn expansion_of(svg: &str) -> expand::Expansion {
    let clean = crate::svg::sanitize(svg.as_bytes()).unwrap();
    let doc = xml(std::str::from_utf8(&clean).unwrap()).unwrap();
    expand::expansion(&doc, MAX_ELEMENTS, MAX_LOOKUPS)
}

fn refused_for_expanding(svg: &str) {
    let e = probe(svg.as_bytes()).unwrap_err();
    assert_eq!(e.status(), 422, "{e}");
    assert!(e.to_string().contains("expands to more than"), "{e}");
}

#[test]
fn use_targets_the_first_of_repeated_ids_as_usvg_does() {
    // usvg resolves `#x` to the first element with the id: here 5,000 rectangles, copied 100
    // times (500,000 nodes). Counting the last (one rectangle) let this through.
    let bomb_first = uses(&format!(r#"{}<rect id="x" width="1" height="1"/>"#, group("x", 5000)), r##"<use href="#x"/>"##, 100);
    refused_for_expanding(&bomb_first);
    // The other way round it is a hundred rectangles, drawn.
    let bomb_last = uses(&format!(r#"<rect id="x" width="1" height="1"/>{}"#, group("x", 5000)), r##"<use href="#x"/>"##, 100);
    let n = expansion_of(&bomb_last).elements;
    assert!((5000..5300).contains(&n), "{n}");
    assert!(probe(bomb_last.as_bytes()).is_ok());
}

/// The count on a document as written, without the sanitiser.
fn raw_expansion(svg: &str) -> expand::Expansion {
    expand::expansion(&xml(svg).unwrap(), MAX_ELEMENTS, MAX_LOOKUPS)
}

#[test]
fn use_follows_href_before_xlink_href_whatever_their_order() {
    let defs = format!(r#"{}<rect id="small" width="1" height="1"/>"#, group("big", 5000));
    // usvg (SVG 2) follows the unprefixed `href` whatever the order; the count does the same
    // on any document.
    assert_eq!(raw_expansion(&uses(&defs, r##"<use xlink:href="#small" href="#big"/>"##, 100)).elements, u64::MAX);
    assert_eq!(raw_expansion(&uses(&defs, r##"<use href="#big" xlink:href="#small"/>"##, 100)).elements, u64::MAX);
    assert!(raw_expansion(&uses(&defs, r##"<use xlink:href="#big" href="#small"/>"##, 100)).elements < 5300);
    // The sanitiser, which runs first, keeps only the first of the two and writes it as
    // `href`: usvg then follows the first, and so does the count.
    refused_for_expanding(&uses(&defs, r##"<use xlink:href="#big" href="#small"/>"##, 100));
    refused_for_expanding(&uses(&defs, r##"<use href="#big" xlink:href="#small"/>"##, 100));
    for fine in [r##"<use xlink:href="#small" href="#big"/>"##, r##"<use href="#small" xlink:href="#big"/>"##] {
        let svg = uses(&defs, fine, 100);
        assert!(expansion_of(&svg).elements < 5300, "{fine}");
        assert!(probe(svg.as_bytes()).is_ok(), "{fine}");
    }
    // `xlink:href` alone is followed, and an IRI with spaces around it too.
    refused_for_expanding(&uses(&defs, r##"<use xlink:href=" #big "/>"##, 100));
    assert_eq!(raw_expansion(&uses(&defs, r##"<use href=" #big "/>"##, 100)).elements, u64::MAX);
}

#[test]
fn a_billion_laughs_of_use_is_refused_quickly_and_many_plain_uses_are_drawn() {
    let mut defs = String::from(r#"<rect id="l0" width="1" height="1"/>"#);
    for level in 1..=9 {
        defs += &format!(r#"<g id="l{level}">{}</g>"#, format!(r##"<use href="#l{}"/>"##, level - 1).repeat(10));
    }
    let laughs = uses(&defs, r##"<use href="#l9"/>"##, 1);
    assert_eq!(expansion_of(&laughs).elements, u64::MAX);
    let e = transform_bytes(laughs.into_bytes(), &width(100), &PipelineSettings::default()).unwrap_err();
    assert_eq!(e.status(), 422, "{e}");
    assert!(e.to_string().contains("<use>"), "{e}");
    // 2,000 copies of a five-shape icon (a `<use>`, a group, five shapes): 14,000 nodes, drawn.
    let icon =
        r##"<g id="icon"><rect width="10" height="10" fill="#0a0"/><circle r="1"/><circle r="1"/><circle r="1"/><circle r="1"/></g>"##;
    let many = uses(icon, r##"<use href="#icon"/>"##, 2000);
    let n = expansion_of(&many).elements;
    assert!((14_000..15_000).contains(&n), "{n}");
    assert_eq!(png(&many, width(10)).unwrap().get_pixel(5, 5).0, [0, 170, 0, 255]);
}

#[test]
fn loops_of_use_cost_their_lookups_and_are_refused() {
    // Each of the 1,000 outer copies is skipped by usvg (the target holds a `<use>` of itself),
    // but only after usvg has walked the target's 20,000 elements looking for that loop.
    let target = r##"<g id="g">"##.to_string() + &r#"<rect width="1" height="1"/>"#.repeat(20_000) + r##"<use href="#g"/></g>"##;
    let svg = uses(&target, r##"<use href="#g"/>"##, 1000);
    assert!(expansion_of(&svg).lookups > MAX_LOOKUPS);
    let e = probe(svg.as_bytes()).unwrap_err();
    assert_eq!(e.status(), 422, "{e}");
    assert!(e.to_string().contains("lookups"), "{e}");
    // One self-reference alone is skipped and drawn.
    assert!(probe(uses(&group("a", 3), r##"<g id="s"><use href="#s"/></g>"##, 1).as_bytes()).is_ok());
}

#[test]
fn tref_text_and_marker_copies_are_counted() {
    // `<tref>` copies its target's text: 2,000 characters 100 times. (The sanitiser drops the
    // link of a `tref`, so only the count on the document as written can see it.)
    let text = format!(r#"<text id="t">{}</text>"#, "x".repeat(2000));
    let trefs = format!(
        r#"<svg {XLINK} width="10" height="10"><defs>{text}</defs><text>{}</text></svg>"#,
        r##"<tref xlink:href="#t"/>"##.repeat(100)
    );
    assert_eq!(raw_expansion(&trefs).elements, u64::MAX);
    assert!(probe(trefs.as_bytes()).is_ok(), "inert once sanitised");
    // A marker's content is copied at every vertex: 50 shapes on 3,000 vertices.
    let marker = format!(r#"<marker id="m">{}</marker>"#, r#"<circle r="1"/>"#.repeat(50));
    let d = format!("M0 0{}", " l1 1".repeat(1500));
    let marked =
        format!(r#"<svg {XLINK} width="10" height="10"><defs>{marker}</defs><path d="{d}" marker-mid="url(#m)" stroke="black"/></svg>"#);
    refused_for_expanding(&marked);
    // An arrow head on a line is drawn.
    let arrow = format!(
        r#"<svg {XLINK} width="10" height="10"><defs>{marker}</defs><line x2="9" y2="9" marker-end="url(#m)" stroke="black"/></svg>"#
    );
    assert!(probe(arrow.as_bytes()).is_ok());
}

/// The tree of a document, as drawn at 1000×1000.
fn filter_check(svg: &str) -> Result<()> {
    let (tree, _) = parse(svg.as_bytes(), false)?;
    filters::check(&tree, tiny_skia::Transform::from_scale(1000.0 / tree.size().width(), 1000.0 / tree.size().height()), (1000, 1000))
}

#[test]
fn filter_attacks_are_refused_before_drawing() {
    for (primitive, named) in [
        (r#"<feMorphology operator="dilate" radius="500"/>"#.to_string(), "feMorphology radius 500"),
        (r#"<feTurbulence baseFrequency="0.05" numOctaves="1000000"/>"#.to_string(), "feTurbulence numOctaves 1000000"),
        (format!(r#"<feConvolveMatrix order="40" kernelMatrix="{}"/>"#, "1 ".repeat(1600)), "feConvolveMatrix order 40 40"),
        (r#"<feOffset dx="1"/>"#.repeat(200), "over the limit"),
    ] {
        let svg = filtered(&primitive);
        // `filters::check` runs on the parsed tree, before the canvas exists; `render` calls it
        // first, so the refusal costs a parse (these would take minutes to hours to draw).
        let e = filter_check(&svg).unwrap_err();
        assert_eq!(e.status(), 413, "{e}");
        assert!(e.to_string().contains(named), "{named}: {e}");
        let e = render(svg.as_bytes(), (1000, 1000)).unwrap_err();
        assert_eq!(e.status(), 413, "{e}");
    }
    // A filter region 1,000 times the picture is clipped as resvg clips it (five canvases a
    // side), then counted: one offset over 25 canvases passes, eight do not.
    let huge = |n: usize| {
        format!(
            r##"<svg xmlns="http://www.w3.org/2000/svg" width="1000" height="1000"><filter id="f" x="-1000000" y="-1000000" width="2000000" height="2000000" filterUnits="userSpaceOnUse">{}</filter><rect width="1000" height="1000" filter="url(#f)"/></svg>"##,
            r#"<feOffset dx="1"/>"#.repeat(n)
        )
    };
    assert!(filter_check(&huge(1)).is_ok());
    assert_eq!(filter_check(&huge(8)).unwrap_err().status(), 413);
    // What pictures use passes: a large blur costs as little as a small one in resvg.
    for fine in [
        r#"<feGaussianBlur stdDeviation="100000"/>"#,
        r#"<feDropShadow dx="4" dy="4" stdDeviation="30"/>"#,
        r#"<feTurbulence baseFrequency="0.05" numOctaves="8"/>"#,
        r#"<feMorphology radius="3"/>"#,
        r#"<feConvolveMatrix order="3" kernelMatrix="0 1 0 1 -4 1 0 1 0"/>"#,
    ] {
        filter_check(&filtered(fine)).unwrap_or_else(|e| panic!("{fine}: {e}"));
    }
    // The budget is per output: the radius that is refused at 1000 px is drawn at 40.
    let svg = filtered(r#"<feMorphology operator="dilate" radius="100"/>"#);
    assert!(filter_check(&svg).is_err());
    assert_eq!(render(svg.as_bytes(), (40, 40)).unwrap().width(), 40);
}
