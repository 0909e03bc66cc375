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

/// A component's samples at the reduced scale: `side` (1, 2, 4 or 8) samples per block on each axis.
pub fn samples(plane: &Plane, side: usize, quant: &[u16; 64]) -> Vec<u8> {
    match side {
        1 => samples_at::<1>(plane, quant),
        2 => samples_at::<2>(plane, quant),
        4 => samples_at::<4>(plane, quant),
        _ => samples_at::<8>(plane, quant),
    }
}

/// Fixed-size loops, so each block's transform unrolls (measured: the iterator version made the
/// output stage as slow as the whole entropy decoding at 1/2 scale).
fn samples_at<const N: usize>(plane: &Plane, quant: &[u16; 64]) -> Vec<u8> {
    // basis[x][u] = C(u) cos((2x + 1) u π / 2N) / 2, C(0) = 1/√2: with it the DC alone gives the
    // block's mean (DC / 8), as the 8-point transform does.
    let mut basis = [[0f32; N]; N];
    for (x, row) in basis.iter_mut().enumerate() {
        for (u, b) in row.iter_mut().enumerate() {
            let c = if u == 0 { std::f32::consts::FRAC_1_SQRT_2 } else { 1.0 };
            *b = c * ((2 * x + 1) as f32 * u as f32 * std::f32::consts::PI / (2 * N) as f32).cos() / 2.0;
        }
    }
    let stride = plane.blocks_w * N;
    let mut out = vec![0u8; stride * plane.blocks_h * N];
    for (b, kept) in plane.kept.chunks_exact(N * N).enumerate() {
        let (bx, by) = (b % plane.blocks_w, b / plane.blocks_w);
        // Rows first (rows[v][x] = Σu basis[x][u] F(v, u)), then columns.
        let mut rows = [[0f32; N]; N];
        for v in 0..N {
            let f: [f32; N] = std::array::from_fn(|u| kept[v * N + u] as f32 * quant[v * 8 + u] as f32);
            for x in 0..N {
                rows[v][x] = (0..N).fold(0.0, |s, u| s + basis[x][u] * f[u]);
            }
        }
        for y in 0..N {
            let line = &mut out[(by * N + y) * stride + bx * N..][..N];
            for (x, px) in line.iter_mut().enumerate() {
                let s = (0..N).fold(128.5, |s, v| s + basis[y][v] * rows[v][x]);
                *px = s.floor().clamp(0.0, 255.0) as u8;
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
