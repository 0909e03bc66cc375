//! Gain maps through the pipeline: the map's geometry follows the base's at the map's scale, its
//! metadata is kept byte for byte, and it is dropped (with a note) exactly where it must be.

use crate::config::PipelineSettings;
use crate::pipeline::codecs::gainmap::{self, GainMap, Values};
use crate::pipeline::codecs::jpeg;
use crate::pipeline::{run, Codecs, Host, Output};
use crate::transform::{Accepts, Format, Transform};
use crate::url::{Builder, Vocabulary};
use image::{DynamicImage, GrayImage, RgbImage};

const VALUES: Values = Values::grey(-1.0, 3.0);

/// An Ultra HDR photo, 400×300, whose 100×75 map is white in its top-left quadrant and black
/// elsewhere; `kept` are the map image's own segments.
fn photo(kept: Vec<(u8, Vec<u8>)>) -> Vec<u8> {
    let base = RgbImage::from_fn(400, 300, |x, y| image::Rgb([(x * 255 / 400) as u8, (y * 255 / 300) as u8, 128]));
    let map = GrayImage::from_fn(100, 75, |x, y| image::Luma([if x < 50 && y < 37 { 255 } else { 0 }]));
    let jpeg = |img: DynamicImage| crate::pipeline::steps::encode::encode_jpeg(&img, 95, [255; 4], false, None).unwrap();
    let original = GainMap { kept, ..GainMap::from_values(VALUES) };
    gainmap::write(&jpeg(DynamicImage::ImageRgb8(base)), &jpeg(DynamicImage::ImageLuma8(map)), &original)
}

fn transform(pairs: &[(&str, &str)], accepts: Accepts) -> Transform {
    let settings = crate::config::UrlSettings::default();
    let mut b = Builder::new(&settings);
    for (n, v) in pairs {
        b.set(n, v, Vocabulary { transform: true, presets: true }).unwrap();
    }
    b.finish().unwrap().resolved(Format::Jpeg, PipelineSettings::default().output_defaults(), accepts)
}

fn made(source: Vec<u8>, pairs: &[(&str, &str)], accepts: Accepts) -> Output {
    let settings = PipelineSettings::default();
    run(source, &transform(pairs, accepts), &settings, &Host { clock: &|| 0.0, codecs: &Codecs::NATIVE, overlays: &[] }).unwrap()
}

/// The output's map: its pixels as grey, and what it was read with.
fn map_of(out: &Output) -> (GrayImage, GainMap) {
    let map = gainmap::read(&out.bytes).expect("the output has a gain map");
    let probe = jpeg::probe(&map.image).unwrap();
    let pixels = jpeg::decode(&map.image, &probe, (probe.width, probe.height)).unwrap().image.to_luma8();
    (pixels, map)
}

fn near(v: u8, want: u8) -> bool {
    v.abs_diff(want) <= 24
}

#[test]
fn a_resize_keeps_the_map_at_its_own_scale_with_its_values() {
    let out = made(photo(Vec::new()), &[("w", "200")], Accepts::default());
    assert_eq!((out.format, out.width, out.height, out.note.as_deref()), (Format::Jpeg, 200, 150, None));
    let (pixels, map) = map_of(&out);
    assert_eq!(pixels.dimensions(), (50, 38), "a quarter of the output, as the original's map was of the original");
    assert_eq!(map.values, VALUES);
    assert!(near(pixels.get_pixel(5, 5)[0], 255) && near(pixels.get_pixel(45, 30)[0], 0));
}

#[test]
fn crop_rotate_and_flip_move_the_map_with_the_base() {
    // The left 300×300 of the photo: the map's white quadrant is the left two thirds, top half.
    let (pixels, _) =
        map_of(&made(photo(Vec::new()), &[("w", "100"), ("h", "100"), ("fit", "cover"), ("gravity", "left")], Accepts::default()));
    assert_eq!(pixels.dimensions(), (25, 25));
    assert!(near(pixels.get_pixel(3, 3)[0], 255) && near(pixels.get_pixel(22, 3)[0], 0) && near(pixels.get_pixel(3, 22)[0], 0));
    // A quarter turn clockwise: the top-left quadrant goes to the top right.
    let (turned, _) = map_of(&made(photo(Vec::new()), &[("w", "150"), ("rotate", "90")], Accepts::default()));
    assert_eq!(turned.dimensions(), (38, 50));
    assert!(near(turned.get_pixel(35, 3)[0], 255) && near(turned.get_pixel(3, 3)[0], 0));
    let (flipped, _) = map_of(&made(photo(Vec::new()), &[("w", "200"), ("flip", "v")], Accepts::default()));
    assert!(near(flipped.get_pixel(5, 35)[0], 255) && near(flipped.get_pixel(5, 3)[0], 0));
}

#[test]
fn pad_and_border_get_the_value_of_no_boost() {
    let neutral = VALUES.neutral();
    assert_eq!(neutral, 64);
    let out = made(photo(Vec::new()), &[("w", "200"), ("h", "200"), ("fit", "pad"), ("border", "red;8")], Accepts::default());
    let (pixels, _) = map_of(&out);
    // The base: 200×150 on a 200×200 canvas, then 8 px of border; the map a quarter of each.
    assert_eq!((out.width, out.height), (216, 216));
    assert_eq!(pixels.dimensions(), (54, 54));
    assert!(near(pixels.get_pixel(0, 0)[0], neutral), "border");
    assert!(near(pixels.get_pixel(6, 4)[0], neutral), "canvas above the image");
    assert!(near(pixels.get_pixel(6, 12)[0], 255), "the white quadrant, below the canvas's top");
}

#[test]
fn the_map_images_segments_come_back_byte_for_byte() {
    let icc = b"ICC_PROFILE\0\x01\x01not really a profile".to_vec();
    let out = made(photo(vec![(0xE2, icc.clone())]), &[("w", "120")], Accepts::default());
    let (_, map) = map_of(&out);
    let again = gainmap::read(&photo(vec![(0xE2, icc)])).unwrap();
    assert_eq!(map.kept, again.kept, "the XMP, ISO and ICC segments the original's map had");
}

#[test]
fn other_formats_and_hdr_false_drop_the_map_and_auto_chooses_jpeg_for_it() {
    let webp = made(photo(Vec::new()), &[("w", "200"), ("format", "webp")], Accepts::default());
    assert_eq!(webp.format, Format::Webp);
    assert!(webp.note.as_deref().is_some_and(|n| n.contains("gain map is dropped")), "{:?}", webp.note);

    let sdr = made(photo(Vec::new()), &[("w", "200"), ("hdr", "false")], Accepts::default());
    assert_eq!((sdr.format, sdr.note.as_deref()), (Format::Jpeg, None));
    assert!(!gainmap::declared(&sdr.bytes) && gainmap::read(&sdr.bytes).is_none());

    let avif = Accepts { webp: true, avif: true };
    let auto = made(photo(Vec::new()), &[("w", "200"), ("format", "auto")], avif);
    assert_eq!(auto.format, Format::Jpeg, "JPEG is the format whose gain map browsers read");
    assert_eq!(map_of(&auto).0.dimensions(), (50, 38));
    let plain = crate::pipeline::steps::encode::encode_jpeg(&DynamicImage::new_rgb8(64, 48), 90, [255; 4], false, None).unwrap();
    assert_eq!(made(plain, &[("w", "32"), ("format", "auto")], avif).format, Format::Avif, "no map: as negotiated");
    let auto_sdr = made(photo(Vec::new()), &[("w", "200"), ("format", "auto"), ("hdr", "false")], avif);
    assert_eq!(auto_sdr.format, Format::Avif);
}

#[test]
fn auto_names_the_jpeg_it_would_make_in_the_canonical_form() {
    let avif = Accepts { webp: true, avif: true };
    let auto = transform(&[("w", "200"), ("format", "auto"), ("quality", "60")], avif);
    assert_eq!(auto.canonical(), "w=200,q=60,f=avif,hdr=jpeg.60");
    let explicit = transform(&[("w", "200"), ("format", "avif"), ("quality", "60")], avif);
    assert_ne!(auto.canonical(), explicit.canonical(), "an AVIF asked for is not an auto that may be a JPEG");
    assert_eq!(transform(&[("w", "200"), ("format", "auto")], Accepts::default()).canonical(), "w=200,q=85,f=jpeg");
}

#[test]
fn a_map_that_claims_a_huge_size_is_dropped_before_any_pixel() {
    // The map's frame header says 60000×60000, under a watermark (overlays are scaled to the map:
    // this must be refused before that): the base still served, marked, and fast.
    let mut file = photo(Vec::new());
    let map = gainmap::read(&file).unwrap();
    let at = file.len() - map.image.len();
    let sof = file[at..].windows(2).position(|w| w == [0xFF, 0xC0]).unwrap() + at;
    file[sof + 5..sof + 9].copy_from_slice(&[0xEA, 0x60, 0xEA, 0x60]);
    let json = r#"{"mark": {"key": "brand/mark.png", "width": 64, "top": 0, "left": 0, "default_for": ["shop/"]}}"#;
    let mut png = Vec::new();
    DynamicImage::ImageRgba8(image::RgbaImage::from_pixel(64, 64, image::Rgba([255, 0, 0, 255])))
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .unwrap();
    let overlays: Vec<_> = crate::config::parse_overlays(json).unwrap().into_iter().map(|o| (o, png.clone())).collect();
    let mut t = transform(&[("w", "200")], Accepts::default());
    t.draw = vec![crate::transform::Drawn { name: "mark".into(), version: None }];
    let started = std::time::Instant::now();
    let host = Host { clock: &|| 0.0, codecs: &Codecs::NATIVE, overlays: &overlays };
    let out = run(file, &t, &PipelineSettings::default(), &host).unwrap();
    assert!(started.elapsed().as_secs_f64() < 5.0, "took {:?}", started.elapsed());
    assert_eq!((out.width, out.height), (200, 150));
    assert!(out.note.as_deref().is_some_and(|n| n.contains("60000×60000 for a 400×300 photo")), "{:?}", out.note);
    assert!(gainmap::read(&out.bytes).is_none());
    let probe = jpeg::probe(&out.bytes).unwrap();
    let base = jpeg::decode(&out.bytes, &probe, (probe.width, probe.height)).unwrap().image.to_rgb8();
    assert!(base.get_pixel(10, 10)[0] > 200 && base.get_pixel(10, 10)[1] < 60, "the mark is on the base: {:?}", base.get_pixel(10, 10));
}

#[test]
fn a_gain_map_original_gets_no_mezzanine_by_any_path() {
    use crate::pipeline::{mezzanine, steps::probe};
    let settings = PipelineSettings { mezzanine: crate::config::Mezzanine { min_pixels: 1, side: 100 }, ..PipelineSettings::default() };
    let plain = crate::pipeline::steps::encode::encode_jpeg(&DynamicImage::new_rgb8(400, 300), 90, [255; 4], false, None).unwrap();
    let hdr = photo(Vec::new());
    let (p, q) = (probe::probe(&plain).unwrap(), probe::probe(&hdr).unwrap());
    assert!(mezzanine::gets_one(&plain, &p, &settings.mezzanine), "a plain photo of that size gets one");
    assert!(!mezzanine::gets_one(&hdr, &q, &settings.mezzanine));
    assert!(mezzanine::make(&hdr, &settings, &Codecs::NATIVE).unwrap().is_none(), "make refuses it too");
    let host = Host { clock: &|| 0.0, codecs: &Codecs::NATIVE, overlays: &[] };
    let out = run(hdr, &transform(&[("w", "120")], Accepts::default()), &settings, &host).unwrap();
    assert!(!out.mezzanine && gainmap::read(&out.bytes).is_some());
}

/// The corpus's Ultra HDR photo (3840×2160, a 960×540 map), when `../shared` is there.
#[test]
fn the_corpus_photo_keeps_its_map_and_metadata() {
    let Ok(file) = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/corpus/photos/gain-map.jpg")) else { return };
    let original = gainmap::read(&file).unwrap();
    let out = made(file, &[("w", "400")], Accepts::default());
    let (pixels, map) = map_of(&out);
    assert_eq!((out.width, out.height, pixels.dimensions()), (400, 225, (100, 56)));
    assert_eq!(map.kept[..1], original.kept[..], "its hdrgm XMP, byte for byte");
    assert_eq!(map.kept.len(), 2, "and the ISO 21496-1 record it lacked");
    assert_eq!(map.values, original.values, "which says what the XMP says");
}

#[test]
fn an_overlay_gets_the_value_of_no_boost_under_it_as_far_as_it_is_opaque() {
    // A 40×24 opaque mark at the top left of a 200×150 output: 10×6 of the map under it, inside
    // the map's white 25×19 corner.
    let json = r#"{"mark": {"key": "brand/mark.png", "width": 40, "top": 0, "left": 0, "default_for": ["shop/"]}}"#;
    let mark = image::RgbaImage::from_pixel(100, 60, image::Rgba([255, 0, 0, 255]));
    let mut png = Vec::new();
    DynamicImage::ImageRgba8(mark).write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png).unwrap();
    let overlays: Vec<_> = crate::config::parse_overlays(json).unwrap().into_iter().map(|o| (o, png.clone())).collect();
    let mut t = transform(&[("w", "200")], Accepts::default());
    t.draw = vec![crate::transform::Drawn { name: "mark".into(), version: None }];
    let host = Host { clock: &|| 0.0, codecs: &Codecs::NATIVE, overlays: &overlays };
    let out = run(photo(Vec::new()), &t, &PipelineSettings::default(), &host).unwrap();
    let (pixels, _) = map_of(&out);
    assert!(near(pixels.get_pixel(4, 2)[0], VALUES.neutral()), "under the mark: {}", pixels.get_pixel(4, 2)[0]);
    assert!(near(pixels.get_pixel(20, 3)[0], 255) && near(pixels.get_pixel(4, 13)[0], 255), "the white corner beside it");
    assert!(near(pixels.get_pixel(45, 30)[0], 0));
}

#[test]
fn format_json_says_how_much_the_map_brightens() {
    let settings = PipelineSettings::default();
    let info = crate::pipeline::info::describe(&photo(Vec::new()), &transform(&[("w", "100")], Accepts::default()), "e", &settings.limits)
        .unwrap();
    assert_eq!(info.original.gain_map.map(|g| g.max_boost), Some(8.0), "2^3");
    let plain = crate::pipeline::steps::encode::encode_jpeg(&DynamicImage::new_rgb8(40, 30), 90, [255; 4], false, None).unwrap();
    let info = crate::pipeline::info::describe(&plain, &transform(&[("w", "10")], Accepts::default()), "e", &settings.limits).unwrap();
    assert!(info.original.gain_map.is_none());
    assert!(!serde_json::to_string(&info).unwrap().contains("gain_map"));
}

/// A `base`-sized grey photo with a white `map`-sized gain map.
fn sized(base: (u32, u32), map: (u32, u32)) -> Vec<u8> {
    let jpeg = |img: DynamicImage| crate::pipeline::steps::encode::encode_jpeg(&img, 90, [255; 4], false, None).unwrap();
    let map = jpeg(DynamicImage::ImageLuma8(GrayImage::from_pixel(map.0, map.1, image::Luma([255]))));
    gainmap::write(&jpeg(DynamicImage::new_rgb8(base.0, base.1)), &map, &GainMap::from_values(VALUES))
}

#[test]
fn a_map_four_times_its_photo_is_kept_and_one_pixel_more_is_not() {
    let kept = made(sized((40, 30), (160, 120)), &[("w", "20")], Accepts::default());
    assert_eq!(map_of(&kept).0.dimensions(), (80, 60), "four times the output, as the original's");
    let past = made(sized((40, 30), (161, 120)), &[("w", "20")], Accepts::default());
    assert!(gainmap::read(&past.bytes).is_none());
    assert!(past.note.as_deref().is_some_and(|n| n.contains("161×120 for a 40×30 photo")), "{:?}", past.note);
}
