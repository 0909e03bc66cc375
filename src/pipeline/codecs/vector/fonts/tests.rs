//! Lettering: drawn, in its place at every size, as librsvg draws it (when `rsvg-convert` is
//! installed: scripts/setup.sh puts it in; CI requires it), and with the operator's fonts.

use super::*;
use crate::config::PipelineSettings;
use crate::pipeline::transform_bytes;
use crate::transform::Transform;
use image::GrayImage;

/// A logo of lettering only: bold sans-serif, a serif named by a family we do not have (Georgia),
/// monospace, and characters past ASCII.
const LOGO: &str = r##"<svg xmlns="http://www.w3.org/2000/svg" width="240" height="90" viewBox="0 0 240 90">
  <rect width="240" height="90" fill="#fff"/>
  <text x="120" y="32" font-family="sans-serif" font-size="26" font-weight="bold" text-anchor="middle">Acme Corp</text>
  <text x="120" y="58" font-family="Georgia, serif" font-size="17" fill="#036" text-anchor="middle">since 1926 – €5</text>
  <text x="12" y="82" font-family="monospace" font-size="14">v2.0</text>
</svg>"##;

fn grey(svg: &str, w: u32) -> GrayImage {
    let t = Transform { width: Some(w), ..Default::default() };
    let out = transform_bytes(svg.as_bytes().to_vec(), &t, &PipelineSettings::default()).unwrap();
    image::load_from_memory(&out.bytes).unwrap().to_luma8()
}

/// The dark pixels' bounding box as fractions of the image: (left, top, right, bottom).
fn ink_box(img: &GrayImage) -> Option<[f64; 4]> {
    let (w, h) = (img.width() as f64, img.height() as f64);
    let ink: Vec<(u32, u32)> = img.enumerate_pixels().filter(|p| p.2 .0[0] < 128).map(|p| (p.0, p.1)).collect();
    let (xs, ys) = (ink.iter().map(|p| p.0), ink.iter().map(|p| p.1));
    Some([xs.clone().min()? as f64 / w, ys.clone().min()? as f64 / h, (xs.max()? + 1) as f64 / w, (ys.max()? + 1) as f64 / h])
}

/// Share of the pixels dark in either image that are dark in both.
fn overlap(a: &GrayImage, b: &GrayImage) -> f64 {
    let (mut both, mut either) = (0u32, 0u32);
    for (p, q) in a.pixels().zip(b.pixels()) {
        let (x, y) = (p.0[0] < 128, q.0[0] < 128);
        both += (x && y) as u32;
        either += (x || y) as u32;
    }
    both as f64 / either.max(1) as f64
}

#[test]
fn lettering_is_drawn_in_its_place_at_any_size() {
    let boxes: Vec<[f64; 4]> = [120, 240, 960].iter().map(|&w| ink_box(&grey(LOGO, w)).expect("the lettering is drawn")).collect();
    // Centred by text-anchor, from the first line's cap height to the monospace line's baseline.
    let [l, t, r, b] = boxes[2];
    assert!(l < 0.1 && r > 0.75 && r < 0.95 && (0.1..0.2).contains(&t) && (0.85..0.95).contains(&b), "{:?}", boxes[2]);
    for other in &boxes[..2] {
        assert!(other.iter().zip(&boxes[2]).all(|(a, b)| (a - b).abs() < 0.03), "{other:?} against {:?}", boxes[2]);
    }
}

#[test]
fn lettering_matches_librsvg() {
    let Ok(_) = std::process::Command::new("rsvg-convert").arg("--version").output() else {
        assert!(std::env::var_os("CI").is_none(), "CI compares against rsvg-convert: install librsvg2-bin (scripts/setup.sh)");
        eprintln!("rsvg-convert is not installed: not compared");
        return;
    };
    let dir = std::env::temp_dir().join(format!("lettering-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("logo.svg"), LOGO).unwrap();
    for w in [240, 960] {
        let png = dir.join(format!("{w}.png"));
        let status = std::process::Command::new("rsvg-convert")
            .args(["-w", &w.to_string(), "-b", "white", "-o"])
            .arg(&png)
            .arg(dir.join("logo.svg"))
            .status()
            .unwrap();
        assert!(status.success());
        let theirs = image::open(&png).unwrap().to_luma8();
        let ours = grey(LOGO, w);
        assert_eq!(ours.dimensions(), theirs.dimensions());
        let share = overlap(&ours, &theirs);
        assert!(share > 0.6, "{w} px: {share:.2} of the ink in common with librsvg");
        let (a, b) = (ink_box(&ours).unwrap(), ink_box(&theirs).unwrap());
        assert!(a.iter().zip(&b).all(|(x, y)| (x - y).abs() < 0.02), "{w} px: ours {a:?}, librsvg {b:?}");
    }
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn an_operators_woff2_font_is_used_by_its_family_name() {
    let doc = |family: &str| {
        format!(
            r##"<svg xmlns="http://www.w3.org/2000/svg" width="200" height="40"><rect width="200" height="40" fill="#fff"/><text x="4" y="30" font-family="{family}" font-size="24">iiiii</text></svg>"##
        )
    };
    // Before it is added, "Test Mono" falls back to sans-serif, whose i is narrow.
    let narrow = ink_box(&grey(&doc("Test Mono"), 200)).unwrap();
    assert_eq!(unread(&["fonts/test-mono.woff2".into()]), vec!["fonts/test-mono.woff2".to_string()]);
    add("fonts/test-mono.woff2", Ok(include_bytes!("../../../../../tests/fixtures/fonts/test-mono.woff2").to_vec())).unwrap();
    assert!(unread(&["fonts/test-mono.woff2".into()]).is_empty(), "read once per isolate");
    assert!(held_bytes() > 1000, "counted by admission");
    let wide = ink_box(&grey(&doc("Test Mono"), 200)).unwrap();
    // Five monospace advances of 0.6 em against five sans-serif ones of 0.28 em.
    assert!(wide[2] - wide[0] > 1.8 * (narrow[2] - narrow[0]), "{wide:?} against {narrow:?}");
}

#[test]
fn what_is_not_a_font_is_refused_with_the_key() {
    let gone = add("fonts/gone.ttf", Err(missing("fonts/gone.ttf"))).unwrap_err();
    assert!(gone.message().contains("fonts/gone.ttf is not in the bucket"), "{gone}");
    let junk = add("fonts/logo.png", Ok(b"\x89PNG\r\n\x1a\n....".to_vec())).unwrap_err();
    assert!(junk.message().contains("not a TTF, OTF or WOFF2"), "{junk}");
    let broken = add("fonts/broken.woff2", Ok(b"wOF2 and then nothing".to_vec())).unwrap_err();
    assert!(broken.message().contains("fonts/broken.woff2"), "{broken}");
    // A WOFF2 that says it unpacks to 4 GB is refused before anything is unpacked.
    let mut bomb = include_bytes!("../../../../../tests/fixtures/fonts/test-mono.woff2").to_vec();
    bomb[16..20].copy_from_slice(&u32::MAX.to_be_bytes());
    let bomb = add("fonts/bomb.woff2", Ok(bomb)).unwrap_err();
    assert_eq!(bomb.status(), 413, "{bomb}");
    assert_eq!(held_bytes(), 0, "nothing was added");
    let said = problems().unwrap();
    assert!(said.contains("fonts/gone.ttf") && said.contains("fonts/logo.png"), "{said}");
    assert!(unread(&["fonts/gone.ttf".into(), "fonts/logo.png".into()]).is_empty(), "not asked for again");
}

#[test]
fn arial_and_helvetica_are_drawn_with_the_face_of_their_widths() {
    let doc = |family: &str| {
        format!(
            r##"<svg xmlns="http://www.w3.org/2000/svg" width="300" height="40"><rect width="300" height="40" fill="#fff"/><text x="4" y="30" font-family="{family}" font-size="24">Wide Lettering</text></svg>"##
        )
    };
    let liberation = grey(&doc("Liberation Sans"), 300);
    for alias in ["Helvetica", "Arial, sans-serif", "'Helvetica Neue', Helvetica"] {
        assert_eq!(grey(&doc(alias), 300), liberation, "{alias}");
    }
    // Anything else falls back to DejaVu Sans, which is wider.
    let fallback = ink_box(&grey(&doc("Some Brand Font"), 300)).unwrap();
    assert_eq!(grey(&doc("Some Brand Font"), 300), grey(&doc("sans-serif"), 300));
    assert!(fallback[2] > ink_box(&liberation).unwrap()[2] + 0.03, "{fallback:?}");
}
