//! Cloudflare's effects end to end on the host: each one's defining property checked on the
//! decoded output (greyscale has R = G = B, trim removes exactly the frame, blur lowers
//! high-frequency energy, …).

#[path = "support/fixtures.rs"]
mod fixtures;

use edge_image_resizer::config::PipelineSettings;
use edge_image_resizer::pipeline;
use edge_image_resizer::transform::{Adjust, Border, Factor, Format, FormatChoice, Transform, Trim, BORDER_TOLERANCE};
use image::{Rgb, RgbImage, RgbaImage};

fn png_of(img: &RgbImage) -> Vec<u8> {
    fixtures::png(&image::DynamicImage::ImageRgb8(img.clone()).to_rgba8())
}

fn run(src: Vec<u8>, t: Transform) -> RgbaImage {
    let t = Transform { format: Some(FormatChoice::Is(Format::Png)), ..t };
    let out = pipeline::transform_bytes(src, &t, &PipelineSettings::default()).unwrap();
    image::load_from_memory(&out.bytes).unwrap().to_rgba8()
}

fn adjusted(a: Adjust) -> Transform {
    Transform { width: Some(120), adjust: a, ..Default::default() }
}

fn photo() -> Vec<u8> {
    png_of(&fixtures::photo(240, 160, 7))
}

fn mean(img: &RgbaImage, c: usize) -> f64 {
    img.pixels().map(|p| p[c] as f64).sum::<f64>() / (img.width() * img.height()) as f64
}

/// Sum of absolute differences between horizontal neighbours: edges and texture.
fn energy(img: &RgbaImage) -> f64 {
    let mut e = 0.0;
    for y in 0..img.height() {
        for x in 1..img.width() {
            e += (img.get_pixel(x, y)[1] as f64 - img.get_pixel(x - 1, y)[1] as f64).abs();
        }
    }
    e
}

fn spread(img: &RgbaImage) -> f64 {
    let m = mean(img, 1);
    img.pixels().map(|p| (p[1] as f64 - m).powi(2)).sum::<f64>().sqrt()
}

#[test]
fn saturation_zero_is_exactly_grey_and_two_is_more_colourful() {
    let grey = run(photo(), adjusted(Adjust { saturation: Factor(0), ..Default::default() }));
    assert!(grey.pixels().all(|p| p[0] == p[1] && p[1] == p[2]), "R = G = B everywhere");
    let plain = run(photo(), adjusted(Adjust::default()));
    let vivid = run(photo(), adjusted(Adjust { saturation: Factor(200), ..Default::default() }));
    let chroma = |img: &RgbaImage| img.pixels().map(|p| (p[0] as i32 - p[2] as i32).abs() as f64).sum::<f64>();
    assert!(chroma(&vivid) > chroma(&plain) * 1.3, "{} vs {}", chroma(&vivid), chroma(&plain));
}

#[test]
fn brightness_contrast_and_gamma_move_the_tones_the_documented_way() {
    let plain = run(photo(), adjusted(Adjust::default()));
    let bright = run(photo(), adjusted(Adjust { brightness: Factor(150), ..Default::default() }));
    let dark = run(photo(), adjusted(Adjust { brightness: Factor(50), ..Default::default() }));
    assert!(mean(&bright, 1) > mean(&plain, 1) + 10.0 && mean(&dark, 1) < mean(&plain, 1) - 10.0);
    let flat = run(photo(), adjusted(Adjust { contrast: Factor(50), ..Default::default() }));
    let punchy = run(photo(), adjusted(Adjust { contrast: Factor(200), ..Default::default() }));
    assert!(spread(&flat) < spread(&plain) * 0.7 && spread(&punchy) > spread(&plain) * 1.3);
    // Gamma above 1 darkens the midtones (Cloudflare's current documentation), below 1 lightens.
    let g2 = run(photo(), adjusted(Adjust { gamma: Factor(200), ..Default::default() }));
    let g05 = run(photo(), adjusted(Adjust { gamma: Factor(50), ..Default::default() }));
    assert!(mean(&g2, 1) < mean(&plain, 1) - 10.0 && mean(&g05, 1) > mean(&plain, 1) + 10.0);
}

#[test]
fn blur_lowers_and_sharpen_raises_high_frequency_energy() {
    let src = png_of(&fixtures::textured(240, 160));
    let plain = run(src.clone(), adjusted(Adjust::default()));
    let blurred = run(src.clone(), adjusted(Adjust { blur: 10, ..Default::default() }));
    let sharpened = run(src.clone(), adjusted(Adjust { sharpen: Factor(300), ..Default::default() }));
    assert!(energy(&blurred) < energy(&plain) * 0.5, "{} vs {}", energy(&blurred), energy(&plain));
    assert!(energy(&sharpened) > energy(&plain) * 1.2, "{} vs {}", energy(&sharpened), energy(&plain));
    // The largest radius on a small image is still an image of the right size.
    let most = run(src, Transform { width: Some(20), adjust: Adjust { blur: 250, ..Default::default() }, ..Default::default() });
    assert_eq!(most.dimensions(), (20, 13));
}

/// A photo inside a white frame of 30 px left/right and 20 px top/bottom.
fn framed() -> (RgbImage, RgbImage) {
    let inner = fixtures::photo(200, 120, 3);
    let mut outer = RgbImage::from_pixel(260, 160, Rgb([255, 255, 255]));
    image::imageops::replace(&mut outer, &inner, 30, 20);
    (outer, inner)
}

#[test]
fn trim_border_removes_exactly_the_frame() {
    let (outer, inner) = framed();
    let t = Transform { trim: Some(Trim::Border { color: None, tolerance: BORDER_TOLERANCE, keep: 0 }), ..Default::default() };
    let out = run(png_of(&outer), t);
    assert_eq!(out.dimensions(), (200, 120));
    assert_eq!(out.get_pixel(0, 0).0[..3], inner.get_pixel(0, 0).0);
    assert_eq!(out.get_pixel(199, 119).0[..3], inner.get_pixel(199, 119).0);
    let keep = Transform { trim: Some(Trim::Border { color: None, tolerance: BORDER_TOLERANCE, keep: 5 }), ..Default::default() };
    assert_eq!(run(png_of(&outer), keep).dimensions(), (210, 130));
    // Then resized as asked: the trimmed 200×120 scaled to 100 wide.
    let resized = Transform {
        width: Some(100),
        ..Transform { trim: Some(Trim::Border { color: None, tolerance: 245, keep: 0 }), ..Default::default() }
    };
    assert_eq!(run(png_of(&outer), resized).dimensions(), (100, 60));
}

/// `trim=border` finds the frame in the decode the output needs (DCT-scaled for a JPEG), not a
/// full-size one: a 12 MP photo in a white frame → 400 px fits the default budget (a full decode
/// would not: 413), and comes out as the inner picture.
#[test]
fn trim_border_on_a_large_jpeg_decodes_only_what_the_output_needs() {
    let inner = fixtures::photo(3000, 1500, 5);
    let mut outer = RgbImage::from_pixel(4000, 3000, Rgb([255, 255, 255]));
    image::imageops::replace(&mut outer, &inner, 500, 700);
    let border = Trim::Border { color: None, tolerance: BORDER_TOLERANCE, keep: 0 };
    let t = Transform { width: Some(400), trim: Some(border), format: Some(FormatChoice::Is(Format::Png)), ..Default::default() };
    let out = pipeline::transform_bytes(fixtures::jpeg(&outer, false, None), &t, &PipelineSettings::default()).unwrap();
    assert!(out.estimated_peak < 40 << 20, "{} MB", out.estimated_peak >> 20);
    let got = image::load_from_memory(&out.bytes).unwrap().to_rgb8();
    assert_eq!(got.dimensions(), (400, 200));
    let reference = image::imageops::resize(&inner, 400, 200, image::imageops::FilterType::Lanczos3);
    let diff =
        got.pixels().zip(reference.pixels()).map(|(a, b)| (0..3).map(|c| (a[c] as f64 - b[c] as f64).abs()).sum::<f64>()).sum::<f64>();
    let mean = diff / (400.0 * 200.0 * 3.0);
    assert!(mean < 4.0, "mean difference from the inner picture resized: {mean:.2} levels");
}

/// A small picture in a wide border needs more pixels than the untrimmed output did: decoded
/// again at the size the trimmed output needs, the result is what a full-size decode gives (the
/// same file's pixels, decoded whole by the same decoder, as a PNG).
#[test]
fn trim_border_decodes_again_when_the_frame_needs_more_pixels() {
    let mut outer = RgbImage::from_pixel(1600, 1200, Rgb([255, 255, 255]));
    // Detail a quarter-scale decode would blur, and nothing near the border's white.
    let inner = RgbImage::from_fn(200, 120, |x, y| Rgb([40 + ((x / 4 + y / 4) % 2) as u8 * 120, 90, 40 + (x % 100) as u8]));
    image::imageops::replace(&mut outer, &inner, 700, 520);
    let jpeg = fixtures::jpeg(&outer, false, None);
    let border = Trim::Border { color: None, tolerance: BORDER_TOLERANCE, keep: 0 };
    let t = Transform { width: Some(200), trim: Some(border), ..Default::default() };
    let got = run(jpeg.clone(), t.clone());
    let mut decoder = jpeg_decoder::Decoder::new(&jpeg[..]);
    let pixels = decoder.decode().unwrap();
    let whole = run(png_of(&RgbImage::from_raw(1600, 1200, pixels).unwrap()), t);
    assert_eq!(got.dimensions(), whole.dimensions());
    let diff = got.pixels().zip(whole.pixels()).map(|(a, b)| (0..3).map(|c| (a[c] as f64 - b[c] as f64).abs()).sum::<f64>()).sum::<f64>();
    let mean = diff / (got.width() * got.height() * 3) as f64;
    assert!(mean < 2.0, "mean difference from the full-size decode's result: {mean:.2} levels");
}

#[test]
fn trim_in_pixels_counts_on_the_upright_image_before_rotate() {
    let (outer, inner) = framed();
    let t =
        Transform { trim: Some(Trim::Edges { top: 20, right: 30, bottom: 20, left: 30, width: None, height: None }), ..Default::default() };
    let out = run(png_of(&outer), t);
    assert_eq!(out.dimensions(), (200, 120));
    assert_eq!(out.get_pixel(5, 5).0[..3], inner.get_pixel(5, 5).0);
    // The same frame in a JPEG stored sideways (EXIF 6): the trim still names the upright sides.
    let sideways = image::imageops::rotate270(&outer);
    let jpeg = fixtures::jpeg(&sideways, false, Some(6));
    let t = Transform {
        trim: Some(Trim::Edges { top: 20, right: 30, bottom: 20, left: 30, width: None, height: None }),
        turn: edge_image_resizer::transform::Turn { quarters: 1, flip: edge_image_resizer::transform::Flip::None },
        ..Default::default()
    };
    let out = run(jpeg, t);
    assert_eq!(out.dimensions(), (120, 200), "trimmed upright to 200×120, then turned");
    let corner = out.get_pixel(2, 2).0;
    assert!(corner[..3].iter().any(|&c| c < 235), "no white frame left: {corner:?}");
}

#[test]
fn border_frames_the_resized_image() {
    let b = Border { color: [255, 0, 0, 255], top: 4, right: 6, bottom: 4, left: 6 };
    let out = run(photo(), Transform { width: Some(120), border: Some(b), ..Default::default() });
    assert_eq!(out.dimensions(), (132, 88));
    assert_eq!(out.get_pixel(0, 0).0, [255, 0, 0, 255]);
    assert_eq!(out.get_pixel(131, 87).0, [255, 0, 0, 255]);
    assert_eq!(out.get_pixel(5, 40).0, [255, 0, 0, 255]);
    assert_ne!(out.get_pixel(6, 40).0, [255, 0, 0, 255]);
}

/// The EXIF (TIFF structure) of a JPEG, from its APP1 segment.
fn exif_of(jpeg: &[u8]) -> Option<Vec<u8>> {
    let mut d = jpeg_decoder::Decoder::new(jpeg);
    d.read_info().unwrap();
    d.exif_data().map(<[u8]>::to_vec)
}

#[test]
fn metadata_keeps_copyright_by_default_all_with_keep_and_nothing_with_none() {
    // Read back with kamadak-exif, not with the code that wrote it.
    let ascii_tag = |tiff: &[u8], tag: u16| -> Option<String> {
        let exif = exif::Reader::new().read_raw(tiff.to_vec()).ok()?;
        let field = exif.fields().find(|f| f.tag.number() == tag && f.ifd_num == exif::In::PRIMARY)?;
        match &field.value {
            exif::Value::Ascii(parts) => Some(String::from_utf8_lossy(parts.first()?).into_owned()),
            _ => None,
        }
    };
    let camera = fixtures::exif(6, &[(0x013B, fixtures::ARTIST), (0x8298, fixtures::COPYRIGHT)]);
    let src = fixtures::jpeg_with_exif(&fixtures::portrait_stored_sideways(300, 200), &camera);
    let jpeg = |metadata| {
        let t = Transform { width: Some(100), format: Some(FormatChoice::Is(Format::Jpeg)), metadata, ..Default::default() };
        let out = pipeline::transform_bytes(src.clone(), &t, &PipelineSettings::default()).unwrap();
        assert_eq!((out.width, out.height), (100, 150), "turned upright once");
        exif_of(&out.bytes)
    };
    let copyright = jpeg(edge_image_resizer::transform::Metadata::Copyright).expect("an EXIF block");
    assert_eq!(ascii_tag(&copyright, 0x8298).as_deref(), Some(fixtures::COPYRIGHT));
    assert_eq!(ascii_tag(&copyright, 0x013B).as_deref(), Some(fixtures::ARTIST));
    let orientation = |tiff: &[u8]| image::metadata::Orientation::from_exif_chunk(tiff).map(|o| o.to_exif());
    assert_eq!(orientation(&copyright), None, "no orientation tag: the pixels are upright");
    let kept = jpeg(edge_image_resizer::transform::Metadata::Keep).expect("an EXIF block");
    assert_eq!(orientation(&kept), Some(1), "never turned twice");
    assert_eq!(ascii_tag(&kept, 0x8298).as_deref(), Some(fixtures::COPYRIGHT));
    assert_eq!(jpeg(edge_image_resizer::transform::Metadata::None), None);
}

#[test]
fn baseline_jpeg_is_never_progressive() {
    let settings = PipelineSettings { progressive_jpeg: true, ..PipelineSettings::default() };
    let sof = |baseline| {
        let t = Transform { width: Some(64), format: Some(FormatChoice::Is(Format::Jpeg)), baseline, ..Default::default() };
        let out = pipeline::transform_bytes(photo(), &t, &settings).unwrap();
        out.bytes.windows(2).find(|w| w[0] == 0xFF && (w[1] == 0xC0 || w[1] == 0xC2)).map(|w| w[1])
    };
    assert_eq!((sof(false), sof(true)), (Some(0xC2), Some(0xC0)));
}

#[test]
fn overlays_are_drawn_where_their_edges_say_with_their_opacity() {
    use edge_image_resizer::config::parse_overlays;
    let grey = fixtures::png(&RgbaImage::from_pixel(300, 200, image::Rgba([128, 128, 128, 255])));
    let logo = fixtures::png(&RgbaImage::from_pixel(40, 20, image::Rgba([255, 0, 0, 255])));
    let specs = parse_overlays(
        r#"{"logo": {"key": "logo.png", "width": 20, "bottom": 5, "right": 5},
            "veil": {"key": "logo.png", "opacity": 0.5, "top": 0, "left": 0, "rotate": 90}}"#,
    )
    .unwrap();
    let overlays: Vec<_> = specs.into_iter().map(|o| (o, logo.clone())).collect();
    let t = Transform { width: Some(150), format: Some(FormatChoice::Is(Format::Png)), ..Default::default() };
    let t = t.resolved(Format::Png, PipelineSettings::default().output_defaults(), Default::default());
    let host = pipeline::Host { clock: &|| 0.0, codecs: &pipeline::Codecs::NATIVE, overlays: &overlays };
    let out = pipeline::run(grey, &t, &PipelineSettings::default(), &host).unwrap();
    let img = image::load_from_memory(&out.bytes).unwrap().to_rgba8();
    assert_eq!(img.dimensions(), (150, 100));
    // The logo fitted to 20×10, its bottom-right corner 5 px from the image's.
    assert_eq!(img.get_pixel(150 - 6, 100 - 6).0, [255, 0, 0, 255]);
    assert_eq!(img.get_pixel(150 - 25, 100 - 15).0, [255, 0, 0, 255]);
    assert_eq!(img.get_pixel(150 - 4, 100 - 4).0, [128, 128, 128, 255], "outside the offset");
    assert_eq!(img.get_pixel(150 - 27, 100 - 6).0, [128, 128, 128, 255], "left of the logo");
    // The veil: turned to 20×40 at the top-left corner, half transparent.
    let veil = img.get_pixel(10, 30).0;
    assert!((veil[0] as i32 - 192).abs() <= 2 && (veil[1] as i32 - 64).abs() <= 2, "{veil:?}");
    assert_eq!(img.get_pixel(25, 10).0, [128, 128, 128, 255], "the veil is 20 wide once turned");
}

#[test]
fn a_quality_on_png_gives_png8_far_smaller_and_close() {
    use edge_image_resizer::transform::Quality;
    let png = |quality| {
        let t = Transform { width: Some(200), format: Some(FormatChoice::Is(Format::Png)), quality, ..Default::default() };
        pipeline::transform_bytes(photo(), &t, &PipelineSettings::default()).unwrap().bytes
    };
    let (full, png8) = (png(None), png(Some(Quality::Fixed(90))));
    assert!(png8.len() * 2 < full.len(), "{} vs {}", png8.len(), full.len());
    let decoder = png::Decoder::new(std::io::Cursor::new(png8.clone()));
    assert_eq!(decoder.read_info().unwrap().info().color_type, png::ColorType::Indexed);
    let (a, b) = (image::load_from_memory(&full).unwrap().to_rgb8(), image::load_from_memory(&png8).unwrap().to_rgb8());
    let mean = a.as_raw().iter().zip(b.as_raw()).map(|(x, y)| (*x as i32 - *y as i32).abs() as f64).sum::<f64>() / a.as_raw().len() as f64;
    assert!(mean < 6.0, "mean difference {mean}");
}

#[test]
fn blurhash_placeholders_have_the_output_aspect_and_its_colours() {
    use base64::Engine;
    let src = photo();
    let settings = PipelineSettings::default();
    let asked = Transform { format: Some(FormatChoice::BlurHash), ..Default::default() };
    let p = pipeline::placeholder::make(src.clone(), &asked, &settings, &pipeline::Codecs::NATIVE).unwrap();
    assert_eq!((p.width, p.height, p.blurhash.len()), (32, 21, 28), "240×160 → 32×21, 4×3 components");
    let png = base64::engine::general_purpose::STANDARD.decode(p.data_uri.strip_prefix("data:image/png;base64,").unwrap()).unwrap();
    let tiny = image::load_from_memory(&png).unwrap().to_rgba8();
    assert_eq!(tiny.dimensions(), (32, 21));
    let full = run(src.clone(), Transform::default());
    for c in 0..3 {
        assert!((mean(&tiny, c) - mean(&full, c)).abs() < 12.0, "channel {c}: {} vs {}", mean(&tiny, c), mean(&full, c));
    }
    // The options shape it: a square crop, then greyscale.
    let square = Transform {
        width: Some(100),
        height: Some(100),
        fit: edge_image_resizer::transform::Fit::Cover,
        adjust: Adjust { saturation: Factor(0), ..Default::default() },
        ..asked
    };
    let p = pipeline::placeholder::make(src, &square, &settings, &pipeline::Codecs::NATIVE).unwrap();
    assert_eq!((p.width, p.height), (32, 32));
    let png = base64::engine::general_purpose::STANDARD.decode(p.data_uri.strip_prefix("data:image/png;base64,").unwrap()).unwrap();
    assert!(image::load_from_memory(&png).unwrap().to_rgb8().pixels().all(|px| (px[0] as i32 - px[2] as i32).abs() <= 3), "grey");
}
