//! AVIF output: rav1e (pure Rust, one thread) driven directly, the file written by
//! avif-serialize (both were in the tree already under `image`'s `ravif`). Not through `ravif`:
//! its still-image tweaks cap blocks at 16 px from speed 5 on and add 10% to files at speed 10;
//! with rav1e's own presets our files at sharp's SSIM measured 1.0–1.6× sharp's bytes against
//! 1.1–3.3× (docs/performance.md, "AVIF through rav1e's own presets"). 8-bit 4:4:4 as sharp's
//! default (sharp's prebuilt libvips cannot read 10-bit AVIF), BT.601 full range as `ravif`.

use crate::error::{Error, Result};
use image::DynamicImage;
use rav1e::prelude::{
    ChromaSampling, ColorDescription, ColorPrimaries, Config, Context, EncoderConfig, EncoderStatus, MatrixCoefficients, PixelRange,
    SceneDetectionSpeed, TransferCharacteristics, Tune,
};

/// Encodes `img` at `quality` (1–100, `ravif`'s scale, so `q=` means what it did) and rav1e's
/// `speed` (1 slowest … 10 fastest). Alpha, when any pixel is not opaque, is a second AV1 image.
pub fn encode(img: &DynamicImage, quality: u8, speed: u8) -> Result<Vec<u8>> {
    let (width, height) = (img.width() as usize, img.height() as usize);
    let quantizer = quantizer(quality);
    let speed = speed.clamp(1, 10);
    let rgba = img.to_rgba8();
    let pixels = rgba.as_raw().chunks_exact(4);
    let opaque = pixels.clone().all(|p| p[3] == 255);
    let mut planes = [Vec::with_capacity(width * height), Vec::with_capacity(width * height), Vec::with_capacity(width * height)];
    for p in pixels.clone() {
        let [y, cb, cr] = ycbcr([p[0], p[1], p[2]]);
        planes[0].push(y);
        planes[1].push(cb);
        planes[2].push(cr);
    }
    let colour = av1(width, height, quantizer, speed, ChromaSampling::Cs444, &planes)?;
    drop(planes);
    let alpha = if opaque {
        None
    } else {
        let alpha: Vec<u8> = pixels.map(|p| p[3]).collect();
        Some(av1(width, height, quantizer, speed, ChromaSampling::Cs400, std::slice::from_ref(&alpha))?)
    };
    let mut file = avif_serialize::Aviffy::new();
    file.set_matrix_coefficients(avif_serialize::constants::MatrixCoefficients::Bt601).set_full_color_range(true);
    Ok(file.to_vec(&colour, alpha.as_deref(), width as u32, height as u32, 8))
}

/// `ravif`'s quality → AV1 quantizer (0 best … 255), kept so a URL's `q` still means the same.
fn quantizer(quality: u8) -> u8 {
    let q = f32::from(quality.clamp(1, 100)) / 100.0;
    let x = if q >= 0.82 {
        (1.0 - q) * 2.6
    } else if q > 0.25 {
        q.mul_add(-0.5, 1.0 - 0.125)
    } else {
        1.0 - q
    };
    (x * 255.0).round() as u8
}

/// BT.601 full range, the matrix the file declares.
fn ycbcr([r, g, b]: [u8; 3]) -> [u8; 3] {
    let (r, g, b) = (f32::from(r), f32::from(g), f32::from(b));
    let y = 0.299 * r + 0.587 * g + 0.114 * b;
    let cb = (b - y) * (0.5 / (1.0 - 0.114)) + 128.0;
    let cr = (r - y) * (0.5 / (1.0 - 0.299)) + 128.0;
    [y, cb, cr].map(|v| v.round().clamp(0.0, 255.0) as u8)
}

/// One still AV1 frame from full-size planes (one for `Cs400`, three for `Cs444`): its OBUs.
fn av1(width: usize, height: usize, quantizer: u8, speed: u8, sampling: ChromaSampling, planes: &[Vec<u8>]) -> Result<Vec<u8>> {
    let mut config = EncoderConfig::with_speed_preset(speed);
    config.width = width;
    config.height = height;
    config.bit_depth = 8;
    config.chroma_sampling = sampling;
    config.pixel_range = PixelRange::Full;
    config.still_picture = true;
    config.quantizer = usize::from(quantizer);
    config.min_quantizer = quantizer;
    config.tune = Tune::Psychovisual;
    if sampling != ChromaSampling::Cs400 {
        config.color_description = Some(ColorDescription {
            transfer_characteristics: TransferCharacteristics::SRGB,
            color_primaries: ColorPrimaries::BT709,
            matrix_coefficients: MatrixCoefficients::BT601,
        });
    }
    // One frame: nothing to look ahead at or refer back to (as `ravif` sets them).
    config.speed_settings.multiref = false;
    config.speed_settings.rdo_lookahead_frames = 1;
    config.speed_settings.scene_detection_mode = SceneDetectionSpeed::None;
    config.speed_settings.motion.include_near_mvs = false;
    let failed = |e: &dyn std::fmt::Display| Error::Internal(format!("AVIF encoding failed: {e}"));
    let mut context: Context<u8> = Config::new().with_encoder_config(config).with_threads(1).new_context().map_err(|e| failed(&e))?;
    let mut frame = context.new_frame();
    for (plane, source) in frame.planes.iter_mut().zip(planes) {
        plane.copy_from_raw_u8(source, width, 1);
    }
    context.send_frame(frame).map_err(|e| failed(&e))?;
    context.flush();
    let mut out = Vec::new();
    loop {
        match context.receive_packet() {
            Ok(packet) => out.extend_from_slice(&packet.data),
            Err(EncoderStatus::Encoded) => continue,
            Err(EncoderStatus::LimitReached) => return Ok(out),
            Err(e) => return Err(failed(&e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn photo(alpha: bool) -> DynamicImage {
        DynamicImage::ImageRgba8(image::RgbaImage::from_fn(96, 64, |x, y| {
            let v = ((x * 7 + y * 13) % 97) as u8;
            image::Rgba([v.wrapping_mul(2), 255 - v, (x * 2) as u8, if alpha && x < 30 { 0 } else { 255 }])
        }))
    }

    #[test]
    fn a_higher_quality_spends_more_bytes() {
        let sizes = [20, 50, 90].map(|q| encode(&photo(false), q, 10).unwrap().len());
        assert!(sizes[0] < sizes[1] && sizes[1] < sizes[2], "{sizes:?}");
    }

    #[test]
    fn alpha_is_an_auxiliary_image_only_when_some_pixel_is_not_opaque() {
        let urn: &[u8] = b"urn:mpeg:mpegB:cicp:systems:auxiliary:alpha";
        let has = |bytes: &[u8]| bytes.windows(urn.len()).any(|w| w == urn);
        assert!(has(&encode(&photo(true), 50, 10).unwrap()));
        let opaque = encode(&photo(false), 50, 10).unwrap();
        assert!(!has(&opaque) && &opaque[4..12] == b"ftypavif");
    }

    #[test]
    fn grey_stays_grey_and_primaries_keep_their_hue() {
        assert_eq!(ycbcr([128, 128, 128]), [128, 128, 128]);
        let [_, cb, cr] = ycbcr([255, 0, 0]);
        assert!(cr == 255 && cb < 128, "red: cb {cb} cr {cr}");
    }
}
