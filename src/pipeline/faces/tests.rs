use super::*;
use sha2::{Digest, Sha256};

/// Faces in `tests/fixtures/people/two_people.jpg` (800×470), brow to chin, marked by hand.
const TWO_PEOPLE: [Rect; 2] =
    [Rect { left: 160.0, top: 30.0, width: 115.0, height: 135.0 }, Rect { left: 550.0, top: 30.0, width: 125.0, height: 135.0 }];

fn two_people() -> DynamicImage {
    image::load_from_memory(include_bytes!("../../../tests/fixtures/people/two_people.jpg")).unwrap()
}

fn centre(r: Rect) -> (f64, f64) {
    (r.left + r.width / 2.0, r.top + r.height / 2.0)
}

fn inside(inner: Rect, outer: Rect) -> bool {
    inner.left >= outer.left - 0.5
        && inner.top >= outer.top - 0.5
        && inner.left + inner.width <= outer.left + outer.width + 0.5
        && inner.top + inner.height <= outer.top + outer.height + 0.5
}

#[test]
fn the_bundled_model_is_the_one_the_crate_ships() {
    // rustface 0.1.7's model/seeta_fd_frontal_v1.0.bin, byte for byte (docs/faces.md).
    let digest = format!("{:x}", Sha256::digest(MODEL));
    assert_eq!(digest, "c4619d066ed35e84d9a8e842860b0dff567aba0cbb139881075538761db3ff5d");
    assert!(rustface::read_model(MODEL).is_ok());
}

#[test]
fn both_faces_of_a_photo_are_found_where_they_are() {
    let faces = detect(&two_people());
    assert_eq!(faces.len(), 2, "{faces:?}");
    for marked in TWO_PEOPLE {
        let (cx, cy) = centre(marked);
        let hit = faces.iter().any(|f| {
            let (fx, fy) = centre(f.rect);
            (fx - cx).abs() < marked.width / 3.0 && (fy - cy).abs() < marked.height / 3.0
        });
        assert!(hit, "no face found near {marked:?}: {faces:?}");
    }
    // The same faces at a quarter of the size, in the pixels asked about.
    let small = two_people().resize(200, 200, image::imageops::FilterType::Triangle);
    let found = detect(&small);
    assert!(found.iter().all(|f| f.rect.left + f.rect.width <= 200.0), "{found:?}");
}

#[test]
fn nobody_is_found_in_a_landscape_of_noise_or_a_flat_field() {
    let flat = DynamicImage::ImageRgb8(image::RgbImage::from_pixel(640, 480, image::Rgb([120, 140, 160])));
    assert!(detect(&flat).is_empty());
    let tiny = DynamicImage::ImageRgb8(image::RgbImage::from_pixel(30, 30, image::Rgb([1, 2, 3])));
    assert!(detect(&tiny).is_empty(), "too small to hold a face, and no panic");
    assert_eq!(
        window(&[], Rect { left: 0.0, top: 0.0, width: 9.0, height: 9.0 }, Rect { left: 0.0, top: 0.0, width: 9.0, height: 9.0 }, 0.0),
        None
    );
}

#[test]
fn the_window_keeps_every_face_that_fits_and_zoom_closes_in() {
    let bounds = Rect { left: 0.0, top: 0.0, width: 1000.0, height: 500.0 };
    let face = |left, top, score| Face { rect: Rect { left, top, width: 50.0, height: 50.0 }, score };
    let faces = [face(600.0, 100.0, 9.0), face(800.0, 120.0, 5.0)];
    // The largest square, centred on the plain crop: moved to hold both heads.
    let most = Rect { left: 250.0, top: 0.0, width: 500.0, height: 500.0 };
    let w = window(&faces, most, bounds, 0.0).unwrap();
    assert_eq!((w.width, w.height), (500.0, 500.0));
    assert!(faces.iter().all(|f| inside(f.rect.grown(HEAD), w)), "{w:?}");
    // zoom=1: just the heads (280 wide with their margin), as a square.
    let tight = window(&faces, most, bounds, 1.0).unwrap();
    assert!((tight.width - 280.0).abs() < 1e-6 && tight.height == tight.width, "{tight:?}");
    assert!(faces.iter().all(|f| inside(f.rect.grown(HEAD), tight)), "{tight:?}");
    // Half way.
    let half = window(&faces, most, bounds, 0.5).unwrap();
    assert!((half.width - (500.0 + 280.0) / 2.0).abs() < 1e-6);
    // A narrow window cannot hold both: the most confident one.
    let narrow = Rect { left: 450.0, top: 0.0, width: 100.0, height: 500.0 };
    let w = window(&faces, narrow, bounds, 0.0).unwrap();
    assert!(inside(faces[0].rect, w) && !inside(faces[1].rect, w), "{w:?}");
    // Never past the edges the crop may use.
    let corner = [face(980.0, 480.0, 3.0)];
    let w = window(&corner, most, bounds, 0.0).unwrap();
    assert_eq!((w.left, w.top), (500.0, 0.0));
}
