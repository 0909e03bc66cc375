//! `gravity=face` end to end on the host: the crop window found in the output's own pixels, held
//! against faces marked by hand on a photo of two people (tests/fixtures/people/SOURCES.md).

use edge_image_resizer::config::PipelineSettings;
use edge_image_resizer::pipeline::{self, faces};
use edge_image_resizer::transform::{Factor, Fit, Format, FormatChoice, Gravity, Transform};
use image::{DynamicImage, RgbImage};

const TWO_PEOPLE: &[u8] = include_bytes!("fixtures/people/two_people.jpg");
/// Brow to chin, marked by hand on the 800×470 photo.
const MARKED: [(f64, f64); 2] = [(30.0, 165.0), (30.0, 165.0)];

fn crop(gravity: Gravity, zoom: Option<Factor>, (w, h): (u32, u32)) -> pipeline::Output {
    let t = Transform {
        width: Some(w),
        height: Some(h),
        fit: Fit::Cover,
        gravity,
        zoom,
        format: Some(FormatChoice::Is(Format::Png)),
        ..Default::default()
    };
    pipeline::transform_bytes(TWO_PEOPLE.to_vec(), &t, &PipelineSettings::default()).unwrap()
}

fn rgb(out: &pipeline::Output) -> RgbImage {
    image::load_from_memory(&out.bytes).unwrap().to_rgb8()
}

/// Mean absolute difference per channel.
fn mae(a: &RgbImage, b: &RgbImage) -> f64 {
    a.as_raw().iter().zip(b.as_raw()).map(|(x, y)| x.abs_diff(*y) as f64).sum::<f64>() / a.as_raw().len() as f64
}

/// Where an unscaled full-width band of the photo starts, found by matching its pixels.
fn band_top(band: &RgbImage, photo: &RgbImage) -> u32 {
    let h = band.height();
    (0..=photo.height() - h)
        .min_by(|&a, &b| {
            let at = |t| mae(band, &image::imageops::crop_imm(photo, 0, t, photo.width(), h).to_image());
            at(a).total_cmp(&at(b))
        })
        .unwrap()
}

#[test]
fn a_wide_crop_keeps_both_faces_where_the_saliency_crop_loses_them() {
    let photo = image::load_from_memory(TWO_PEOPLE).unwrap().to_rgb8();
    let face = crop(Gravity::Face, None, (800, 150));
    assert_eq!(face.note, None, "faces were found");
    let top = band_top(&rgb(&face), &photo) as f64;
    for (from, to) in MARKED {
        assert!(top <= from && to <= top + 150.0, "the band from {top} cuts a face ({from}–{to})");
    }
    let auto = crop(Gravity::Auto, None, (800, 150));
    let top = band_top(&rgb(&auto), &photo) as f64;
    assert!(MARKED.iter().any(|&(from, to)| top > from || to > top + 150.0), "saliency kept the faces here (band from {top})");
}

#[test]
fn zoom_closes_in_on_the_face() {
    // The face found in each output, as a share of the output's width.
    let face_share = |zoom: Option<Factor>| {
        let out = DynamicImage::ImageRgb8(rgb(&crop(Gravity::Face, zoom, (300, 300))));
        let found = faces::detect(&out);
        assert!(!found.is_empty(), "a face is in the zoom={zoom:?} crop");
        let f = found[0].rect;
        let (cx, cy) = (f.left + f.width / 2.0, f.top + f.height / 2.0);
        assert!((60.0..240.0).contains(&cx) && (40.0..240.0).contains(&cy), "the face is framed, not at an edge: {f:?}");
        f.width / 300.0
    };
    let (wide, half, close) = (face_share(None), face_share(Some(Factor(50))), face_share(Some(Factor(100))));
    assert!(wide < half && half < close, "{wide} < {half} < {close}");
    // zoom=1: the head (the face and 30% around it) fills the frame.
    assert!(close > 0.45, "{close}");
}

#[test]
fn with_nobody_in_the_picture_the_crop_is_the_saliency_crop_and_says_so() {
    let landscape = RgbImage::from_fn(600, 300, |x, y| {
        let detail = x > 400 && (x / 3 + y / 3) % 2 == 0;
        image::Rgb(if detail { [250, 250, 250] } else { [60, 90, 120] })
    });
    let mut png = Vec::new();
    DynamicImage::ImageRgb8(landscape).write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png).unwrap();
    let t = |gravity| Transform { width: Some(200), height: Some(200), fit: Fit::Cover, gravity, ..Default::default() };
    let settings = PipelineSettings::default();
    let face = pipeline::transform_bytes(png.clone(), &t(Gravity::Face), &settings).unwrap();
    let auto = pipeline::transform_bytes(png, &t(Gravity::Auto), &settings).unwrap();
    assert_eq!(face.note.as_deref(), Some("gravity=face: no face found, cropped as gravity=auto"));
    assert_eq!(face.bytes, auto.bytes);
}
