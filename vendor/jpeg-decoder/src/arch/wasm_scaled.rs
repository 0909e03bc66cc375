// Vendored addition (edge image resizer, issue #36): SIMD128 versions of the 4×4 IDCT (the 1/2
// scale) and of the h2v2 / h2v1 fancy upsamplers, which upstream runs scalar in wasm. Each gives
// exactly the scalar code's bytes (same integer arithmetic, wrapping as `Wrapping<i32>` does), and
// none uses a narrowing instruction: bytes are picked from wider lanes with shuffles instead,
// because Rust 1.95 miscompiles some wasm narrowing ops (rust-lang/rust#157456).

#[cfg(target_arch = "wasm32")]
use std::arch::wasm32::*;

#[cfg(target_arch = "wasm32")]
fn f2f(x: f32) -> i32 {
    (x * 4096.0 + 0.5) as i32
}

/// `idct::dequantize_and_idct_block_4x4`: the columns pass on four columns at once, a 4×4
/// transpose, the rows pass on four rows at once, and the 16 bytes gathered by shuffles.
#[cfg(target_arch = "wasm32")]
#[target_feature(enable = "simd128")]
pub fn dequantize_and_idct_block_4x4(
    coefficients: &[i16; 64],
    quantization_table: &[u16; 64],
    output_linestride: usize,
    output: &mut [u8],
) {
    // The last byte written is at 3 * stride + 3.
    assert!(output.len() >= output_linestride.checked_mul(3).unwrap().checked_add(4).unwrap());
    // SAFETY: rows 0..4 of both 8×8 tables, four 16-bit values each, are in bounds.
    let load = |k: usize| unsafe {
        let c = v128_load64_zero(coefficients.as_ptr().add(8 * k) as *const u64);
        let q = v128_load64_zero(quantization_table.as_ptr().add(8 * k) as *const u64);
        i32x4_mul(i32x4_extend_low_i16x8(c), u32x4_extend_low_u16x8(q))
    };
    let (c1, c2, c3) = (i32x4_splat(f2f(0.541196100)), i32x4_splat(f2f(-1.847759065)), i32x4_splat(f2f(0.765366865)));

    // Columns: lane i is column i; constants as in the scalar code (CONST_BITS 12, PASS1_BITS 2).
    let (s0, s1, s2, s3) = (load(0), load(1), load(2), load(3));
    let x0 = i32x4_shl(i32x4_add(s0, s2), 2);
    let x2 = i32x4_shl(i32x4_sub(s0, s2), 2);
    let p1 = i32x4_mul(i32x4_add(s1, s3), c1);
    let round = i32x4_splat(512);
    let t0 = i32x4_shr(i32x4_add(i32x4_add(p1, i32x4_mul(s3, c2)), round), 10);
    let t2 = i32x4_shr(i32x4_add(i32x4_add(p1, i32x4_mul(s1, c3)), round), 10);
    let r0 = i32x4_add(x0, t2);
    let r3 = i32x4_sub(x0, t2);
    let r1 = i32x4_add(x2, t0);
    let r2 = i32x4_sub(x2, t0);

    // Transpose, so that lane i is row i of the intermediate block.
    let a = i32x4_shuffle::<0, 4, 1, 5>(r0, r1);
    let b = i32x4_shuffle::<0, 4, 1, 5>(r2, r3);
    let c = i32x4_shuffle::<2, 6, 3, 7>(r0, r1);
    let d = i32x4_shuffle::<2, 6, 3, 7>(r2, r3);
    let s0 = i32x4_shuffle::<0, 1, 4, 5>(a, b);
    let s1 = i32x4_shuffle::<2, 3, 6, 7>(a, b);
    let s2 = i32x4_shuffle::<0, 1, 4, 5>(c, d);
    let s3 = i32x4_shuffle::<2, 3, 6, 7>(c, d);

    // Rows (FINAL_BITS 17): the rounding and the +128 folded into x0 and x2.
    let bias = i32x4_splat((1 << 16) + (128 << 17));
    let x0 = i32x4_add(i32x4_shl(i32x4_add(s0, s2), 12), bias);
    let x2 = i32x4_add(i32x4_shl(i32x4_sub(s0, s2), 12), bias);
    let p1 = i32x4_mul(i32x4_add(s1, s3), c1);
    let t0 = i32x4_add(p1, i32x4_mul(s3, c2));
    let t2 = i32x4_add(p1, i32x4_mul(s1, c3));
    let clamp = |v: v128| i32x4_min(i32x4_max(i32x4_shr(v, 17), i32x4_splat(0)), i32x4_splat(255));
    // o_k holds output column k, lane i for row i.
    let (o0, o3) = (clamp(i32x4_add(x0, t2)), clamp(i32x4_sub(x0, t2)));
    let (o1, o2) = (clamp(i32x4_add(x2, t0)), clamp(i32x4_sub(x2, t0)));

    // The low byte of each lane (0..=255 after the clamp), gathered row by row.
    let o01 = i8x16_shuffle::<0, 16, 4, 20, 8, 24, 12, 28, 0, 0, 0, 0, 0, 0, 0, 0>(o0, o1);
    let o23 = i8x16_shuffle::<0, 16, 4, 20, 8, 24, 12, 28, 0, 0, 0, 0, 0, 0, 0, 0>(o2, o3);
    let rows = i8x16_shuffle::<0, 1, 16, 17, 2, 3, 18, 19, 4, 5, 20, 21, 6, 7, 22, 23>(o01, o23);
    // SAFETY: the assert above covers the four 4-byte rows.
    unsafe {
        let out = output.as_mut_ptr();
        v128_store32_lane::<0>(rows, out as *mut u32);
        v128_store32_lane::<1>(rows, out.add(output_linestride) as *mut u32);
        v128_store32_lane::<2>(rows, out.add(2 * output_linestride) as *mut u32);
        v128_store32_lane::<3>(rows, out.add(3 * output_linestride) as *mut u32);
    }
}

/// Eight bytes from `p` widened to u16 lanes.
#[cfg(target_arch = "wasm32")]
#[target_feature(enable = "simd128")]
unsafe fn load8(p: *const u8) -> v128 {
    u16x8_extend_low_u8x16(v128_load64_zero(p as *const u64))
}

/// The low bytes of `a` and `b`'s u16 lanes, interleaved: a0 b0 a1 b1 … a7 b7.
#[cfg(target_arch = "wasm32")]
#[target_feature(enable = "simd128")]
fn interleave_low_bytes(a: v128, b: v128) -> v128 {
    i8x16_shuffle::<0, 16, 2, 18, 4, 20, 6, 22, 8, 24, 10, 26, 12, 28, 14, 30>(a, b)
}

/// `UpsamplerH2V2::upsample_row` for `width` ≥ 2 samples: eight input samples a step.
#[cfg(target_arch = "wasm32")]
#[target_feature(enable = "simd128")]
pub fn upsample_h2v2_row(near: &[u8], far: &[u8], width: usize, output: &mut [u8]) {
    assert!(width >= 2 && near.len() >= width && far.len() >= width && output.len() >= 2 * width);
    let t = |i: usize| 3 * near[i] as u32 + far[i] as u32;
    output[0] = ((t(0) + 2) >> 2) as u8;
    let (three, eight) = (u16x8_splat(3), u16x8_splat(8));
    let mut i = 1;
    while i + 8 <= width {
        // SAFETY: reads [i - 1, i + 8) of rows of at least `width` bytes; writes [2i - 1, 2i + 15)
        // of an output of at least 2 * width bytes.
        unsafe {
            let tp = u16x8_add(u16x8_mul(load8(near.as_ptr().add(i - 1)), three), load8(far.as_ptr().add(i - 1)));
            let tc = u16x8_add(u16x8_mul(load8(near.as_ptr().add(i)), three), load8(far.as_ptr().add(i)));
            let odd = u16x8_shr(u16x8_add(u16x8_add(u16x8_mul(tp, three), tc), eight), 4);
            let even = u16x8_shr(u16x8_add(u16x8_add(u16x8_mul(tc, three), tp), eight), 4);
            v128_store(output.as_mut_ptr().add(2 * i - 1) as *mut v128, interleave_low_bytes(odd, even));
        }
        i += 8;
    }
    while i < width {
        let (t0, t1) = (t(i - 1), t(i));
        output[i * 2 - 1] = ((3 * t0 + t1 + 8) >> 4) as u8;
        output[i * 2] = ((3 * t1 + t0 + 8) >> 4) as u8;
        i += 1;
    }
    output[width * 2 - 1] = ((t(width - 1) + 2) >> 2) as u8;
}

/// `UpsamplerH2V1::upsample_row` for `width` ≥ 2 samples: eight input samples a step.
#[cfg(target_arch = "wasm32")]
#[target_feature(enable = "simd128")]
pub fn upsample_h2v1_row(input: &[u8], width: usize, output: &mut [u8]) {
    assert!(width >= 2 && input.len() >= width && output.len() >= 2 * width);
    output[0] = input[0];
    output[1] = ((input[0] as u32 * 3 + input[1] as u32 + 2) >> 2) as u8;
    let (three, two) = (u16x8_splat(3), u16x8_splat(2));
    let mut i = 1;
    while i + 9 <= width {
        // SAFETY: reads [i - 1, i + 9) of a row of at least `width` bytes; writes [2i, 2i + 16).
        unsafe {
            let sample = u16x8_add(u16x8_mul(load8(input.as_ptr().add(i)), three), two);
            let left = u16x8_shr(u16x8_add(sample, load8(input.as_ptr().add(i - 1))), 2);
            let right = u16x8_shr(u16x8_add(sample, load8(input.as_ptr().add(i + 1))), 2);
            v128_store(output.as_mut_ptr().add(2 * i) as *mut v128, interleave_low_bytes(left, right));
        }
        i += 8;
    }
    while i < width - 1 {
        let sample = 3 * input[i] as u32 + 2;
        output[i * 2] = ((sample + input[i - 1] as u32) >> 2) as u8;
        output[i * 2 + 1] = ((sample + input[i + 1] as u32) >> 2) as u8;
        i += 1;
    }
    output[(width - 1) * 2] = ((input[width - 1] as u32 * 3 + input[width - 2] as u32 + 2) >> 2) as u8;
    output[(width - 1) * 2 + 1] = input[width - 1];
}
