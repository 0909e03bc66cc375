//! `gravity=face`: where the faces are, and the crop window that keeps them.
//!
//! The detector is `rustface` (SeetaFace's funnel-structured cascade, pure Rust, BSD-2-Clause)
//! with the frontal model from that crate's own package (`assets/faces/`, docs/faces.md). It runs on a
//! grey copy of the decoded pixels reduced to at most [`DETECT_SIDE`] a side, so its cost does not
//! grow with megapixels: faces down to [`MIN_FACE`] pixels of that copy are found (about 4% of
//! the longer side). The model is read once per isolate and kept; in the worker it comes from a
//! Data module beside the wasm ([`provide_model`]), so an isolate that crops no face never holds it.

use crate::pipeline::types::Rect;
use image::DynamicImage;
use std::cell::RefCell;

/// The longer side of the grey copy the detector reads.
pub const DETECT_SIDE: u32 = 512;
/// The smallest face looked for, in pixels of that copy (the model's own window is 20).
const MIN_FACE: u32 = 20;
/// Detections scoring below this are dropped (SeetaFace suggests 0.95, 2.8 or 4.5; on our
/// photos 2.0 kept every face with no false ones, docs/faces.md).
const SCORE: f64 = 2.0;
/// The model's box runs from the brows to the mouth; a whole head is this much more on each side.
const HEAD: f64 = 0.3;

/// The model, as the crate ships it: built in natively; the worker provides it ([`provide_model`]).
#[cfg(not(target_arch = "wasm32"))]
static MODEL: &[u8] = include_bytes!("../../assets/faces/seeta_fd_frontal_v1.0.bin");

/// What the model's file and the model read from it hold while the detector is built (the
/// model measured 1,258,924 bytes with a counting allocator; the file is freed after), and at
/// most what a detection holds per pixel of its grey copy (the pyramid and feature maps: measured
/// 2.5 to 16.4 on people photos at 512 px).
const MODEL_BYTES: u64 = 3 << 20;
const BYTES_PER_PIXEL: u64 = 24;

/// What admission counts for a face crop on `decoded` pixels: the model, the grey copy at full
/// size and its resize's float rows, and one detection.
pub fn bytes(decoded: (u32, u32)) -> u64 {
    let pixels = decoded.0 as u64 * decoded.1 as u64;
    MODEL_BYTES + pixels * 5 + DETECT_SIDE as u64 * DETECT_SIDE as u64 * BYTES_PER_PIXEL
}

/// A face found, in the pixels it was found in.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Face {
    pub rect: Rect,
    pub score: f64,
}

/// Where the model's bytes come from (the host's: a copy of the worker's Data module).
pub type ModelSource = fn() -> Option<Vec<u8>>;

thread_local! {
    // One isolate, one thread: the detector is built on the first face crop and kept.
    static DETECTOR: RefCell<Option<Box<dyn rustface::Detector>>> = const { RefCell::new(None) };
    static SOURCE: std::cell::Cell<ModelSource> = const { std::cell::Cell::new(built_in) };
}

/// Tells this isolate where the model is (called once by the worker's wiring).
pub fn provide_model(source: ModelSource) {
    SOURCE.with(|s| s.set(source));
}

#[cfg(not(target_arch = "wasm32"))]
fn built_in() -> Option<Vec<u8>> {
    Some(MODEL.to_vec())
}

#[cfg(target_arch = "wasm32")]
fn built_in() -> Option<Vec<u8>> {
    None
}

/// The faces in `img`, in its pixels, most confident first (none when no model was provided).
pub fn detect(img: &DynamicImage) -> Vec<Face> {
    let (grey, scale) = grey_copy(img);
    let (w, h) = (grey.width(), grey.height());
    if w < MIN_FACE * 2 || h < MIN_FACE * 2 {
        return Vec::new();
    }
    let found = DETECTOR.with(|cell| {
        let mut slot = cell.borrow_mut();
        if slot.is_none() {
            *slot = detector();
        }
        slot.as_mut().map(|d| d.detect(&rustface::ImageData::new(grey.as_raw(), w, h))).unwrap_or_default()
    });
    let mut faces: Vec<Face> = found
        .iter()
        .map(|f| {
            let b = f.bbox();
            let rect = Rect { left: b.x() as f64, top: b.y() as f64, width: b.width() as f64, height: b.height() as f64 };
            Face { rect: rect.scaled(scale), score: f.score() }
        })
        .collect();
    faces.sort_by(|a, b| b.score.total_cmp(&a.score));
    faces
}

fn detector() -> Option<Box<dyn rustface::Detector>> {
    let model = rustface::read_model(&SOURCE.with(|s| s.get())()?[..]).ok()?;
    let mut detector = rustface::create_detector_with_model(model);
    detector.set_min_face_size(MIN_FACE);
    detector.set_score_thresh(SCORE);
    detector.set_pyramid_scale_factor(0.8);
    detector.set_slide_window_step(4, 4);
    Some(detector)
}

/// `img` as 8-bit grey, box-averaged to at most [`DETECT_SIDE`] a side, and the factor back to
/// `img`'s pixels.
fn grey_copy(img: &DynamicImage) -> (image::GrayImage, f64) {
    let (w, h) = (img.width(), img.height());
    let k = (w.max(h) as f64 / DETECT_SIDE as f64).max(1.0);
    let (gw, gh) = (((w as f64 / k).round() as u32).max(1), ((h as f64 / k).round() as u32).max(1));
    let luma = img.to_luma8();
    if (gw, gh) == (w, h) {
        return (luma, 1.0);
    }
    let small = image::imageops::resize(&luma, gw, gh, image::imageops::FilterType::Triangle);
    (small, w as f64 / gw as f64)
}

/// The crop window for `gravity=face`, in `img`'s pixels: `most` is the largest window the
/// output allows (the plain `cover` crop), `bounds` where it may go. The window keeps every face
/// when they fit in it, else the most confident one; `zoom` (0–1) closes in from `most` (as much
/// background as the output allows) to just the head(s). `None`: no face found.
pub fn window(faces: &[Face], most: Rect, bounds: Rect, zoom: f64) -> Option<Rect> {
    let heads: Vec<Rect> = faces.iter().map(|f| f.rect.grown(HEAD)).collect();
    let all = heads.iter().copied().reduce(Rect::union)?;
    let group = if all.width <= most.width && all.height <= most.height { all } else { heads[0] };
    // The tightest window of the output's shape around them, never larger than `most`.
    let aspect = most.width / most.height;
    let tight_w = group.width.max(group.height * aspect).min(most.width);
    let k = 1.0 - zoom.clamp(0.0, 1.0) * (1.0 - tight_w / most.width);
    let (width, height) = (most.width * k, most.height * k);
    let (cx, cy) = (group.left + group.width / 2.0, group.top + group.height / 2.0);
    let left = (cx - width / 2.0).min(bounds.left + bounds.width - width).max(bounds.left);
    let top = (cy - height / 2.0).min(bounds.top + bounds.height - height).max(bounds.top);
    Some(Rect { left, top, width, height })
}

#[cfg(test)]
mod tests;
