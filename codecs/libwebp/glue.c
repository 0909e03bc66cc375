/* The worker's door into libwebp (BSD-3): a still image in one call (js/webp.mjs), or an
 * animation frame by frame (WebPAnimEncoder, js/webp_anim.mjs): begin, add each frame as RGBA,
 * end, then read the file. One image per instance: the JS makes a fresh one for each. */
#include <stdint.h>
#include <stdlib.h>
#include "src/webp/encode.h"
#include "src/webp/mux.h"

static WebPAnimEncoder *encoder;
static WebPConfig config;
static WebPData output;
static int width, height;

__attribute__((export_name("buffer"))) uint8_t *buffer(size_t len) {
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

/* Adds a frame (`rgba`, from buffer; freed here) shown from `timestamp_ms`. */
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

static WebPMemoryWriter still;

/* A still image, lossy at `quality` with libwebp's defaults (method 4: sharp's default effort):
 * `rgba` (from buffer; freed here) in, the file's size out (its bytes at still_output), or
 * -1 when libwebp refused the picture or ran out of memory. */
__attribute__((export_name("still_encode"))) int still_encode(uint8_t *rgba, int w, int h, float quality) {
    WebPConfig settings;
    WebPPicture picture;
    int ok = WebPConfigInit(&settings) && WebPPictureInit(&picture);
    settings.quality = quality;
    settings.method = 4;
    picture.width = w;
    picture.height = h;
    picture.writer = WebPMemoryWrite;
    picture.custom_ptr = &still;
    WebPMemoryWriterInit(&still);
    /* use_argb 0: straight to YUV 4:2:0, as WebPEncodeRGBA does for lossy output. */
    ok = ok && WebPValidateConfig(&settings) && WebPPictureImportRGBA(&picture, rgba, w * 4);
    free(rgba);
    ok = ok && WebPEncode(&settings, &picture);
    WebPPictureFree(&picture);
    return ok ? (int)still.size : -1;
}

__attribute__((export_name("still_output"))) const uint8_t *still_output(void) {
    return still.mem;
}
