//! From kept coefficients to pixels at the reduced scale: dequantised, each block through a
//! `side`-point inverse DCT of its top-left coefficients (the scaled IDCT of libjpeg and
//! jpeg-decoder), then chroma upsampled linearly (libjpeg's "fancy" upsampling, samples centred)
//! and YCbCr turned into RGB, one output row at a time so no full-size plane is made twice.

use super::scan::Plane;

/// How the components make a pixel.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Colour {
    Grey,
    YCbCr,
    Rgb,
}

/// What the output stage needs about a component.
pub struct Component {
    /// Output pixels per sample across and down (the largest sampling factor over its own).
    pub ratio: (usize, usize),
    /// Samples at full scale (before padding to blocks).
    pub size: (usize, usize),
}

/// A component's samples at the reduced scale: `side` samples per block on each axis.
pub fn samples(plane: &Plane, side: usize, quant: &[u16; 64]) -> Vec<u8> {
    let kk = side * side;
    // basis[x * side + u] = C(u) cos((2x + 1) u π / 2·side) / 2, C(0) = 1/√2: with it the DC alone
    // gives the block's mean (DC / 8), as the 8-point transform does.
    let basis: Vec<f32> = (0..kk)
        .map(|i| {
            let (x, u) = ((i / side) as f32, (i % side) as f32);
            let c = if u == 0.0 { std::f32::consts::FRAC_1_SQRT_2 } else { 1.0 };
            c * ((2.0 * x + 1.0) * u * std::f32::consts::PI / (2.0 * side as f32)).cos() / 2.0
        })
        .collect();
    let stride = plane.blocks_w * side;
    let mut out = vec![0u8; stride * plane.blocks_h * side];
    let (mut f, mut rows) = ([0f32; 64], [0f32; 64]);
    for by in 0..plane.blocks_h {
        for bx in 0..plane.blocks_w {
            let kept = &plane.kept[(by * plane.blocks_w + bx) * kk..][..kk];
            for v in 0..side {
                for u in 0..side {
                    f[v * side + u] = kept[v * side + u] as f32 * quant[v * 8 + u] as f32;
                }
            }
            // Rows, then columns.
            for v in 0..side {
                for x in 0..side {
                    rows[v * side + x] = (0..side).map(|u| basis[x * side + u] * f[v * side + u]).sum();
                }
            }
            for y in 0..side {
                let line = &mut out[(by * side + y) * stride + bx * side..][..side];
                for (x, px) in line.iter_mut().enumerate() {
                    let s: f32 = (0..side).map(|v| basis[y * side + v] * rows[v * side + x]).sum();
                    *px = (s + 128.5).floor().clamp(0.0, 255.0) as u8;
                }
            }
        }
    }
    out
}

/// For each output position, the two samples it lies between and the weight of the second.
fn taps(out_len: usize, ratio: usize, len: usize) -> Vec<(usize, usize, f32)> {
    (0..out_len)
        .map(|x| {
            let last = len.saturating_sub(1);
            if ratio == 1 {
                let i = x.min(last);
                return (i, i, 0.0);
            }
            let pos = (x as f32 + 0.5) / ratio as f32 - 0.5;
            if pos <= 0.0 {
                return (0, 0, 0.0);
            }
            let i = (pos.floor() as usize).min(last);
            (i, (i + 1).min(last), pos - pos.floor())
        })
        .collect()
}

/// Interleaved pixels (1 or 3 channels) of `out` size from the components' samples.
/// `planes`: each component's samples and row stride.
pub fn pixels(planes: &[(Vec<u8>, usize)], components: &[Component], side: usize, out: (usize, usize), colour: Colour) -> Vec<u8> {
    let channels = if colour == Colour::Grey { 1 } else { 3 };
    let scaled = |len: usize| (len * side).div_ceil(8).max(1);
    let columns: Vec<_> = components.iter().map(|c| taps(out.0, c.ratio.0, scaled(c.size.0))).collect();
    let lines: Vec<_> = components.iter().map(|c| taps(out.1, c.ratio.1, scaled(c.size.1))).collect();
    let mut pixels = vec![0u8; out.0 * out.1 * channels];
    let mut rows: Vec<Vec<f32>> = vec![vec![0.0; out.0]; channels];
    let mut blended = Vec::new();
    for y in 0..out.1 {
        for (c, ((samples, stride), row)) in planes.iter().zip(rows.iter_mut()).enumerate() {
            let (y0, y1, wy) = lines[c][y];
            let (a, b) = (&samples[y0 * stride..][..*stride], &samples[y1 * stride..][..*stride]);
            blended.clear();
            blended.extend(a.iter().zip(b).map(|(&a, &b)| a as f32 + (b as f32 - a as f32) * wy));
            for (v, &(x0, x1, wx)) in row.iter_mut().zip(&columns[c]) {
                *v = blended[x0] + (blended[x1] - blended[x0]) * wx;
            }
        }
        let line = &mut pixels[y * out.0 * channels..][..out.0 * channels];
        let byte = |v: f32| (v + 0.5).floor().clamp(0.0, 255.0) as u8;
        match colour {
            Colour::Grey => line.iter_mut().zip(&rows[0]).for_each(|(p, &v)| *p = byte(v)),
            Colour::Rgb => {
                for (x, px) in line.chunks_exact_mut(3).enumerate() {
                    px.copy_from_slice(&[byte(rows[0][x]), byte(rows[1][x]), byte(rows[2][x])]);
                }
            }
            Colour::YCbCr => {
                for (x, px) in line.chunks_exact_mut(3).enumerate() {
                    let (l, cb, cr) = (rows[0][x], rows[1][x] - 128.0, rows[2][x] - 128.0);
                    px.copy_from_slice(&[byte(l + 1.402 * cr), byte(l - 0.344_136 * cb - 0.714_136 * cr), byte(l + 1.772 * cb)]);
                }
            }
        }
    }
    pixels
}
