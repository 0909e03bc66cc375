//! Runs in wasm (Node, through wasm-bindgen-test-runner), where Rust 1.95 miscompiles
//! fast_image_resize's SIMD128 U8x4 divide-alpha (rust-lang/rust#157456): premultiplied values far
//! above alpha, e.g. Lanczos ringing next to alpha ≈ 0, come back as 0 instead of 255. Also where
//! the vendored jpeg-decoder's own SIMD128 paths run, checked against crates.io's scalar ones.
//! `scripts/test.sh`: `cargo test --release --target wasm32-unknown-unknown --test wasm_simd`, with
//! the worker's features and environment, so the worker's build reuses its compile.
#![cfg(target_arch = "wasm32")]

#[path = "support/fixtures.rs"]
mod fixtures;
#[path = "support/jpeg_cases.rs"]
mod jpeg_cases;

use edge_image_resizer::pipeline::steps::resize::divide_alpha;
use fast_image_resize::images::TypedImage;
use fast_image_resize::pixels::U8x4;
use fast_image_resize::MulDiv;
use image::{DynamicImage, Rgba, RgbaImage};
use wasm_bindgen_test::{console_log, wasm_bindgen_test};

/// The reproduction from the notes: [1, 128, 255, 1] must divide to [255, 255, 255, 1].
fn crafted() -> DynamicImage {
    DynamicImage::ImageRgba8(RgbaImage::from_pixel(64, 4, Rgba([1, 128, 255, 1])))
}

#[wasm_bindgen_test]
fn our_divide_alpha_is_right_in_wasm() {
    let mut img = crafted();
    divide_alpha(&mut img).unwrap();
    for p in img.to_rgba8().pixels() {
        assert_eq!(p.0, [255, 255, 255, 1]);
    }
}

/// The upstream behaviour the workaround exists for: with this toolchain, fir's own SIMD
/// divide-alpha still gets the crafted pixel wrong. This fails the day a toolchain or fir release
/// fixes it, which is the day `pipeline::steps::resize::divide_alpha` can go back to fir's own call.
#[wasm_bindgen_test]
fn fir_simd_divide_alpha_is_still_miscompiled() {
    let mut pixels = crafted().into_rgba8().into_raw();
    let mut img = TypedImage::<U8x4>::from_buffer(64, 4, &mut pixels).unwrap();
    // (fir's typed API: the crate's own features, as the worker builds it.)
    MulDiv::new().divide_alpha_inplace_typed(&mut img).unwrap();
    let p: [u8; 4] = pixels[..4].try_into().unwrap();
    console_log!("fir's SIMD divide-alpha gives {p:?} for [1, 128, 255, 1]");
    assert_ne!(
        p,
        [255, 255, 255, 1],
        "fir's SIMD divide-alpha is correct with this toolchain: drop the scalar workaround in pipeline::steps::resize"
    );
}

/// The vendored jpeg-decoder's SIMD128 4×4 IDCT and h2v1/h2v2 upsamplers (vendor/jpeg-decoder,
/// `arch/wasm_scaled.rs`) give upstream's scalar bytes, in every sampling and at every scale.
#[wasm_bindgen_test]
fn vendored_jpeg_decoder_simd_decodes_as_upstream() {
    let compared = jpeg_cases::assert_same_as_upstream(jpeg_cases::cases());
    console_log!("{compared} decodes compared with upstream jpeg-decoder");
    assert!(compared >= 200, "{compared}");
}
