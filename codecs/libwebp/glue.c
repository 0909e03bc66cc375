/* The worker's door into libwebp's animation encoder (WebPAnimEncoder, BSD-3): animated WebP
 * output, frame by frame. One animation per instance (js/webp_anim.mjs makes a fresh one for
 * each): begin, add each frame as RGBA, end, then read the file. */
#include <stdint.h>
#include <stdlib.h>
#include "src/webp/encode.h"
#include "src/webp/mux.h"

static WebPAnimEncoder *encoder;
static WebPConfig config;
static WebPData output;
static int width, height;

__attribute__((export_name("anim_buffer"))) uint8_t *anim_buffer(size_t len) {
    return malloc(len ? len : 1);
}

/* 0, or -1 when libwebp refused the settings or ran out of memory. */
__attribute__((export_name("anim_begin"))) int anim_begin(int w, int h, int loop_count, float quality) {
    WebPAnimEncoderOptions options;
    if (!WebPAnimEncoderOptionsInit(&options) || !WebPConfigInit(&config)) return -1;
    options.anim_params.loop_count = loop_count;
    /* Lossy frames, as a still WebP here; a keyframe at most every 9 frames (libwebp's
     * defaults bound the work of seeking back). */
    config.quality = quality;
    config.method = 4;
    if (!WebPValidateConfig(&config)) return -1;
    width = w;
    height = h;
    encoder = WebPAnimEncoderNew(w, h, &options);
    return encoder ? 0 : -1;
}

/* Adds a frame (`rgba`, from anim_buffer; freed here) shown from `timestamp_ms`. */
__attribute__((export_name("anim_add"))) int anim_add(uint8_t *rgba, int timestamp_ms) {
    WebPPicture picture;
    int ok = WebPPictureInit(&picture);
    picture.width = width;
    picture.height = height;
    picture.use_argb = 1;
    ok = ok && WebPPictureImportRGBA(&picture, rgba, width * 4);
    free(rgba);
    ok = ok && WebPAnimEncoderAdd(encoder, &picture, timestamp_ms, &config);
    WebPPictureFree(&picture);
    return ok ? 0 : -1;
}

/* Ends the animation at `timestamp_ms` (the last frame's end) and assembles the file: its size,
 * or -1. */
__attribute__((export_name("anim_end"))) int anim_end(int timestamp_ms) {
    WebPDataInit(&output);
    if (!WebPAnimEncoderAdd(encoder, NULL, timestamp_ms, NULL) || !WebPAnimEncoderAssemble(encoder, &output)) return -1;
    return (int)output.size;
}

__attribute__((export_name("anim_output"))) const uint8_t *anim_output(void) {
    return output.bytes;
}
