//! Decoded AV1 planes to 8-bit RGB(A) or grey: the matrix and range the colour signalling
//! names (H.273), chroma upsampled bilinearly from centred samples (as libyuv, and libavif by
//! default, do), 10- and 12-bit samples rounded to 8 bits, and an alpha plane from the alpha
//! item (un-premultiplied when the file says `prem`). Planes are read a row at a time.

use crate::error::{Error, Result};
use crate::pipeline::codecs::port::{Cicp, Layout, Picture};
use image::{DynamicImage, GrayAlphaImage, GrayImage, RgbImage, RgbaImage};

/// The luma weights (Kr, Kb) of a matrix code point; `None` for the ones that are not a
/// weighted sum (identity, YCgCo). Unspecified and unknown ones read as BT.601, as libavif does.
fn weights(matrix: u8) -> Option<(f32, f32)> {
    Some(match matrix {
        0 | 8 => return None,
        1 => (0.2126, 0.0722),
        4 => (0.30, 0.11),
        7 => (0.212, 0.087),
        9 | 10 => (0.2627, 0.0593),
        _ => (0.299, 0.114),
    })
}

/// One plane's rows as values in 0..=1 (luma, identity's planes) or -0.5..=0.5 (chroma), with
/// the last two rows read kept (bilinear upsampling reads each chroma row twice).
struct PlaneReader<'a> {
    picture: &'a Picture,
    plane: usize,
    width: usize,
    offset: f32,
    scale: f32,
    raw: Vec<u8>,
    cached: [(u32, Vec<f32>); 2],
}

impl<'a> PlaneReader<'a> {
    fn new(picture: &'a Picture, plane: usize, width: u32, (offset, scale): (f32, f32)) -> Self {
        let bytes = if picture.bit_depth > 8 { 2 } else { 1 };
        let width = width as usize;
        let cached = [(u32::MAX, vec![0.0; width]), (u32::MAX, vec![0.0; width])];
        PlaneReader { picture, plane, width, offset, scale, raw: vec![0; width * bytes], cached }
    }

    fn row(&mut self, y: u32) -> Result<&[f32]> {
        if let Some(i) = self.cached.iter().position(|(at, _)| *at == y) {
            return Ok(&self.cached[i].1);
        }
        // Replace the older entry: rows are asked for in increasing order.
        let slot =
            if self.cached[0].0 == u32::MAX || (self.cached[1].0 != u32::MAX && self.cached[0].0 < self.cached[1].0) { 0 } else { 1 };
        self.picture.rows.copy_row(self.plane, y, &mut self.raw)?;
        let (offset, scale) = (self.offset, self.scale);
        let out = &mut self.cached[slot];
        out.0 = y;
        if self.raw.len() == self.width {
            for (o, &v) in out.1.iter_mut().zip(&self.raw) {
                *o = (v as f32 - offset) * scale;
            }
        } else {
            for (o, v) in out.1.iter_mut().zip(self.raw.chunks_exact(2)) {
                *o = (u16::from_le_bytes([v[0], v[1]]) as f32 - offset) * scale;
            }
        }
        Ok(&self.cached[slot].1)
    }

    /// Rows `a` and `b` (a ≤ b) at once, both kept.
    fn pair(&mut self, a: u32, b: u32) -> Result<(&[f32], &[f32])> {
        self.row(a)?;
        self.row(b)?;
        let at = |y: u32| self.cached.iter().position(|(at, _)| *at == y).expect("both rows were just read");
        Ok((&self.cached[at(a)].1, &self.cached[at(b)].1))
    }
}

/// (offset, scale) of luma and of chroma samples for this depth and range.
fn ranges(p: &Picture, cicp: Cicp) -> ((f32, f32), (f32, f32)) {
    let max = ((1u32 << p.bit_depth) - 1) as f32;
    let step = (1u32 << (p.bit_depth - 8)) as f32;
    let (luma, chroma) = if cicp.full_range {
        ((0.0, 1.0 / max), ((1u32 << (p.bit_depth - 1)) as f32, 1.0 / max))
    } else {
        ((16.0 * step, 1.0 / (219.0 * step)), (128.0 * step, 1.0 / (224.0 * step)))
    };
    // Identity: the chroma planes hold B and R as they are.
    (luma, if cicp.matrix == 0 { luma } else { chroma })
}

fn check(p: &Picture) -> Result<()> {
    if !(8..=12).contains(&p.bit_depth) || p.width == 0 || p.height == 0 {
        return Err(Error::Undecodable(format!("AV1: unsupported picture ({} bits, {}×{})", p.bit_depth, p.width, p.height)));
    }
    Ok(())
}

/// Bilinear taps from output positions to centred source samples: (first, second, weight of second).
fn taps(len: usize, shift: u32) -> Vec<(u32, u32, f32)> {
    let src_len = (len + (1 << shift) - 1) >> shift;
    (0..len)
        .map(|x| {
            let pos = ((x as f32 + 0.5) / (1 << shift) as f32 - 0.5).max(0.0);
            let a = (pos.floor() as usize).min(src_len - 1);
            (a as u32, (a + 1).min(src_len - 1) as u32, pos - a as f32)
        })
        .collect()
}

/// Channels of the 8-bit pixels a picture becomes: grey or RGB, and alpha when there is one.
pub fn channels(p: &Picture, alpha: bool) -> usize {
    (if p.layout == Layout::Grey { 1 } else { 3 }) + alpha as usize
}

/// The picture as 8-bit pixels; `alpha` (the alpha item's luma) makes it RGBA or grey+alpha.
/// Decoding converts tile by tile ([`convert_into`]); this whole-picture form is for the tests.
#[cfg(test)]
pub fn to_image(p: &Picture, cicp: Cicp, alpha: Option<(&Picture, bool)>) -> Result<DynamicImage> {
    let channels = channels(p, alpha.is_some());
    let mut out = vec![0u8; p.width as usize * p.height as usize * channels];
    convert_into(p, cicp, alpha, &mut out, (p.width, p.height), (0, 0))?;
    image_from(out, (p.width, p.height), channels)
}

pub fn image_from(out: Vec<u8>, (w, h): (u32, u32), channels: usize) -> Result<DynamicImage> {
    let short = || Error::Internal("AVIF pixel buffer size".into());
    Ok(match channels {
        1 => DynamicImage::ImageLuma8(GrayImage::from_raw(w, h, out).ok_or_else(short)?),
        2 => DynamicImage::ImageLumaA8(GrayAlphaImage::from_raw(w, h, out).ok_or_else(short)?),
        3 => DynamicImage::ImageRgb8(RgbImage::from_raw(w, h, out).ok_or_else(short)?),
        _ => DynamicImage::ImageRgba8(RgbaImage::from_raw(w, h, out).ok_or_else(short)?),
    })
}

/// Converts the picture into `out` (`size`, with [`channels`] a pixel) with its top left at
/// `at`; what falls outside `out` is left out (a grid's last tiles overhang the image, a clean
/// aperture cuts into the first ones).
pub fn convert_into(
    p: &Picture,
    cicp: Cicp,
    alpha: Option<(&Picture, bool)>,
    out: &mut [u8],
    size: (u32, u32),
    at: (i64, i64),
) -> Result<()> {
    check(p)?;
    if let Some((a, _)) = alpha {
        check(a)?;
        if (a.width, a.height) != (p.width, p.height) {
            return Err(Error::Undecodable("HEIF: the alpha item is not the image's size".into()));
        }
    }
    let grey = p.layout == Layout::Grey;
    let channels = channels(p, alpha.is_some());
    // The part of the picture inside `out`: columns x0..x1, rows y0..y1 of the picture.
    let visible =
        |len: u32, out_len: u32, at: i64| ((-at).clamp(0, len as i64) as usize, (out_len as i64 - at).clamp(0, len as i64) as usize);
    let ((x0, x1), (y0, y1)) = (visible(p.width, size.0, at.0), visible(p.height, size.1, at.1));
    if x1 <= x0 || y1 <= y0 {
        return Ok(());
    }
    let w = x1 - x0;
    let (cw, _) = p.layout.chroma_size(p.width, p.height);
    let (luma_range, chroma_range) = ranges(p, cicp);
    let mut y_rows = PlaneReader::new(p, 0, p.width, luma_range);
    let mut u_rows = PlaneReader::new(p, 1, cw, chroma_range);
    let mut v_rows = PlaneReader::new(p, 2, cw, chroma_range);
    let mut a_rows = alpha.map(|(a, prem)| (PlaneReader::new(a, 0, a.width, ranges(a, a.cicp).0), prem));
    let (sx, sy) = match p.layout {
        Layout::Yuv420 => (1, 1),
        Layout::Yuv422 => (1, 0),
        _ => (0, 0),
    };
    let (xt, yt) = (taps(p.width as usize, sx), taps(p.height as usize, sy));
    let to8 = |f: f32| (f.clamp(0.0, 1.0) * 255.0 + 0.5) as u8;
    let matrix = Matrix::of(cicp.matrix);
    let mut u_line = vec![0f32; w];
    let mut v_line = vec![0f32; w];
    let out_stride = size.0 as usize * channels;
    for (row, &(c0, c1, fy)) in yt.iter().enumerate().take(y1).skip(y0) {
        let start = (at.1 + row as i64) as usize * out_stride + (at.0 + x0 as i64) as usize * channels;
        let line = out.get_mut(start..start + w * channels).ok_or_else(|| Error::Internal("HEIF tile outside the image".into()))?;
        if !grey {
            for (reader, line) in [(&mut u_rows, &mut u_line), (&mut v_rows, &mut v_line)] {
                let (top, bottom) = reader.pair(c0, c1)?;
                for (o, &(a, b, fx)) in line.iter_mut().zip(&xt[x0..x1]) {
                    let (a, b) = (a as usize, b as usize);
                    let t = top[a] + (top[b] - top[a]) * fx;
                    let b = bottom[a] + (bottom[b] - bottom[a]) * fx;
                    *o = t + (b - t) * fy;
                }
            }
        }
        let alpha_row = match a_rows.as_mut() {
            Some((reader, prem)) => Some((reader.row(row as u32)?.to_vec(), *prem)),
            None => None,
        };
        let luma = &y_rows.row(row as u32)?[x0..x1];
        match (&alpha_row, grey) {
            // The common case, kept tight: colour without alpha.
            (None, false) => {
                for (((px, &y), &cb), &cr) in line.chunks_exact_mut(3).zip(luma).zip(&u_line).zip(&v_line) {
                    let (r, g, b) = matrix.rgb(y, cb, cr);
                    px[0] = to8(r);
                    px[1] = to8(g);
                    px[2] = to8(b);
                }
            }
            _ => {
                for (x, px) in line.chunks_exact_mut(channels).enumerate() {
                    let (a, premultiplied) = match &alpha_row {
                        Some((values, prem)) => (values[x0 + x].clamp(0.0, 1.0), *prem),
                        None => (1.0, false),
                    };
                    let unmultiply = |c: f32| if premultiplied && a > 0.0 { c / a } else { c };
                    if grey {
                        px[0] = to8(unmultiply(luma[x]));
                    } else {
                        let (r, g, b) = matrix.rgb(luma[x], u_line[x], v_line[x]);
                        px[0] = to8(unmultiply(r));
                        px[1] = to8(unmultiply(g));
                        px[2] = to8(unmultiply(b));
                    }
                    if alpha_row.is_some() {
                        px[channels - 1] = to8(a);
                    }
                }
            }
        }
    }
    Ok(())
}

/// How a matrix turns luma (0..=1) and chroma (-0.5..=0.5) into R, G and B, worked out once.
#[derive(Clone, Copy)]
enum Matrix {
    /// R = Y + r·Cr, G = Y − gb·Cb − gr·Cr, B = Y + b·Cb.
    Weighted { r: f32, gb: f32, gr: f32, b: f32 },
    /// U carries Cg, V carries Co.
    YCgCo,
    /// The planes are G, B, R.
    Identity,
}

impl Matrix {
    fn of(code: u8) -> Matrix {
        match (code, weights(code)) {
            (_, Some((kr, kb))) => {
                let (r, b, kg) = (2.0 * (1.0 - kr), 2.0 * (1.0 - kb), 1.0 - kr - kb);
                Matrix::Weighted { r, gb: kb * b / kg, gr: kr * r / kg, b }
            }
            (8, None) => Matrix::YCgCo,
            _ => Matrix::Identity,
        }
    }

    #[inline(always)]
    fn rgb(self, y: f32, cb: f32, cr: f32) -> (f32, f32, f32) {
        match self {
            Matrix::Weighted { r, gb, gr, b } => (y + r * cr, y - gb * cb - gr * cr, y + b * cb),
            Matrix::YCgCo => {
                let t = y - cb;
                (t + cr, y + cb, t - cr)
            }
            Matrix::Identity => (cr, y, cb),
        }
    }
}
