//! `format=json`: Cloudflare's information answer about an original and what the given options
//! would make of it, read from the header (no pixel is decoded; frames are counted from the
//! file's block structure).

use super::animate;
use crate::config::Limits;
use crate::error::Result;
use crate::transform::{Transform, Trim};
use serde::Serialize;

/// The answer, in Cloudflare's shape (`width`, `height`, `original.file_size` …) plus what it
/// does not give: the frame count of an animation and the original's ETag.
#[derive(Debug, Serialize)]
pub struct Info {
    /// The output size the options would produce (for `trim=border`, before the border is
    /// found: that needs the pixels).
    pub width: u32,
    pub height: u32,
    pub original: Original,
}

#[derive(Debug, Serialize)]
pub struct Original {
    pub file_size: u64,
    /// As displayed: EXIF orientation applied.
    pub width: u32,
    pub height: u32,
    /// The media type, e.g. `image/jpeg`.
    pub format: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub frames: Option<u32>,
    /// An HDR photo's gain map: the most it brightens (as a multiple of SDR white), from its
    /// metadata; absent without one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gain_map: Option<GainMapInfo>,
    pub etag: String,
}

#[derive(Debug, Serialize)]
pub struct GainMapInfo {
    /// 2^HDRCapacityMax (Ultra HDR) or 2^alternate headroom (ISO 21496-1).
    pub max_boost: f64,
}

pub fn describe(source: &[u8], transform: &Transform, etag: &str, limits: &Limits) -> Result<Info> {
    let sizing = Transform { trim: transform.trim.filter(|t| matches!(t, Trim::Edges { .. })), ..transform.clone() };
    let (probe, shape) = super::prepare::prepare(source, &sizing, limits, None)?;
    let (width, height) = shape.output_size();
    let (shown_w, shown_h) = probe.oriented_size();
    let original = Original {
        file_size: source.len() as u64,
        width: shown_w,
        height: shown_h,
        format: probe.format.content_type(),
        frames: animate::frame_count(source, probe.format)?,
        gain_map: super::hdr::capacity(source, &probe).map(|c| GainMapInfo { max_boost: (2f64.powf(c) * 100.0).round() / 100.0 }),
        etag: etag.to_string(),
    };
    Ok(Info { width, height, original })
}
