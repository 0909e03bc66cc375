//! Palette PNG: an output with at most 256 distinct colours (logos, flat graphics, screenshots,
//! pixel art at whole-number scales) is written as an indexed PNG at the smallest bit depth, the
//! same pixels losslessly, in a fraction of the bytes of RGBA. Photos stop counting at colour 257.
//! With an explicit `quality` (Cloudflare's PNG8), any image is reduced to 256 colours with
//! NeuQuant ([`quantized`]), alpha included: lossy, and far smaller than RGBA.

use image::DynamicImage;
use std::collections::HashMap;

/// An indexed image: RGB palette, alpha per palette entry (`tRNS`, empty when all opaque),
/// and rows of packed indices at `bit_depth` bits each.
pub struct Indexed {
    pub palette: Vec<u8>,
    pub alpha: Vec<u8>,
    pub bit_depth: u8,
    pub rows: Vec<u8>,
}

/// `None` when the image has more than 256 colours (found without copying the pixels, so a
/// photo costs a few rows of hashing).
pub fn index(img: &DynamicImage) -> Option<Indexed> {
    let channels = img.color().channel_count() as usize;
    if img.color().bytes_per_pixel() as usize != channels {
        return None; // 16-bit or float: never reaches the encoders.
    }
    let rgba = |p: &[u8]| match p {
        [v] => [*v, *v, *v, 255],
        [v, a] => [*v, *v, *v, *a],
        [r, g, b] => [*r, *g, *b, 255],
        [r, g, b, a] => [*r, *g, *b, *a],
        _ => unreachable!("chunks of 1 to 4 channels"),
    };
    let mut colours: HashMap<[u8; 4], u8> = HashMap::new();
    let mut order: Vec<[u8; 4]> = Vec::new();
    let mut indices = Vec::new();
    for p in img.as_bytes().chunks_exact(channels).map(rgba) {
        let i = match colours.get(&p) {
            Some(&i) => i,
            None if order.len() < 256 => {
                let i = order.len() as u8;
                colours.insert(p, i);
                order.push(p);
                i
            }
            None => return None,
        };
        indices.push(i);
    }
    let bit_depth = match order.len() {
        0..=2 => 1,
        3..=4 => 2,
        5..=16 => 4,
        // Grey is one byte a pixel already: a palette of more than 16 entries gains nothing.
        _ if channels <= 2 => return None,
        _ => 8,
    };
    let palette = order.iter().flat_map(|c| [c[0], c[1], c[2]]).collect();
    let alpha = if order.iter().all(|c| c[3] == 255) { Vec::new() } else { order.iter().map(|c| c[3]).collect() };
    Some(Indexed { palette, alpha, bit_depth, rows: pack(&indices, img.width() as usize, bit_depth) })
}

/// PNG8: the image reduced by NeuQuant (the GIF encoder's quantiser) to a palette whose size
/// follows `quality`, as pngquant's does: 100 keeps 256 colours, 50 about 128, 10 about 27.
/// NeuQuant learns from every pixel of a small image and from one in up to 10 of a large one.
pub fn quantized(img: &DynamicImage, quality: u8) -> Indexed {
    let rgba = img.to_rgba8();
    let colours = 2 + quality.clamp(1, 100) as usize * 254 / 100;
    let sample = (rgba.as_raw().len() / 4 / 250_000).clamp(1, 10) as i32;
    let nq = color_quant::NeuQuant::new(sample, colours, rgba.as_raw());
    let map = nq.color_map_rgba();
    let indices: Vec<u8> = rgba.as_raw().chunks_exact(4).map(|p| nq.index_of(p) as u8).collect();
    let opaque = map.chunks_exact(4).all(|c| c[3] == 255);
    Indexed {
        palette: map.chunks_exact(4).flat_map(|c| [c[0], c[1], c[2]]).collect(),
        alpha: if opaque { Vec::new() } else { map.chunks_exact(4).map(|c| c[3]).collect() },
        bit_depth: 8,
        rows: indices,
    }
}

/// Packs each row's indices, most significant bits first, each row starting on a byte.
fn pack(indices: &[u8], width: usize, bits: u8) -> Vec<u8> {
    if bits == 8 {
        return indices.to_vec();
    }
    let per_byte = 8 / bits as usize;
    let mut out = Vec::with_capacity(indices.len() / per_byte + indices.len() / width.max(1) + 1);
    for row in indices.chunks(width.max(1)) {
        for group in row.chunks(per_byte) {
            let mut byte = 0u8;
            for (k, &i) in group.iter().enumerate() {
                byte |= i << (8 - bits as usize * (k + 1));
            }
            out.push(byte);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{Rgba, RgbaImage};

    #[test]
    fn few_colours_pack_at_the_smallest_depth() {
        let img =
            DynamicImage::ImageRgba8(RgbaImage::from_fn(
                5,
                2,
                |x, _| if x % 2 == 0 { Rgba([255, 0, 0, 255]) } else { Rgba([0, 0, 255, 128]) },
            ));
        let i = index(&img).unwrap();
        assert_eq!((i.bit_depth, i.palette.len(), i.alpha.clone()), (1, 6, vec![255, 128]));
        // 5 pixels 0,1,0,1,0 → 0b01010000 per row.
        assert_eq!(i.rows, vec![0b0101_0000, 0b0101_0000]);
    }

    #[test]
    fn grey_keeps_its_levels() {
        let img = DynamicImage::ImageLuma8(image::GrayImage::from_fn(4, 1, |x, _| image::Luma([x as u8 * 80])));
        let i = index(&img).unwrap();
        assert_eq!((i.bit_depth, i.palette.len(), i.alpha.is_empty()), (2, 12, true));
        assert_eq!(i.rows, vec![0b00_01_10_11]);
        let ramp = DynamicImage::ImageLuma8(image::GrayImage::from_fn(256, 1, |x, _| image::Luma([x as u8])));
        assert!(index(&ramp).is_none(), "256 grey levels stay plain grey");
    }

    #[test]
    fn png8_keeps_the_look_in_256_colours() {
        let img =
            DynamicImage::ImageRgba8(RgbaImage::from_fn(64, 64, |x, y| Rgba([x as u8 * 4, y as u8 * 4, 90, if x < 8 { 0 } else { 255 }])));
        let q = quantized(&img, 80);
        assert_eq!((q.palette.len(), q.alpha.len(), q.rows.len()), (205 * 3, 205, 64 * 64));
        let colour = |i: u8| [q.palette[i as usize * 3], q.palette[i as usize * 3 + 1], q.palette[i as usize * 3 + 2], q.alpha[i as usize]];
        let (a, b) = (colour(q.rows[20 * 64 + 40]), [160u8, 80, 90, 255]);
        assert!(a.iter().zip(b).all(|(x, y)| (*x as i32 - y as i32).abs() <= 12), "{a:?} for {b:?}");
        assert_eq!(colour(q.rows[3])[3], 0, "transparent stays transparent");
        assert_eq!(quantized(&img, 10).alpha.len(), 27, "a lower quality, fewer colours");
    }

    #[test]
    fn photos_are_not_indexed() {
        let img = DynamicImage::ImageRgba8(RgbaImage::from_fn(20, 20, |x, y| Rgba([x as u8 * 12, y as u8 * 12, 7, 255])));
        assert!(index(&img).is_none());
    }
}
