/* libwebp's SSE2 code on wasm: SIMDe (Debian's libsimde-dev, MIT) implements the `_mm_*`
 * intrinsics with wasm SIMD128, where clang's own header refuses any non-x86 target. */
#ifndef EDGE_CODECS_EMMINTRIN_H
#define EDGE_CODECS_EMMINTRIN_H
#define SIMDE_ENABLE_NATIVE_ALIASES
#include <simde/x86/sse2.h>
#include <wasm_simd128.h>

/* SIMDe 0.7.4 (Debian 12) does these lane by lane through memory, slower than libwebp's plain C
 * (an encode took 2.5× as long); each has a wasm instruction or a few giving the same bits. */
static inline __m128i edge_mm_mulhi_epi16(__m128i a, __m128i b) {
    return wasm_i16x8_shuffle(wasm_i32x4_extmul_low_i16x8(a, b), wasm_i32x4_extmul_high_i16x8(a, b),
                              1, 3, 5, 7, 9, 11, 13, 15);
}
static inline __m128i edge_mm_mulhi_epu16(__m128i a, __m128i b) {
    return wasm_i16x8_shuffle(wasm_u32x4_extmul_low_u16x8(a, b), wasm_u32x4_extmul_high_u16x8(a, b),
                              1, 3, 5, 7, 9, 11, 13, 15);
}
/* Each 64-bit half: the sum of its 8 absolute byte differences (at most 2040). */
static inline __m128i edge_mm_sad_epu8(__m128i a, __m128i b) {
    v128_t d = wasm_v128_or(wasm_u8x16_sub_sat(a, b), wasm_u8x16_sub_sat(b, a));
    v128_t s = wasm_u32x4_extadd_pairwise_u16x8(wasm_u16x8_extadd_pairwise_u8x16(d));
    return wasm_v128_and(wasm_i32x4_add(s, wasm_u64x2_shr(s, 32)), wasm_i64x2_splat(0xffffffff));
}
#undef _mm_mulhi_epi16
#define _mm_mulhi_epi16 edge_mm_mulhi_epi16
#undef _mm_mulhi_epu16
#define _mm_mulhi_epu16 edge_mm_mulhi_epu16
#undef _mm_mullo_epi16
#define _mm_mullo_epi16 wasm_i16x8_mul
/* pmaddwd and i32x4.dot_i16x8_s both wrap the one overflowing case (-32768² twice) alike. */
#undef _mm_madd_epi16
#define _mm_madd_epi16 wasm_i32x4_dot_i16x8
#undef _mm_movemask_epi8
#define _mm_movemask_epi8 wasm_i8x16_bitmask
#undef _mm_sad_epu8
#define _mm_sad_epu8 edge_mm_sad_epu8
#endif
