//! The pipeline end to end on the host: bytes in, bytes out, decoded and checked.

#[path = "support/fixtures.rs"]
mod fixtures;

use edge_image_resizer::config::PipelineSettings;
use edge_image_resizer::pipeline;
use edge_image_resizer::transform::{Accepts, Fit, Flip, Format, FormatChoice, Gravity, SizePreset, Transform, Turn};
use image::{ImageEncoder, Rgb, RgbImage};

fn jpeg(w: u32, h: u32, sampling: jpeg_encoder::SamplingFactor) -> Vec<u8> {
    let img = RgbImage::from_fn(w, h, |x, y| Rgb([(x % 256) as u8, (y % 256) as u8, 128]));
    let mut out = Vec::new();
    let mut enc = jpeg_encoder::Encoder::new(&mut out, 90);
    enc.set_sampling_factor(sampling);
    enc.encode(img.as_raw(), w as u16, h as u16, jpeg_encoder::ColorType::Rgb).unwrap();
    out
}

fn run(src: Vec<u8>, t: Transform) -> edge_image_resizer::error::Result<pipeline::Output> {
    pipeline::transform_bytes(src, &t, &PipelineSettings::default())
}

fn width(w: u32) -> Transform {
    Transform { width: Some(w), ..Default::default() }
}

#[test]
fn png_bomb_is_refused_by_admission_with_a_clear_message() {
    let e = run(fixtures::png_bomb(65536, 65536), width(100)).unwrap_err();
    assert_eq!(e.status(), 413, "{e}");
    assert!(e.message().contains("budget"), "{e}");
}

/// zune-jpeg 0.5.15 (inside `image`) decodes jpeg-encoder's own 4:2:0 output to green garbage;
/// our JPEG path must not. The source is a smooth gradient, so the output must be one too.
#[test]
fn jpeg_420_from_jpeg_encoder_decodes_correctly() {
    let src = jpeg(256, 256, jpeg_encoder::SamplingFactor::R_4_2_0);
    let out = run(src, Transform { width: Some(64), format: Some(FormatChoice::Is(Format::Png)), ..Default::default() }).unwrap();
    let img = image::load_from_memory(&out.bytes).unwrap().to_rgb8();
    assert_eq!(img.dimensions(), (64, 64));
    for (x, y, p) in img.enumerate_pixels() {
        let want = [(x * 4 + 2) as i32, (y * 4 + 2) as i32, 128];
        for c in 0..3 {
            assert!((p[c] as i32 - want[c]).abs() <= 12, "pixel ({x},{y}) = {p:?}, want about {want:?}");
        }
    }
}

#[test]
fn shrink_on_load_output_has_the_exact_requested_size() {
    for (w, want) in [(100u32, (100u32, 75u32)), (333, (333, 250)), (1000, (1000, 750))] {
        let out = run(jpeg(1600, 1200, jpeg_encoder::SamplingFactor::R_4_2_0), width(w)).unwrap();
        assert_eq!((out.width, out.height), want);
    }
}

#[test]
fn cover_on_png_keeps_alpha_and_the_box() {
    let img = image::RgbaImage::from_fn(300, 100, |x, _| image::Rgba([255, 0, 0, (x % 256) as u8]));
    let mut png = Vec::new();
    image::codecs::png::PngEncoder::new(&mut png).write_image(img.as_raw(), 300, 100, image::ExtendedColorType::Rgba8).unwrap();
    let out = run(png, Transform { width: Some(50), height: Some(50), fit: Fit::Cover, ..Default::default() }).unwrap();
    let back = image::load_from_memory(&out.bytes).unwrap();
    assert_eq!((back.width(), back.height(), back.color().has_alpha()), (50, 50, true));
}

/// Regression (found by the corpus): mapping the region into DCT-scaled pixels can overshoot
/// the decoded image by a rounding error (2725 × 1363/2725 > 1363), which the resizer refuses.
#[test]
fn shrink_on_load_region_never_exceeds_the_decoded_image() {
    for (w, h) in [(2725u32, 2225u32), (2999, 1999), (1001, 777)] {
        for target in [200u32, 333, 800] {
            let out = run(jpeg(w, h, jpeg_encoder::SamplingFactor::R_4_2_0), width(target));
            assert!(out.is_ok(), "{w}×{h} → {target}: {:?}", out.err());
        }
    }
}

fn png_of(img: &image::RgbaImage) -> Vec<u8> {
    let mut png = Vec::new();
    image::codecs::png::PngEncoder::new(&mut png)
        .write_image(img.as_raw(), img.width(), img.height(), image::ExtendedColorType::Rgba8)
        .unwrap();
    png
}

fn decode(out: &pipeline::Output) -> image::RgbaImage {
    image::load_from_memory(&out.bytes).unwrap().to_rgba8()
}

/// Red on the left half, blue on the right, so every turn and mirror is visible.
fn halves(w: u32, h: u32) -> Vec<u8> {
    png_of(&image::RgbaImage::from_fn(w, h, |x, _| if x < w / 2 { image::Rgba([255, 0, 0, 255]) } else { image::Rgba([0, 0, 255, 255]) }))
}

#[test]
fn rotate_and_flip_apply_before_sizing() {
    let turned = Transform { width: Some(20), turn: Turn { quarters: 1, flip: Flip::None }, ..Default::default() };
    let out = decode(&run(halves(80, 40), turned).unwrap());
    // 80×40 turned a quarter clockwise is 40×80; width 20 then gives 20×40, red on top.
    assert_eq!(out.dimensions(), (20, 40));
    assert!(out.get_pixel(10, 2)[0] > 200 && out.get_pixel(10, 37)[2] > 200);
    let mirrored =
        Transform { turn: Turn { quarters: 0, flip: Flip::Horizontal }, format: Some(FormatChoice::Is(Format::Png)), ..Default::default() };
    let out = decode(&run(halves(80, 40), mirrored).unwrap());
    assert!(out.get_pixel(2, 20)[2] > 200 && out.get_pixel(77, 20)[0] > 200, "blue is now on the left");
}

#[test]
fn pad_fills_the_box_with_the_background() {
    let t = Transform { width: Some(100), height: Some(100), fit: Fit::Pad, background: Some([0, 255, 0, 255]), ..Default::default() };
    let out = decode(&run(halves(200, 100), t).unwrap());
    assert_eq!(out.dimensions(), (100, 100));
    assert_eq!(out.get_pixel(50, 2).0, [0, 255, 0, 255], "green band above");
    assert_eq!(out.get_pixel(50, 97).0, [0, 255, 0, 255], "green band below");
    assert!(out.get_pixel(10, 50)[0] > 200, "image in the middle");
}

#[test]
fn auto_gravity_keeps_the_detailed_side() {
    let img = image::RgbaImage::from_fn(300, 100, |x, y| {
        if x < 100 && (x / 3 + y / 3) % 2 == 0 {
            image::Rgba([0, 0, 0, 255])
        } else {
            image::Rgba([240, 240, 240, 255])
        }
    });
    let t = Transform { width: Some(50), height: Some(50), fit: Fit::Cover, gravity: Gravity::Auto, ..Default::default() };
    let out = decode(&run(png_of(&img), t).unwrap());
    let dark = out.pixels().filter(|p| p[0] < 128).count();
    assert!(dark > 600, "the checkerboard (left) should fill the crop, found {dark} dark pixels");
}

#[test]
fn size_presets_follow_the_original_orientation() {
    let t = Transform { size: Some(SizePreset::XS), ..Default::default() };
    let wide = run(jpeg(1600, 1200, jpeg_encoder::SamplingFactor::R_4_2_0), t.clone()).unwrap();
    assert_eq!((wide.width, wide.height), (320, 240));
    let tall = run(jpeg(1200, 1600, jpeg_encoder::SamplingFactor::R_4_2_0), t).unwrap();
    assert_eq!((tall.width, tall.height), (240, 320));
}

#[test]
fn avif_output_up_to_the_side_limit() {
    let avif = |w| Transform { width: Some(w), format: Some(FormatChoice::Is(Format::Avif)), ..Default::default() };
    let out = run(jpeg(1600, 1200, jpeg_encoder::SamplingFactor::R_4_2_0), avif(320)).unwrap();
    assert_eq!((out.format, out.width, out.height), (Format::Avif, 320, 240));
    assert_eq!(&out.bytes[4..12], b"ftypavif");
    // Past AVIF_MAX_SIDE, Cloudflare's best effort: WebP, with a note saying so.
    let out = run(jpeg(2000, 1000, jpeg_encoder::SamplingFactor::R_4_2_0), avif(1300)).unwrap();
    assert_eq!((out.format, out.width, out.height), (Format::Webp, 1300, 650));
    assert_eq!(image::guess_format(&out.bytes).unwrap(), image::ImageFormat::WebP);
    let note = out.note.unwrap_or_default();
    assert!(note.contains("served WEBP instead of AVIF") && note.contains("1200 px"), "{note}");
}

/// When WebP is over its encoder's budget too: JPEG for an opaque image, PNG for one with alpha.
#[test]
fn avif_falls_back_to_jpeg_or_png_when_webp_does_not_fit_either() {
    let mut settings = PipelineSettings::default();
    settings.limits.webp_memory_budget = 1;
    let avif = Transform { width: Some(1300), format: Some(FormatChoice::Is(Format::Avif)), ..Default::default() };
    let opaque = pipeline::transform_bytes(jpeg(2000, 1000, jpeg_encoder::SamplingFactor::R_4_2_0), &avif, &settings).unwrap();
    assert_eq!((opaque.format, image::guess_format(&opaque.bytes).unwrap()), (Format::Jpeg, image::ImageFormat::Jpeg));
    let alpha = image::RgbaImage::from_fn(2000, 1000, |x, _| image::Rgba([200, 10, 10, (x % 256) as u8]));
    let out = pipeline::transform_bytes(png_of(&alpha), &avif, &settings).unwrap();
    assert_eq!((out.format, out.width), (Format::Png, 1300));
    assert!(decode(&out).pixels().any(|p| p[3] < 255), "alpha kept");
    // A transform no format fits is still a 413, saying why.
    settings.limits.memory_budget = 1 << 20;
    let e = pipeline::transform_bytes(jpeg(2000, 1000, jpeg_encoder::SamplingFactor::R_4_2_0), &avif, &settings);
    assert_eq!(e.err().map(|e| (e.status(), e.message().contains("budget"))), Some((413, true)));
}

/// Texture everywhere, hard edges and noise: what DCT scaling could blur.
fn photo_like(w: u32, h: u32) -> Vec<u8> {
    fixtures::jpeg(&fixtures::textured(w, h), false, None)
}

/// Shrink-on-load (1/2 or 1/4 DCT scaling, then Lanczos3) against a full-size decode resized with
/// the same Lanczos3: the bar is SSIM ≥ 0.99. Measured 0.997–1.000 from 150 px up; at
/// 100 px (24× smaller) this high-frequency image gives 0.978, since SSIM on a nearly flat result
/// magnifies tiny differences between the two-step and the one-step filter.
#[test]
fn shrink_on_load_is_indistinguishable_from_a_full_decode() {
    use fast_image_resize::{images::Image, FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};
    let (w, h) = (2400u32, 1600u32);
    let src = photo_like(w, h);
    let mut full = jpeg_decoder::Decoder::new(&src[..]);
    let full = RgbImage::from_raw(w, h, full.decode().unwrap()).unwrap();
    for target in [150u32, 200, 301, 450, 601, 1000, 1201] {
        let out =
            run(src.clone(), Transform { width: Some(target), format: Some(FormatChoice::Is(Format::Png)), ..Default::default() }).unwrap();
        let ours = image::load_from_memory(&out.bytes).unwrap().to_rgb8();
        let (tw, th) = ours.dimensions();
        let mut reference = Image::new(tw, th, PixelType::U8x3);
        let source = Image::from_vec_u8(w, h, full.as_raw().clone(), PixelType::U8x3).unwrap();
        Resizer::new()
            .resize(&source, &mut reference, &ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::Lanczos3)))
            .unwrap();
        let reference = RgbImage::from_raw(tw, th, reference.into_vec()).unwrap();
        let ssim = image_compare::rgb_similarity_structure(&image_compare::Algorithm::MSSIMSimple, &ours, &reference).unwrap().score;
        println!("{w}×{h} → {tw}×{th}: SSIM {ssim:.4} against a full decode");
        assert!(ssim >= 0.99, "{target}: SSIM {ssim}");
    }
}

#[test]
fn jpeg_progressive_setting_writes_progressive_scans_and_names_the_variant() {
    let settings = PipelineSettings { progressive_jpeg: true, ..PipelineSettings::default() };
    let t = width(300).resolved(Format::Jpeg, settings.output_defaults(), Accepts::default());
    assert_eq!(t.canonical(), "w=300,q=85,f=jpeg,progressive");
    let out = pipeline::transform_bytes(jpeg(600, 400, jpeg_encoder::SamplingFactor::R_4_2_0), &width(300), &settings).unwrap();
    let sof2 = out.bytes.windows(2).any(|w| w == [0xFF, 0xC2]);
    assert!(sof2, "a progressive frame header (SOF2)");
    assert_eq!(image::load_from_memory(&out.bytes).unwrap().width(), 300);
    // Only JPEG output is affected.
    assert_eq!(width(300).resolved(Format::Png, settings.output_defaults(), Accepts::default()).canonical(), "w=300,f=png");
}

#[test]
fn few_colour_images_become_palette_pngs_with_the_same_pixels() {
    // 16 colours (one see-through, one transparent) in a dither-like pattern, as in GIF-era graphics.
    let flat = image::RgbaImage::from_fn(400, 300, |x, y| {
        let k = ((x * 7 + y * 13 + (x * y) % 5) % 16) as u8;
        image::Rgba([
            k * 16,
            255 - k * 16,
            (k % 4) * 60,
            if k == 0 {
                0
            } else if k == 1 {
                100
            } else {
                255
            },
        ])
    });
    let t = Transform { format: Some(FormatChoice::Is(Format::Png)), turn: Turn { quarters: 1, flip: Flip::None }, ..Default::default() };
    let out = run(png_of(&flat), t).unwrap();
    assert_eq!(out.bytes[25], 3, "IHDR colour type 3: indexed");
    let back = decode(&out);
    let turned = image::imageops::rotate90(&flat);
    assert_eq!(back.dimensions(), (300, 400));
    assert!(back.pixels().zip(turned.pixels()).all(|(a, b)| a == b || (a[3] == 0 && b[3] == 0)), "lossless");
    // Against the same pixels as RGBA at the same (fast) compression.
    let mut rgba = Vec::new();
    image::codecs::png::PngEncoder::new_with_quality(
        &mut rgba,
        image::codecs::png::CompressionType::Fast,
        image::codecs::png::FilterType::Adaptive,
    )
    .write_image(turned.as_raw(), 300, 400, image::ExtendedColorType::Rgba8)
    .unwrap();
    assert!(out.bytes.len() * 3 < rgba.len(), "palette {} bytes, RGBA {} bytes", out.bytes.len(), rgba.len());
}

#[test]
fn a_progressive_jpeg_decoded_at_a_reduced_scale_keeps_its_exif_orientation_and_metadata() {
    // Stored 1200×800 sideways with EXIF orientation 6: upright it is 800×1200, sky on top. At
    // 200 px wide it decodes at 1/4 through pipeline::progressive, which reads only pixels; the
    // orientation and the EXIF kept for `metadata` come from the headers.
    let img = fixtures::portrait_stored_sideways(1200, 800);
    let exif = fixtures::exif(6, &[(0x013B, "A. Photographer"), (0x8298, "(c) 2026 A. Photographer")]);
    let mut src = Vec::new();
    let mut enc = jpeg_encoder::Encoder::new(&mut src, 90);
    enc.set_progressive(true);
    enc.add_exif_metadata(&exif).unwrap();
    enc.encode(img.as_raw(), 1200, 800, jpeg_encoder::ColorType::Rgb).unwrap();
    let out = run(src, width(200)).unwrap();
    assert_eq!((out.width, out.height), (200, 300));
    // Read back with jpeg-decoder: zune-jpeg (image's) turns some valid 4:2:0 files green.
    let pixels = jpeg_decoder::Decoder::new(&out.bytes[..]).decode().unwrap();
    let decoded = RgbImage::from_raw(200, 300, pixels).unwrap();
    let (top, bottom) = (decoded.get_pixel(100, 10), decoded.get_pixel(100, 290));
    assert!(top[2] > 200 && top[0] < 130, "sky on top after orientation 6: {top:?}");
    assert!(bottom[1] > 100 && bottom[2] < 90, "ground at the bottom: {bottom:?}");
    let text = String::from_utf8_lossy(&out.bytes);
    assert!(text.contains("A. Photographer"), "metadata=copyright keeps the artist from the progressive file's EXIF");
}

/// `fit=aspect-crop` (Cloudflare, 2026): the box's shape always, never enlarged; `fit=scale-up`:
/// enlarged to the box, never shrunk. Checked on decoded pixels.
#[test]
fn aspect_crop_and_scale_up_on_pixels() {
    let crop = |gravity| Transform { width: Some(300), height: Some(200), fit: Fit::AspectCrop, gravity, ..Default::default() };
    for (gravity, colour) in [(Gravity::Left, [255, 0, 0]), (Gravity::Right, [0, 0, 255])] {
        let img = decode(&run(halves(800, 150), crop(gravity)).unwrap());
        assert_eq!(img.dimensions(), (225, 150), "3:2 from the full height, not enlarged");
        assert!(img.pixels().all(|p| p.0[..3] == colour), "{gravity:?}: only that half");
    }
    let up = |w| Transform { width: Some(w), fit: Fit::ScaleUp, ..Default::default() };
    let big = decode(&run(halves(60, 40), up(300)).unwrap());
    assert_eq!(big.dimensions(), (300, 200));
    assert_eq!((big.get_pixel(10, 100).0[0], big.get_pixel(290, 100).0[2]), (255, 255), "the halves where they were");
    assert_eq!(decode(&run(halves(600, 400), up(300)).unwrap()).dimensions(), (600, 400), "never shrunk");
}
