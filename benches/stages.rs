//! `cargo bench`: where the pipeline's time goes, natively, stage by stage, plus the JPEG encoder
//! settings weighed against bytes. The numbers that count against sharp and Pillow are the
//! worker's own, in workerd (`npm run bench`); this one finds which stage to work on.
//!
//!   cargo bench --bench stages [-- <image> ...]
//!
//! Without arguments it uses the corpus photos when ../shared exists, else the generated samples
//! (`bash scripts/fixtures/samples.sh target/samples`). Medians of 15 runs after 2 warm-ups.

use edge_image_resizer::config::PipelineSettings;
use edge_image_resizer::pipeline::{self, mezzanine, transform_bytes, Codecs, Host, Source};
use edge_image_resizer::transform::{Format, FormatChoice, Transform};
use jpeg_encoder::{ColorType, Encoder, SamplingFactor};
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Instant;

const RUNS: usize = 15;
const WARM_UPS: usize = 2;

fn main() {
    let inputs = inputs();
    if inputs.is_empty() {
        eprintln!("no input images: run `bash scripts/fixtures/samples.sh target/samples` or pass paths");
        return;
    }
    println!("Pipeline stages, natively (ms, median of {RUNS}):\n");
    println!("| input | output | decode | resize | encode | total | KB |");
    println!("|---|---|---|---|---|---|---|");
    for path in &inputs {
        let bytes = std::fs::read(path).expect("readable input");
        for (width, format) in [(400, Format::Jpeg), (1200, Format::Jpeg), (400, Format::Png), (400, Format::Avif)] {
            stage_row(path, &bytes, width, format);
        }
    }
    println!(
        "\nMezzanine formats, on each photo of 4 MP or more: bytes (share of the original), encode ms, then a later size made from it"
    );
    println!("(decode + resize + encode of 400 px JPEG q80, ms) and its luma SSIM against the same output made from the original:\n");
    println!("| input | mezzanine | KB (of original) | encode ms | 400 px from it, ms | SSIM vs from the original |");
    println!("|---|---|---|---|---|---|");
    for path in &inputs {
        mezzanine_rows(path, &std::fs::read(path).expect("readable input"));
    }
    println!("\nJPEG encoder settings at q80, on the 400 px and 1200 px resize of each input (ms, KB):\n");
    println!("| input | width | setting | encode ms | KB |");
    println!("|---|---|---|---|---|");
    for path in &inputs {
        let bytes = std::fs::read(path).expect("readable input");
        for width in [400, 1200] {
            encoder_rows(path, &bytes, width);
        }
    }
}

fn inputs() -> Vec<PathBuf> {
    let given: Vec<PathBuf> = std::env::args().skip(1).filter(|a| !a.starts_with('-')).map(PathBuf::from).collect();
    if !given.is_empty() {
        return given;
    }
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/photos");
    let samples = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/samples");
    let candidates = [
        corpus.join("2569067123_aca715a2ee_o.jpg"),
        corpus.join("gain-map.jpg"),
        samples.join("big.jpg"),
        samples.join("photo.jpg"),
        samples.join("alpha.png"),
    ];
    candidates.into_iter().filter(|p| p.exists()).collect()
}

fn transform(width: u32, format: Format) -> Transform {
    Transform { width: Some(width), format: Some(FormatChoice::Is(format)), ..Default::default() }
}

fn stage_row(path: &Path, bytes: &[u8], width: u32, format: Format) {
    let settings = PipelineSettings::default();
    let t = transform(width, format);
    let mut runs = Vec::new();
    let mut size = 0;
    for i in 0..WARM_UPS + RUNS {
        let t0 = Instant::now();
        let out = match transform_bytes(bytes.to_vec(), &t, &settings) {
            Ok(out) => out,
            Err(e) => {
                println!("| {} | {width} px {} | {e} | | | | |", name(path), format.name());
                return;
            }
        };
        let total = t0.elapsed().as_secs_f64() * 1000.0;
        size = out.bytes.len();
        if i >= WARM_UPS {
            runs.push([out.timings.decode, out.timings.resize, out.timings.encode, total]);
        }
    }
    let m = |k: usize| median(runs.iter().map(|r| r[k]).collect());
    println!(
        "| {} | {width} px {} | {:.1} | {:.1} | {:.1} | {:.1} | {:.1} |",
        name(path),
        format.name(),
        m(0),
        m(1),
        m(2),
        m(3),
        size as f64 / 1024.0
    );
}

/// Huffman optimisation and chroma subsampling, each against the worker's setting
/// (optimised tables, 4:2:0), on the same resized pixels.
fn encoder_rows(path: &Path, bytes: &[u8], width: u32) {
    // The resized pixels, losslessly: the PNG output decoded back.
    let Ok(png) = transform_bytes(bytes.to_vec(), &transform(width, Format::Png), &PipelineSettings::default()) else { return };
    let rgb = image::load_from_memory(&png.bytes).expect("our own PNG").to_rgb8();
    let (w, h) = (rgb.width() as u16, rgb.height() as u16);
    let settings = [
        ("optimised tables, 4:2:0 (ours)", true, SamplingFactor::R_4_2_0),
        ("standard tables, 4:2:0", false, SamplingFactor::R_4_2_0),
        ("optimised tables, 4:4:4", true, SamplingFactor::R_4_4_4),
    ];
    for (label, optimised, sampling) in settings {
        let mut runs = Vec::new();
        let mut size = 0;
        for i in 0..WARM_UPS + RUNS {
            let t0 = Instant::now();
            let mut out = Vec::new();
            let mut enc = Encoder::new(&mut out, 80);
            enc.set_sampling_factor(sampling);
            enc.set_optimized_huffman_tables(optimised);
            enc.encode(black_box(rgb.as_raw()), w, h, ColorType::Rgb).expect("encodes");
            size = out.len();
            if i >= WARM_UPS {
                runs.push(t0.elapsed().as_secs_f64() * 1000.0);
            }
        }
        println!("| {} | {width} px | {label} | {:.2} | {:.1} |", name(path), median(runs), size as f64 / 1024.0);
    }
}

/// The mezzanine's format, weighed: ours (JPEG q95 4:2:0), 4:4:4, JPEG q90, PNG and WebP
/// lossless (through `image`), each as bytes, its encode, and what a later 400 px miss costs.
fn mezzanine_rows(path: &Path, bytes: &[u8]) {
    let settings = PipelineSettings::default();
    let Ok(Some(made)) = mezzanine::make(bytes, &settings, &Codecs::NATIVE) else { return };
    let rgb = made.img.to_rgb8();
    let (w, h) = rgb.dimensions();
    let jpeg = |quality: u8, sampling: SamplingFactor| {
        let mut out = Vec::new();
        let mut enc = Encoder::new(&mut out, quality);
        enc.set_sampling_factor(sampling);
        enc.encode(rgb.as_raw(), w as u16, h as u16, ColorType::Rgb).expect("encodes");
        out
    };
    let png = || {
        let mut out = Vec::new();
        let enc = image::codecs::png::PngEncoder::new_with_quality(
            &mut out,
            image::codecs::png::CompressionType::Fast,
            image::codecs::png::FilterType::Adaptive,
        );
        image::ImageEncoder::write_image(enc, rgb.as_raw(), w, h, image::ExtendedColorType::Rgb8).expect("encodes");
        out
    };
    let webp = || {
        let mut out = Vec::new();
        image::codecs::webp::WebPEncoder::new_lossless(&mut out)
            .encode(rgb.as_raw(), w, h, image::ExtendedColorType::Rgb8)
            .expect("encodes");
        out
    };
    let candidates: [(&str, &dyn Fn() -> Vec<u8>); 5] = [
        ("JPEG q95 4:2:0 (ours)", &|| mezzanine::encode(&made).expect("encodes")),
        ("JPEG q95 4:4:4", &|| jpeg(95, SamplingFactor::R_4_4_4)),
        ("JPEG q90 4:2:0", &|| jpeg(90, SamplingFactor::R_4_2_0)),
        ("PNG, fast", &png),
        ("WebP lossless", &webp),
    ];
    let asked = transform(400, Format::Jpeg).resolved(Format::Jpeg, settings.output_defaults(), Default::default());
    let direct = transform_bytes(bytes.to_vec(), &asked, &settings).expect("the original resizes").bytes;
    let host = Host { clock: &|| 0.0, codecs: &Codecs::NATIVE, overlays: &[] };
    for (label, encode) in candidates {
        let t0 = Instant::now();
        let encoded = encode();
        let encode_ms = t0.elapsed().as_secs_f64() * 1000.0;
        let mut runs = Vec::new();
        let mut out = Vec::new();
        for i in 0..WARM_UPS + 5 {
            let t0 = Instant::now();
            out = pipeline::run(Source::Mezzanine { bytes: encoded.clone(), of: made.of }, &asked, &settings, &host).expect("runs").bytes;
            if i >= WARM_UPS {
                runs.push(t0.elapsed().as_secs_f64() * 1000.0);
            }
        }
        let share = encoded.len() as f64 / bytes.len() as f64 * 100.0;
        println!(
            "| {} | {label} | {:.0} ({share:.0}%) | {encode_ms:.0} | {:.1} | {:.4} |",
            name(path),
            encoded.len() as f64 / 1024.0,
            median(runs),
            luma_ssim(&out, &direct)
        );
    }
}

/// Mean SSIM of two encoded images' luma over 8×8 windows at a step of 4 (as scripts/bench/ssim.mjs).
fn luma_ssim(a: &[u8], b: &[u8]) -> f64 {
    let (a, b) = (image::load_from_memory(a).expect("ours").to_luma8(), image::load_from_memory(b).expect("ours").to_luma8());
    let (c1, c2) = ((0.01f64 * 255.0).powi(2), (0.03f64 * 255.0).powi(2));
    let (mut sum, mut n) = (0.0, 0.0);
    for y in (0..a.height().saturating_sub(7)).step_by(4) {
        for x in (0..a.width().saturating_sub(7)).step_by(4) {
            let px = |img: &image::GrayImage, i: u32, j: u32| img.get_pixel(x + i, y + j)[0] as f64;
            let window = |img: &image::GrayImage| (0..64).map(|k| px(img, k % 8, k / 8)).collect::<Vec<_>>();
            let (wa, wb) = (window(&a), window(&b));
            let (ma, mb) = (wa.iter().sum::<f64>() / 64.0, wb.iter().sum::<f64>() / 64.0);
            let (mut va, mut vb, mut cov) = (0.0, 0.0, 0.0);
            for (p, q) in wa.iter().zip(&wb) {
                va += (p - ma).powi(2);
                vb += (q - mb).powi(2);
                cov += (p - ma) * (q - mb);
            }
            let (va, vb, cov) = (va / 63.0, vb / 63.0, cov / 63.0);
            sum += ((2.0 * ma * mb + c1) * (2.0 * cov + c2)) / ((ma * ma + mb * mb + c1) * (va + vb + c2));
            n += 1.0;
        }
    }
    sum / n
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn name(path: &Path) -> String {
    path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
}
