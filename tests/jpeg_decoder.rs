//! The vendored jpeg-decoder decodes exactly as crates.io's 0.3.2 does, natively (its buffered
//! byte reader and reused buffers; the SIMD128 paths are checked in wasm by tests/wasm_simd.rs).

#[path = "support/fixtures.rs"]
mod fixtures;
#[path = "support/jpeg_cases.rs"]
mod jpeg_cases;

#[test]
fn generated_jpegs_decode_as_upstream_at_every_scale() {
    let compared = jpeg_cases::assert_same_as_upstream(jpeg_cases::cases());
    assert!(compared >= 200, "{compared}");
}

/// Real cameras' files (markers, restart intervals, fill bytes) when the shared corpus is there.
#[test]
fn corpus_jpegs_decode_as_upstream_at_every_scale() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/photos");
    let Ok(entries) = std::fs::read_dir(&dir) else { return };
    let photos: Vec<(String, Vec<u8>)> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "jpg" || x == "jpeg"))
        .map(|p| (p.display().to_string(), std::fs::read(&p).unwrap()))
        .collect();
    assert!(jpeg_cases::assert_same_as_upstream(photos) > 0);
}
