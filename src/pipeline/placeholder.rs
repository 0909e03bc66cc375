//! `format=blurhash`: a placeholder for lazy loading, of the image as the other options would
//! make it (crop, rotation, trim, colour adjustments), from a render 32 pixels on its longest
//! side (JPEG shrinks on load, so even a large photo costs a small decode). The answer carries
//! the BlurHash string, for front-ends that decode it (react-blurhash, Unsplash's API, …), and
//! the same hash decoded to a tiny PNG as a data URI, usable as it is (`blurDataURL` of
//! next/image, a CSS background) with no decoder at all.

use super::codecs::port::Codecs;
use super::render;
use crate::config::PipelineSettings;
use crate::error::{Error, Result};
use crate::transform::{Adjust, Fit, Transform};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use image::{DynamicImage, ImageEncoder, RgbaImage};
use serde::Serialize;

/// The longest side of the render the hash is computed from.
const SIDE: u32 = 32;

#[derive(Debug, Serialize)]
pub struct Placeholder {
    pub blurhash: String,
    /// The render's size: the output's aspect ratio, for reserving the space.
    pub width: u32,
    pub height: u32,
    /// `data:image/png;base64,…`: the hash decoded at that size.
    pub data_uri: String,
}

pub fn make(source: Vec<u8>, transform: &Transform, settings: &PipelineSettings, codecs: &Codecs<'_>) -> Result<Placeholder> {
    let (_, shape) = super::prepare::prepare(&source, transform, &settings.limits, None)?;
    let (w, h) = shape.output_size();
    let k = (SIDE as f64 / w.max(h) as f64).min(1.0);
    let (tw, th) = (((w as f64 * k).round() as u32).max(1), ((h as f64 * k).round() as u32).max(1));
    // The same picture, smaller: crops keep their window, everything else is scaled as a whole;
    // blur, sharpen, overlays and the border would only be lost in the hash.
    let fit = if matches!(transform.fit, Fit::Cover | Fit::Crop | Fit::AspectCrop | Fit::Pad) { transform.fit } else { Fit::Squeeze };
    let small = Transform {
        width: Some(tw),
        height: Some(th),
        size: None,
        fit,
        adjust: Adjust { blur: 0, sharpen: Adjust::default().sharpen, ..transform.adjust },
        border: None,
        draw: Vec::new(),
        ..transform.clone()
    };
    let rgba = render(source, &small, settings, codecs)?.into_rgba8();
    let (cx, cy) = if tw >= th { (4, 3) } else { (3, 4) };
    let blurhash =
        blurhash::encode(cx, cy, rgba.width(), rgba.height(), rgba.as_raw()).map_err(|e| Error::Internal(format!("blurhash: {e}")))?;
    let decoded = blurhash::decode(&blurhash, tw, th, 1.0).map_err(|e| Error::Internal(format!("blurhash: {e}")))?;
    let img = RgbaImage::from_raw(tw, th, decoded).ok_or_else(|| Error::Internal("blurhash decoded to the wrong size".into()))?;
    let mut png = Vec::new();
    image::codecs::png::PngEncoder::new(&mut png)
        .write_image(DynamicImage::ImageRgba8(img).to_rgb8().as_raw(), tw, th, image::ExtendedColorType::Rgb8)
        .map_err(|e| Error::Internal(format!("placeholder PNG: {e}")))?;
    Ok(Placeholder { blurhash, width: tw, height: th, data_uri: format!("data:image/png;base64,{}", STANDARD.encode(png)) })
}
