/* The worker's door into libde265 (HEVC, LGPL-3.0) for HEIC input: decode one still picture
 * from its NAL units and hand its planes to JavaScript. The input is the item's NAL units, each
 * behind a 4-byte big-endian length, parameter sets (from the item's hvcC) first. A fresh
 * decoder per picture (and a fresh wasm instance, in js/heif.mjs). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "libde265/de265.h"
#include "libde265/decctx.h"

static de265_decoder_context *ctx;
/* width, height, bits per component, layout (0 grey, 1 4:2:0, 2 4:2:2, 3 4:4:4), Y/U/V
 * addresses, Y and UV strides, matrix, full range, primaries, transfer (as dav1d's glue). */
static uint32_t info[13];

extern "C" {

__attribute__((export_name("hevc_buffer"))) uint8_t *hevc_buffer(size_t len) {
    return (uint8_t *)malloc(len ? len : 1);
}

__attribute__((export_name("hevc_info"))) uint32_t *hevc_info(void) {
    return info;
}

/* Errors: -1 malformed input, -2 a picture larger than `max_pixels`, -3 no picture,
 * -4 libde265 refused the stream. */
__attribute__((export_name("hevc_decode"))) int hevc_decode(uint8_t *nals, size_t len, uint32_t max_pixels) {
    if (ctx) de265_free_decoder(ctx);
    ctx = de265_new_decoder();
    int result = 0;
    size_t at = 0;
    while (at + 4 <= len) {
        uint32_t n = (uint32_t)nals[at] << 24 | (uint32_t)nals[at + 1] << 16 | (uint32_t)nals[at + 2] << 8 | nals[at + 3];
        at += 4;
        if (n > len - at) { result = -1; break; }
        de265_push_NAL(ctx, nals + at, (int)n, 0, NULL);
        at += n;
    }
    free(nals);
    if (result) return result;
    de265_flush_data(ctx);
    decoder_context *decoder = (decoder_context *)ctx;
    int more = 1;
    while (more) {
        /* Before any picture is allocated: refuse sizes the container did not admit (the
         * sequence parameter sets are parsed by the first decode steps). */
        for (int id = 0; id < DE265_MAX_SPS_SETS; id++) {
            const seq_parameter_set *sps = decoder->get_sps(id);
            if (sps && (uint64_t)sps->pic_width_in_luma_samples * sps->pic_height_in_luma_samples > max_pixels) return -2;
        }
        de265_error err = de265_decode(ctx, &more);
        if (err == DE265_ERROR_WAITING_FOR_INPUT_DATA) break;
        if (!de265_isOK(err)) return -4;
        if (de265_peek_next_picture(ctx)) break;
    }
    const de265_image *img = de265_get_next_picture(ctx);
    if (!img) return -3;
    int y_stride = 0, uv_stride = 0;
    enum de265_chroma chroma = de265_get_chroma_format(img);
    info[0] = (uint32_t)de265_get_image_width(img, 0);
    info[1] = (uint32_t)de265_get_image_height(img, 0);
    info[2] = (uint32_t)de265_get_bits_per_pixel(img, 0);
    info[3] = (uint32_t)chroma;
    info[4] = (uint32_t)(uintptr_t)de265_get_image_plane(img, 0, &y_stride);
    info[5] = chroma == de265_chroma_mono ? 0 : (uint32_t)(uintptr_t)de265_get_image_plane(img, 1, &uv_stride);
    info[6] = chroma == de265_chroma_mono ? 0 : (uint32_t)(uintptr_t)de265_get_image_plane(img, 2, &uv_stride);
    info[7] = (uint32_t)y_stride;
    info[8] = (uint32_t)uv_stride;
    info[9] = (uint32_t)de265_get_image_matrix_coefficients(img);
    info[10] = (uint32_t)de265_get_image_full_range_flag(img);
    info[11] = (uint32_t)de265_get_image_colour_primaries(img);
    info[12] = (uint32_t)de265_get_image_transfer_characteristics(img);
    return 0;
}

}
