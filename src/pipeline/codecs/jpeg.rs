//! JPEG: its header read without decoding (size, sampling, progressive coding: what admission
//! needs) and its pixels decoded with `jpeg-decoder`, not `image`'s zune-jpeg: zune 0.5.15
//! silently decodes some valid 4:2:0 files to green garbage, and `jpeg-decoder` decodes at 1/2,
//! 1/4 or 1/8 scale in the DCT domain (shrink-on-load), which keeps big photos inside the memory
//! budget. A progressive JPEG at 1/2 or 1/4 scale goes through [`progressive`] instead, which
//! keeps only the coefficients that scale reads (jpeg-decoder keeps them all).

use super::progressive;
use crate::error::{Error, Result};
use crate::pipeline::types::{Decoded, Probe};
use crate::transform::Format;
use image::metadata::Orientation;
use image::{DynamicImage, GrayImage, RgbImage};
use moxcms::{ColorProfile, DataColorSpace, Layout, TransformOptions};

/// The DCT scales used, as eighths of the full size: 1/4, 1/2 and 1. `jpeg-decoder` also offers
/// 1/8, but that keeps only each block's average, and measured SSIM against a full decode fell
/// to 0.972–0.980 (tests/pipeline.rs); from 1/4 up it stays ≥ 0.997.
const JPEG_SCALES: [u32; 3] = [2, 4, 8];

/// The smallest DCT scale of `JPEG_SCALES` (in eighths) whose output is at least `at_least` on
/// both axes; 8 (full size) when none is.
pub fn eighths(p: &Probe, at_least: (u32, u32)) -> u32 {
    JPEG_SCALES.into_iter().find(|&eighths| scaled(p.width, eighths) >= at_least.0 && scaled(p.height, eighths) >= at_least.1).unwrap_or(8)
}

/// `jpeg-decoder`'s own rounding (idct.rs `scaled`).
pub fn scaled(len: u32, eighths: u32) -> u32 {
    (len * eighths - 1) / 8 + 1
}

pub fn probe(bytes: &[u8]) -> Result<Probe> {
    let mut decoder = jpeg_decoder::Decoder::new(bytes);
    decoder.read_info().map_err(|e| Error::Undecodable(format!("JPEG header: {e}")))?;
    let info = decoder.info().ok_or_else(|| Error::Undecodable("JPEG header has no frame".into()))?;
    let orientation = decoder.exif_data().and_then(Orientation::from_exif_chunk).unwrap_or(Orientation::NoTransforms);
    let progressive = info.coding_process == jpeg_decoder::CodingProcess::DctProgressive;
    let sampling = jpeg_sampling(bytes).ok_or_else(|| Error::Undecodable("JPEG frame header is malformed".into()))?;
    let samples = component_samples(info.width as u32, info.height as u32, &sampling);
    let held_bytes = if progressive { samples * 2 } else { 0 };
    Ok(Probe {
        format: Format::Jpeg,
        width: info.width as u32,
        height: info.height as u32,
        orientation,
        decoded_bpp: info.pixel_format.pixel_bytes() as u8,
        channels: match info.pixel_format {
            jpeg_decoder::PixelFormat::L8 | jpeg_decoder::PixelFormat::L16 => 1,
            _ => 3,
        },
        progressive,
        held_bytes,
        kept_blocks: if progressive { crate::pipeline::codecs::progressive::kept_blocks(bytes).unwrap_or(0) } else { 0 },
        plane_bytes: samples,
        decoder_bytes: 0,
    })
}

/// The (horizontal, vertical) sampling factors of each component, from the frame header (SOF).
fn jpeg_sampling(bytes: &[u8]) -> Option<Vec<(u32, u32)>> {
    // SOF0..SOF15, except DHT (C4), JPG (C8) and DAC (CC).
    let is_frame = |m: u8| (0xC0..=0xCF).contains(&m) && ![0xC4, 0xC8, 0xCC].contains(&m);
    let frame = super::segments::header(bytes).into_iter().find(|s| is_frame(s.marker))?.payload;
    let n = *frame.get(5)? as usize;
    (0..n).map(|c| frame.get(6 + c * 3 + 1).map(|hv| ((hv >> 4) as u32, (hv & 15) as u32))).collect()
}

/// Samples of every component at its own sampling, padded to whole 8×8 blocks.
fn component_samples(width: u32, height: u32, sampling: &[(u32, u32)]) -> u64 {
    let h_max = sampling.iter().map(|s| s.0).max().unwrap_or(1).max(1) as u64;
    let v_max = sampling.iter().map(|s| s.1).max().unwrap_or(1).max(1) as u64;
    let blocks = |len: u64, f: u64, max: u64| (len * f).div_ceil(max).div_ceil(8);
    sampling.iter().map(|&(h, v)| blocks(width as u64, h as u64, h_max) * blocks(height as u64, v as u64, v_max) * 64).sum()
}

/// A progressive file at a reduced scale through `progressive` when it takes the file (as
/// admission counted it: `Probe::kept_blocks`), everything else through jpeg-decoder.
pub fn decode(bytes: &[u8], probe: &Probe, at_least: (u32, u32)) -> Result<Decoded> {
    // Each scan costs a pass over every block, whatever its bytes: counted before either decoder.
    if progressive::scans(bytes) > progressive::MAX_SCANS {
        return Err(progressive::too_many_scans());
    }
    let eighths = eighths(probe, at_least);
    if probe.kept_blocks > 0 && eighths < 8 {
        if let Some(decoded) = decode_progressive(bytes, eighths)? {
            return Ok(decoded);
        }
    }
    decode_jpeg(bytes, at_least)
}

fn decode_jpeg(bytes: &[u8], at_least: (u32, u32)) -> Result<Decoded> {
    let bad = |e: jpeg_decoder::Error| Error::Undecodable(format!("JPEG: {e}"));
    let mut d = jpeg_decoder::Decoder::new(bytes);
    d.read_info().map_err(bad)?;
    let clamp = |v: u32| v.clamp(1, u16::MAX as u32) as u16;
    let (w, h) = d.scale(clamp(at_least.0), clamp(at_least.1)).map_err(bad)?;
    let pixels = d.decode().map_err(bad)?;
    let format = d.info().ok_or_else(|| Error::Undecodable("JPEG has no frame".into()))?.pixel_format;
    let icc = d.icc_profile();
    let exif = d.exif_data().map(<[u8]>::to_vec);
    let (w, h) = (w as u32, h as u32);
    let short = || Error::Undecodable("JPEG pixel data is shorter than its header says".into());
    use jpeg_decoder::PixelFormat as P;
    Ok(match format {
        P::L8 => Decoded { image: DynamicImage::ImageLuma8(GrayImage::from_raw(w, h, pixels).ok_or_else(short)?), icc: None, exif },
        P::RGB24 => Decoded { image: DynamicImage::ImageRgb8(RgbImage::from_raw(w, h, pixels).ok_or_else(short)?), icc, exif },
        P::L16 => {
            // Big-endian 16-bit samples: keep the high byte.
            let grey: Vec<u8> = pixels.chunks_exact(2).map(|s| s[0]).collect();
            Decoded { image: DynamicImage::ImageLuma8(GrayImage::from_raw(w, h, grey).ok_or_else(short)?), icc: None, exif }
        }
        // CMYK has to become RGB before resizing, so its profile is applied here.
        P::CMYK32 => {
            let rgb = cmyk_to_srgb(&pixels, icc.as_deref());
            Decoded { image: DynamicImage::ImageRgb8(RgbImage::from_raw(w, h, rgb).ok_or_else(short)?), icc: None, exif }
        }
    })
}

/// A progressive JPEG at a reduced scale; its ICC profile and EXIF from the headers.
fn decode_progressive(bytes: &[u8], eighths: u32) -> Result<Option<Decoded>> {
    let Some(reduced) = progressive::decode(bytes, eighths)? else { return Ok(None) };
    let mut headers = jpeg_decoder::Decoder::new(bytes);
    headers.read_info().map_err(|e| Error::Undecodable(format!("JPEG: {e}")))?;
    let (icc, exif) = (headers.icc_profile(), headers.exif_data().map(<[u8]>::to_vec));
    let short = || Error::Internal("progressive decode made fewer pixels than its size".into());
    let (w, h) = (reduced.width, reduced.height);
    Ok(Some(match reduced.channels {
        1 => Decoded { image: DynamicImage::ImageLuma8(GrayImage::from_raw(w, h, reduced.pixels).ok_or_else(short)?), icc: None, exif },
        _ => Decoded { image: DynamicImage::ImageRgb8(RgbImage::from_raw(w, h, reduced.pixels).ok_or_else(short)?), icc, exif },
    }))
}

/// CMYK ink amounts (0 = no ink, as `jpeg-decoder` returns them) to sRGB, through the file's
/// CMYK profile when it has a usable one, else by the naive formula.
fn cmyk_to_srgb(cmyk: &[u8], icc: Option<&[u8]>) -> Vec<u8> {
    let profile = icc.and_then(|icc| ColorProfile::new_from_slice(icc).ok()).filter(|p| p.color_space == DataColorSpace::Cmyk);
    if let Some(profile) = profile {
        let transform = profile.create_transform_8bit(Layout::Rgba, &ColorProfile::new_srgb(), Layout::Rgb, TransformOptions::default());
        if let Ok(t) = transform {
            let mut rgb = vec![0u8; cmyk.len() / 4 * 3];
            if t.transform(cmyk, &mut rgb).is_ok() {
                return rgb;
            }
        }
    }
    naive_cmyk(cmyk)
}

fn naive_cmyk(cmyk: &[u8]) -> Vec<u8> {
    let mut rgb = Vec::with_capacity(cmyk.len() / 4 * 3);
    for px in cmyk.chunks_exact(4) {
        let k = 255 - px[3] as u32;
        for c in &px[..3] {
            rgb.push(((255 - *c as u32) * k / 255) as u8);
        }
    }
    rgb
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jpeg(w: u16, h: u16, sampling: jpeg_encoder::SamplingFactor, progressive: bool) -> Vec<u8> {
        let mut out = Vec::new();
        let mut enc = jpeg_encoder::Encoder::new(&mut out, 80);
        enc.set_sampling_factor(sampling);
        enc.set_progressive(progressive);
        enc.encode(&vec![128u8; w as usize * h as usize * 3], w, h, jpeg_encoder::ColorType::Rgb).unwrap();
        out
    }

    #[test]
    fn progressive_coefficient_storage_follows_the_chroma_sampling() {
        let p420 = probe(&jpeg(160, 80, jpeg_encoder::SamplingFactor::R_4_2_0, true)).unwrap();
        // Y: 20×10 blocks, Cb and Cr: 10×5 blocks each, 128 bytes a block.
        assert_eq!(p420.held_bytes, (200 + 50 + 50) * 128);
        let p444 = probe(&jpeg(160, 80, jpeg_encoder::SamplingFactor::R_4_4_4, true)).unwrap();
        assert_eq!(p444.held_bytes, 3 * 200 * 128);
        let baseline = probe(&jpeg(160, 80, jpeg_encoder::SamplingFactor::R_4_2_0, false)).unwrap();
        assert_eq!((baseline.held_bytes, baseline.plane_bytes), (0, (200 + 50 + 50) * 64));
    }

    fn photo(w: u16, h: u16, progressive: bool) -> Vec<u8> {
        let img = crate::fixtures::photo(w as u32, h as u32, 3);
        let mut out = Vec::new();
        let mut enc = jpeg_encoder::Encoder::new(&mut out, 85);
        enc.set_progressive(progressive);
        enc.encode(img.as_raw(), w, h, jpeg_encoder::ColorType::Rgb).unwrap();
        out
    }

    /// `jpeg` with `n` more scans of its first component before its end, coded with a table whose
    /// only code (one 0 bit) means "nothing here" (a DC difference of 0, an end of block) and with
    /// no data: at the next marker a decoder reads zero bits, so each scan is 10 bytes and a whole
    /// pass over the component's blocks that changes nothing (progressive: a refinement of all 63
    /// coefficients; baseline: the whole block again).
    fn with_scans(jpeg: &[u8], n: usize) -> Vec<u8> {
        let end = jpeg.len() - 2;
        assert_eq!(jpeg[end..], [0xFF, 0xD9]);
        let sof = jpeg.windows(2).position(|m| m[0] == 0xFF && (m[1] == 0xC0 || m[1] == 0xC2)).unwrap();
        let (id, progressive) = (jpeg[sof + 10], jpeg[sof + 1] == 0xC2);
        let mut out = jpeg[..end].to_vec();
        // No restart interval; DC and AC table 1 (the real scans are over) with the one code.
        out.extend([0xFF, 0xDD, 0, 4, 0, 0]);
        out.extend([0xFF, 0xC4, 0, 38]);
        for class_id in [0x01, 0x11] {
            out.extend([class_id, 1]);
            out.extend([0; 15]);
            out.push(0);
        }
        let scan = if progressive { [1, 63, 0x10] } else { [0, 63, 0] };
        for _ in 0..n {
            out.extend([0xFF, 0xDA, 0, 8, 1, id, 0x11]);
            out.extend(scan);
        }
        out.extend([0xFF, 0xD9]);
        out
    }

    fn decoded(bytes: &[u8], at_least: (u32, u32)) -> Result<Vec<u8>> {
        Ok(decode(bytes, &probe(bytes)?, at_least)?.image.into_bytes())
    }

    #[test]
    fn scans_are_counted_from_the_marker_structure() {
        let (progressive, baseline) = (photo(320, 240, true), photo(320, 240, false));
        assert_eq!((progressive::scans(&progressive), progressive::scans(&baseline)), (12, 1));
        let libjpeg = std::fs::read(format!("{}/tests/fixtures/progressive/p420.jpg", env!("CARGO_MANIFEST_DIR"))).unwrap();
        assert_eq!(progressive::scans(&libjpeg), 10, "libjpeg's default progression");
        assert_eq!(progressive::scans(&with_scans(&progressive, 50)), 62);
        assert_eq!(progressive::scans(&with_scans(&baseline, 1_000_000)), progressive::MAX_SCANS + 1, "stops counting");
    }

    #[test]
    fn up_to_max_scans_a_jpeg_decodes_to_the_same_picture_in_either_decoder() {
        for progressive in [true, false] {
            let original = photo(320, 240, progressive);
            let spliced = with_scans(&original, progressive::MAX_SCANS - progressive::scans(&original));
            assert_eq!(progressive::scans(&spliced), progressive::MAX_SCANS);
            // 1/4: our progressive decoder (jpeg-decoder for the baseline file); full size: jpeg-decoder.
            for at_least in [(80, 60), (320, 240)] {
                assert_eq!(decoded(&spliced, at_least).unwrap(), decoded(&original, at_least).unwrap(), "{progressive} {at_least:?}");
            }
        }
    }

    #[test]
    fn more_than_max_scans_is_refused_before_either_decoder_starts() {
        for progressive in [true, false] {
            let original = photo(320, 240, progressive);
            let one_over = with_scans(&original, progressive::MAX_SCANS + 1 - progressive::scans(&original));
            let hundred_thousand = with_scans(&original, 100_000);
            for (spliced, at_least) in [(&one_over, (80, 60)), (&one_over, (320, 240)), (&hundred_thousand, (80, 60))] {
                let started = std::time::Instant::now();
                let e = decoded(spliced, at_least).unwrap_err();
                let ms = started.elapsed().as_secs_f64() * 1000.0;
                assert_eq!(e.status(), 413, "{e}");
                assert!(e.message().contains("more than 100 scans"), "{e}");
                // Refused from the count: a pass over the bytes, no pass over the blocks.
                assert!(ms < 500.0, "{} bytes refused in {ms:.0} ms", spliced.len());
            }
        }
        // Our progressive decoder is bounded on its own too.
        let e = progressive::decode(&with_scans(&photo(320, 240, true), 100_000), 2).err().unwrap();
        assert!(e.status() == 413 && e.message().contains("more than 100 scans"), "{e}");
    }

    /// What a scan costs (`cargo test --release -- --ignored --nocapture scan_cost`): a 2048×1536
    /// picture, normal and with scans spliced in, at 1/4 (ours) and full size (jpeg-decoder),
    /// each decoder called directly (the bound is in `decode`, around them).
    #[test]
    #[ignore]
    fn scan_cost() {
        let time = |f: &dyn Fn()| {
            let started = std::time::Instant::now();
            f();
            started.elapsed().as_secs_f64() * 1000.0
        };
        for progressive in [true, false] {
            let original = photo(2048, 1536, progressive);
            for extra in [0, 88, 1_000] {
                let spliced = with_scans(&original, extra);
                let ours = time(&|| {
                    if progressive {
                        super::progressive::decode(&spliced, 2).ok();
                    }
                });
                let theirs = time(&|| {
                    jpeg_decoder::Decoder::new(&spliced[..]).decode().unwrap();
                });
                let bound = time(&|| {
                    let _ = decoded(&spliced, (512, 384));
                });
                println!(
                    "{} 2048×1536 + {extra} scans ({} bytes): ours at 1/4 {ours:.0} ms, jpeg-decoder full {theirs:.0} ms, decode() {bound:.0} ms",
                    if progressive { "progressive" } else { "baseline" },
                    spliced.len()
                );
            }
        }
    }

    #[test]
    fn cmyk_without_profile_uses_the_naive_formula() {
        assert_eq!(cmyk_to_srgb(&[0, 0, 0, 0, 255, 0, 0, 0, 0, 0, 0, 255], None), [255, 255, 255, 0, 255, 255, 0, 0, 0]);
    }
}
