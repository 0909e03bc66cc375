//! Replays what the fuzzers check (`fuzz/checks.rs`) on every input saved under
//! `fuzz/regressions/{url,pipeline,svg_use}/` (each crash a fuzzer found, once fixed) and on a few
//! seeds, so they run with `cargo test` and need neither nightly nor cargo-fuzz.

#[path = "../fuzz/checks.rs"]
mod checks;

use std::path::Path;

/// Replays every saved input of one target; a target whose folder is missing or empty fails,
/// so a renamed folder cannot make this test check nothing.
fn replay(dir: &str, check: fn(&[u8])) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/regressions").join(dir);
    let entries = std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    let mut n = 0;
    for entry in entries.flatten() {
        check(&std::fs::read(entry.path()).unwrap());
        n += 1;
    }
    assert!(n > 0, "no saved inputs in {}", dir.display());
}

#[test]
fn url_regressions_and_seeds() {
    replay("url", checks::url);
    for seed in [
        "/shop/cat.jpg?width=400&height=300&fit=cover&quality=75&format=webp&dpr=2",
        "/cdn-cgi/image/width=400,fit=cover,format=auto/shop/cat.jpg",
        "/shop/cat-200x200.jpg",
        "/prefix/360x270/img.jpg",
        "/img-md.png?size=L&to_webp=1",
        "/a.gif?anim=true&w=10&background=rgb(0%200%200%20/%2050%25)&gravity=0.3x0.6",
    ] {
        checks::url(seed.as_bytes());
    }
}

#[test]
fn pipeline_regressions_and_seeds() {
    replay("pipeline", checks::pipeline);
    let mut png = Vec::new();
    image::RgbaImage::from_pixel(9, 7, image::Rgba([1, 2, 3, 128]))
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .unwrap();
    for options in [[0u8, 0], [3, 0x13], [200, 0xff], [7, 0x40]] {
        let input: Vec<u8> = options.iter().chain(&png).copied().collect();
        checks::pipeline(&input);
        checks::pipeline(&input[..input.len() / 2]);
    }
}

#[test]
fn svg_use_regressions_and_generated_documents() {
    replay("svg_use", checks::svg_use);
    // A few thousand documents from a fixed sequence: what the fuzzer does, briefly.
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    for _ in 0..3000 {
        let len = 2 + (state % 60) as usize;
        let input: Vec<u8> = (0..len)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                (state >> 24) as u8
            })
            .collect();
        checks::svg_use(&input);
    }
}
