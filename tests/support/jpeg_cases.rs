//! The vendored jpeg-decoder (vendor/jpeg-decoder) against crates.io's 0.3.2 it was copied from:
//! generated JPEGs in every chroma sampling the upsamplers handle, odd sizes included, decoded by
//! both at each DCT scale. Included by tests/jpeg_decoder.rs (natively: the byte reader, the
//! reused buffers) and tests/wasm_simd.rs (in wasm, where the SIMD128 IDCT and upsamplers run).
#![allow(dead_code)]

use jpeg_encoder::{ColorType, Encoder, SamplingFactor};

/// (name, JPEG bytes): a photo-like picture at a few sizes, each chroma sampling, a restart
/// interval, and greyscale.
pub fn cases() -> Vec<(String, Vec<u8>)> {
    let samplings = [
        ("4:2:0", SamplingFactor::R_4_2_0),
        ("4:2:2", SamplingFactor::R_4_2_2),
        ("4:4:4", SamplingFactor::R_4_4_4),
        ("4:4:0", SamplingFactor::R_4_4_0),
        ("4:1:1", SamplingFactor::R_4_1_1),
    ];
    let mut out = Vec::new();
    for (w, h) in [(333u16, 251u16), (64, 48), (41, 17), (9, 9)] {
        let img = super::fixtures::photo(w as u32, h as u32, 7);
        for (name, sampling) in samplings {
            for restart in [0, 3] {
                let mut bytes = Vec::new();
                let mut enc = Encoder::new(&mut bytes, 92);
                enc.set_sampling_factor(sampling);
                if restart > 0 {
                    enc.set_restart_interval(restart);
                }
                enc.encode(img.as_raw(), w, h, ColorType::Rgb).unwrap();
                out.push((format!("{w}×{h} {name} restart {restart}"), bytes));
            }
        }
        let mut bytes = Vec::new();
        let mut enc = Encoder::new(&mut bytes, 92);
        enc.set_progressive(true);
        enc.encode(img.as_raw(), w, h, ColorType::Rgb).unwrap();
        out.push((format!("{w}×{h} progressive 4:2:0"), bytes));
        let grey: Vec<u8> = img.pixels().map(|p| p.0[1]).collect();
        let mut bytes = Vec::new();
        Encoder::new(&mut bytes, 92).encode(&grey, w, h, ColorType::Luma).unwrap();
        out.push((format!("{w}×{h} grey"), bytes));
    }
    // libjpeg's own files (scripts/fixtures/progressive.py).
    for (name, bytes) in [
        ("libjpeg p420", &include_bytes!("../fixtures/progressive/p420.jpg")[..]),
        ("libjpeg p422", include_bytes!("../fixtures/progressive/p422.jpg")),
        ("libjpeg p444-restart", include_bytes!("../fixtures/progressive/p444-restart.jpg")),
        ("libjpeg grey-restart", include_bytes!("../fixtures/progressive/grey-restart.jpg")),
    ] {
        out.push((name.to_string(), bytes.to_vec()));
    }
    out
}

/// Each DCT scale's request for a `w`×`h` picture: 1/8, 1/4, 1/2 and full.
pub fn requests(w: u16, h: u16) -> [(u16, u16); 4] {
    let at = |eighths: u32| (((w as u32 * eighths).div_ceil(8)).max(1) as u16, ((h as u32 * eighths).div_ceil(8)).max(1) as u16);
    [at(1), at(2), at(4), at(8)]
}

/// A decode's width, height and pixels.
pub type Pixels = (u16, u16, Vec<u8>);

/// Decodes `bytes` with both decoders at the size asked: (vendored, upstream).
pub fn decode_both(bytes: &[u8], request: (u16, u16)) -> (Pixels, Pixels) {
    let mut ours = jpeg_decoder::Decoder::new(bytes);
    ours.read_info().unwrap();
    let (w, h) = ours.scale(request.0, request.1).unwrap();
    let a = (w, h, ours.decode().unwrap());
    let mut theirs = jpeg_decoder_upstream::Decoder::new(bytes);
    theirs.read_info().unwrap();
    let (w, h) = theirs.scale(request.0, request.1).unwrap();
    (a, (w, h, theirs.decode().unwrap()))
}

/// Every case at every scale decodes to the same bytes in both; returns how many were compared.
pub fn assert_same_as_upstream(cases: Vec<(String, Vec<u8>)>) -> usize {
    let mut compared = 0;
    for (name, bytes) in cases {
        let info = {
            let mut d = jpeg_decoder::Decoder::new(&bytes[..]);
            d.read_info().unwrap();
            d.info().unwrap()
        };
        for request in requests(info.width, info.height) {
            let (ours, theirs) = decode_both(&bytes, request);
            assert_eq!((ours.0, ours.1), (theirs.0, theirs.1), "{name} at {request:?}: size");
            if let Some(i) = ours.2.iter().zip(&theirs.2).position(|(a, b)| a != b) {
                panic!("{name} at {request:?}: byte {i} is {} against upstream's {}", ours.2[i], theirs.2[i]);
            }
            assert_eq!(ours.2.len(), theirs.2.len(), "{name} at {request:?}");
            compared += 1;
        }
    }
    compared
}
