//! Encoding. JPEG uses `jpeg-encoder` (4:2:0, optimised Huffman tables: smaller files than
//! `image`'s baseline encoder). PNG uses `image` with fast compression, GIF `image`'s NeuQuant
//! quantiser. WebP comes from the host's [`WebpEncoder`] (the codec port): libwebp compiled to
//! wasm in the worker (lossy, the same bytes sharp writes), or `image`'s lossless encoder natively,
//! because no pure-Rust lossy WebP encoder is mature yet.

use crate::error::{Error, Result};
use crate::pipeline::codecs::port::WebpEncoder;
use crate::pipeline::codecs::{avif, palette};
use crate::transform::Format;
use image::codecs::gif::GifEncoder;
use image::codecs::png::{CompressionType, FilterType, PngEncoder};
use image::{DynamicImage, GrayImage, ImageEncoder, RgbImage};
use jpeg_encoder::{ColorType, Encoder, SamplingFactor};

/// GIF colour quantisation speed (NeuQuant, 1 best … 30 fastest), for stills here and for
/// animations (`animate`). 10 is `gif`'s own default for `from_rgba_speed`.
pub const GIF_SPEED: i32 = 10;

/// How to encode: quality for JPEG, WebP and AVIF, the background JPEG flattens transparency onto,
/// the WebP encoder, and AVIF's speed (1 slowest … 10 fastest).
pub struct Settings<'a> {
    pub quality: u8,
    pub background: [u8; 4],
    pub webp: &'a dyn WebpEncoder,
    pub avif_speed: u8,
    /// Progressive JPEG (several scans) instead of baseline.
    pub progressive: bool,
    /// The APP1 (EXIF) segment a JPEG carries (`metadata`), see [`metadata`](crate::pipeline::codecs::metadata).
    pub exif: Option<Vec<u8>>,
    /// PNG: the quality the URL named, which allows PNG8 (256 colours, [`palette`](crate::pipeline::codecs::palette)).
    pub png8: Option<u8>,
}

/// Encodes `img`. Metadata is never written.
pub fn encode(img: &DynamicImage, format: Format, s: &Settings<'_>) -> Result<Vec<u8>> {
    let (quality, background, webp) = (s.quality, s.background, s.webp);
    match format {
        Format::Jpeg => encode_jpeg(img, quality, background, s.progressive, s.exif.as_deref()),
        Format::Png => encode_png(img, s.png8),
        Format::Webp => match img {
            DynamicImage::ImageRgba8(rgba) => webp.encode_rgba(rgba.as_raw(), img.width(), img.height(), quality),
            other => webp.encode_rgba(other.to_rgba8().as_raw(), img.width(), img.height(), quality),
        },
        // AVIF: rav1e (pure Rust, one thread); alpha is kept.
        Format::Avif => avif::encode(img, quality, s.avif_speed),
        // A still GIF: only for `anim=true` on a GIF that turned out to have a single frame.
        Format::Gif => {
            let mut out = Vec::new();
            let rgba = img.to_rgba8();
            GifEncoder::new_with_speed(&mut out, GIF_SPEED)
                .encode(rgba.as_raw(), img.width(), img.height(), image::ExtendedColorType::Rgba8)
                .map_err(failed)?;
            Ok(out)
        }
        Format::Bmp | Format::Heic | Format::Svg => Err(Error::Unsupported(format!("{} output is not available", format.name()))),
    }
}

/// PNG with fast compression: indexed when there are at most 256 colours ([`palette`]), or
/// reduced to 256 when the URL names a quality (`png8`, Cloudflare's PNG8); else in the image's
/// own layout.
fn encode_png(img: &DynamicImage, png8: Option<u8>) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    let indexed = palette::index(img).or_else(|| png8.map(|q| palette::quantized(img, q)));
    let Some(indexed) = indexed else {
        PngEncoder::new_with_quality(&mut out, CompressionType::Fast, FilterType::Adaptive)
            .write_image(img.as_bytes(), img.width(), img.height(), img.color().into())
            .map_err(failed)?;
        return Ok(out);
    };
    let mut encoder = png::Encoder::new(&mut out, img.width(), img.height());
    encoder.set_color(png::ColorType::Indexed);
    encoder.set_depth(match indexed.bit_depth {
        1 => png::BitDepth::One,
        2 => png::BitDepth::Two,
        4 => png::BitDepth::Four,
        _ => png::BitDepth::Eight,
    });
    encoder.set_palette(indexed.palette);
    if !indexed.alpha.is_empty() {
        encoder.set_trns(indexed.alpha);
    }
    encoder.set_compression(png::Compression::Fast);
    let mut writer = encoder.write_header().map_err(failed)?;
    writer.write_image_data(&indexed.rows).map_err(failed)?;
    writer.finish().map_err(failed)?;
    Ok(out)
}

/// A JPEG (4:2:0, optimised tables) with transparency flattened onto `background`.
pub fn encode_jpeg(img: &DynamicImage, quality: u8, background: [u8; 4], progressive: bool, exif: Option<&[u8]>) -> Result<Vec<u8>> {
    let (w, h) = (dim(img.width())?, dim(img.height())?);
    let mut out = Vec::new();
    let mut enc = Encoder::new(&mut out, quality.clamp(1, 100));
    enc.set_sampling_factor(SamplingFactor::R_4_2_0);
    enc.set_optimized_huffman_tables(true);
    enc.set_progressive(progressive);
    if let Some(app1) = exif {
        enc.add_app_segment(1, app1.to_vec()).map_err(failed)?;
    }
    match flatten(img, background) {
        Flat::Grey(g) => enc.encode(g.as_raw(), w, h, ColorType::Luma),
        Flat::Rgb(c) => enc.encode(c.as_raw(), w, h, ColorType::Rgb),
    }
    .map_err(failed)?;
    Ok(out)
}

enum Flat<'a> {
    Grey(std::borrow::Cow<'a, GrayImage>),
    Rgb(std::borrow::Cow<'a, RgbImage>),
}

/// JPEG has no alpha: composite onto the background (white unless the URL says otherwise; a
/// transparent background counts as white).
fn flatten(img: &DynamicImage, background: [u8; 4]) -> Flat<'_> {
    use std::borrow::Cow;
    let [br, bg, bb, ba] = background;
    let bg_rgb = [over(br, ba, 255), over(bg, ba, 255), over(bb, ba, 255)];
    match img {
        DynamicImage::ImageLuma8(g) => Flat::Grey(Cow::Borrowed(g)),
        DynamicImage::ImageRgb8(c) => Flat::Rgb(Cow::Borrowed(c)),
        DynamicImage::ImageLumaA8(ga) if bg_rgb[0] == bg_rgb[1] && bg_rgb[1] == bg_rgb[2] => {
            Flat::Grey(Cow::Owned(GrayImage::from_fn(ga.width(), ga.height(), |x, y| {
                let p = ga.get_pixel(x, y);
                image::Luma([over(p[0], p[1], bg_rgb[0])])
            })))
        }
        other => {
            let rgba = other.to_rgba8();
            Flat::Rgb(Cow::Owned(RgbImage::from_fn(rgba.width(), rgba.height(), |x, y| {
                let p = rgba.get_pixel(x, y);
                image::Rgb([over(p[0], p[3], bg_rgb[0]), over(p[1], p[3], bg_rgb[1]), over(p[2], p[3], bg_rgb[2])])
            })))
        }
    }
}

/// Colour `c` with alpha `a` over an opaque `under`.
fn over(c: u8, a: u8, under: u8) -> u8 {
    let (c, a, u) = (c as u32, a as u32, under as u32);
    ((c * a + u * (255 - a) + 127) / 255) as u8
}

fn dim(v: u32) -> Result<u16> {
    u16::try_from(v).map_err(|_| Error::TooLarge(format!("JPEG output is limited to 65535 pixels a side, got {v}")))
}

fn failed<E: std::fmt::Display>(e: E) -> Error {
    // The pixels were decoded and sized by us: an encoder refusing them is our bug.
    Error::Internal(format!("encoding failed: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{Rgba, RgbaImage};

    fn settings(quality: u8) -> Settings<'static> {
        Settings {
            quality,
            background: crate::transform::WHITE,
            webp: &crate::pipeline::codecs::port::LosslessWebp,
            avif_speed: 10,
            progressive: false,
            exif: None,
            png8: None,
        }
    }

    #[test]
    fn avif_output_is_an_avif_file_of_the_right_size() {
        let img = DynamicImage::ImageRgb8(RgbImage::from_fn(64, 48, |x, y| image::Rgb([x as u8 * 4, y as u8 * 5, 90])));
        let bytes = encode(&img, Format::Avif, &settings(50)).unwrap();
        assert_eq!(&bytes[4..12], b"ftypavif");
        // The image spatial extent property ('ispe') holds the size.
        let ispe = bytes.windows(4).position(|w| w == b"ispe").unwrap();
        let size = |o: usize| u32::from_be_bytes(bytes[o..o + 4].try_into().unwrap());
        assert_eq!((size(ispe + 8), size(ispe + 12)), (64, 48));
    }

    #[test]
    fn every_output_format_round_trips_its_size() {
        let img = DynamicImage::ImageRgb8(RgbImage::from_fn(33, 17, |x, y| image::Rgb([x as u8 * 7, y as u8 * 13, 128])));
        for f in [Format::Jpeg, Format::Png, Format::Webp] {
            let bytes = encode(&img, f, &settings(80)).unwrap();
            let (w, h) = if f == Format::Jpeg {
                let mut d = jpeg_decoder::Decoder::new(&bytes[..]);
                d.read_info().unwrap();
                let i = d.info().unwrap();
                (i.width as u32, i.height as u32)
            } else {
                let d = image::load_from_memory(&bytes).unwrap();
                (d.width(), d.height())
            };
            assert_eq!((w, h), (33, 17), "{f:?}");
        }
    }

    #[test]
    fn jpeg_flattens_transparency_onto_the_background() {
        let img = DynamicImage::ImageRgba8(RgbaImage::from_pixel(16, 16, Rgba([0, 0, 0, 0])));
        let bytes = encode(&img, Format::Jpeg, &settings(90)).unwrap();
        let px = jpeg_decoder::Decoder::new(&bytes[..]).decode().unwrap();
        assert!(px.iter().all(|&v| v >= 250), "transparent became {:?}", &px[..3]);
        let bytes = encode(&img, Format::Jpeg, &Settings { background: [255, 0, 0, 255], ..settings(90) }).unwrap();
        let px = jpeg_decoder::Decoder::new(&bytes[..]).decode().unwrap();
        assert!(px[0] > 240 && px[1] < 20 && px[2] < 20, "transparent on red became {:?}", &px[..3]);
    }

    #[test]
    fn lower_quality_gives_smaller_jpeg() {
        let img = DynamicImage::ImageRgb8(RgbImage::from_fn(128, 128, |x, y| image::Rgb([(x * y) as u8, (x ^ y) as u8, (x + y) as u8])));
        let size = |q| encode(&img, Format::Jpeg, &settings(q)).unwrap().len();
        assert!(size(30) < size(95));
    }
}
