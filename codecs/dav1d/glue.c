/* The worker's door into dav1d: decode one AV1 still image (an AVIF item's OBUs) and hand its
 * planes to JavaScript. One picture at a time (JS calls decode, reads info and planes, then
 * release), a fresh decoder per image so that nothing of a damaged file outlives its call. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <dav1d/dav1d.h>

static Dav1dPicture picture;
static int holding;
/* width, height, bits per component, layout (0 grey, 1 4:2:0, 2 4:2:2, 3 4:4:4), Y/U/V
 * addresses, Y and UV strides, matrix, full range, primaries, transfer. */
static uint32_t info[13];

__attribute__((export_name("av1_buffer"))) uint8_t *av1_buffer(size_t len) {
    return malloc(len ? len : 1);
}

static void free_input(const uint8_t *buf, void *cookie) {
    (void)cookie;
    free((void *)buf);
}

static void release(void) {
    if (holding) dav1d_picture_unref(&picture);
    holding = 0;
}

__attribute__((export_name("av1_release"))) void av1_release(void) {
    release();
}

/* Decodes `len` bytes at `obu` (from av1_buffer; freed here). A frame of more than `max_pixels`
 * is refused by dav1d itself (the container's size was admitted, the bitstream may lie).
 * Returns 0, or a negative errno: -ENOMEM when memory ran out, -EINVAL/-ERANGE for a bad or
 * oversized stream, -ENOENT when the data held no picture. */
__attribute__((export_name("av1_decode"))) int av1_decode(uint8_t *obu, size_t len, uint32_t max_pixels) {
    release();
    Dav1dSettings settings;
    dav1d_default_settings(&settings);
    settings.n_threads = 1;
    settings.max_frame_delay = 1;
    settings.frame_size_limit = max_pixels;
    settings.all_layers = 0;
    Dav1dContext *ctx = NULL;
    int res = dav1d_open(&ctx, &settings);
    if (res < 0) {
        free(obu);
        return res;
    }
    Dav1dData data;
    res = dav1d_data_wrap(&data, obu, len, free_input, NULL);
    if (res < 0) {
        free(obu);
        dav1d_close(&ctx);
        return res;
    }
    memset(&picture, 0, sizeof picture);
    for (;;) {
        if (data.sz) {
            res = dav1d_send_data(ctx, &data);
            if (res < 0 && res != DAV1D_ERR(EAGAIN)) break;
        }
        res = dav1d_get_picture(ctx, &picture);
        if (res == 0) {
            holding = 1;
            break;
        }
        if (res != DAV1D_ERR(EAGAIN)) break;
        if (!data.sz) {
            res = DAV1D_ERR(ENOENT);
            break;
        }
    }
    if (data.sz) dav1d_data_unref(&data);
    dav1d_close(&ctx);
    if (!holding) return res < 0 ? res : DAV1D_ERR(ENOENT);
    const Dav1dSequenceHeader *seq = picture.seq_hdr;
    info[0] = (uint32_t)picture.p.w;
    info[1] = (uint32_t)picture.p.h;
    info[2] = (uint32_t)picture.p.bpc;
    info[3] = (uint32_t)picture.p.layout;
    info[4] = (uint32_t)(uintptr_t)picture.data[0];
    info[5] = (uint32_t)(uintptr_t)picture.data[1];
    info[6] = (uint32_t)(uintptr_t)picture.data[2];
    info[7] = (uint32_t)picture.stride[0];
    info[8] = (uint32_t)picture.stride[1];
    info[9] = (uint32_t)seq->mtrx;
    info[10] = (uint32_t)seq->color_range;
    info[11] = (uint32_t)seq->pri;
    info[12] = (uint32_t)seq->trc;
    return 0;
}

__attribute__((export_name("av1_info"))) uint32_t *av1_info(void) {
    return info;
}
