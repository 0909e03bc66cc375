// Animated WebP output: libwebp's animation encoder (WebPAnimEncoder, BSD-3), in the module
// js/webp.mjs encodes still images with. Each animation gets a fresh instance, dropped when its
// file is read: its memory goes with it.

let current = null;
let peak = 0;

const WASI_STUBS = { wasi_snapshot_preview1: new Proxy({}, { get: () => () => 8 }) };

/** Starts an animation of `width`×`height` (loops: 0 forever) at WebP `quality`. */
export function webp_anim_begin(width, height, loops, quality) {
  const module = globalThis.__EDGE_IMAGE_RESIZER_WEBP_WASM__;
  if (!(module instanceof WebAssembly.Module)) throw new Error('the WebP encoder module was not loaded (build/worker.mjs)');
  current = new WebAssembly.Instance(module, WASI_STUBS).exports;
  if (current.anim_begin(width, height, loops, quality) !== 0) throw new Error('libwebp refused the animation settings');
}

/** Adds one frame of RGBA pixels (the animation's size), shown from `startMs`. */
export function webp_anim_add(rgba, startMs) {
  const input = current.buffer(rgba.length);
  if (!input) throw new Error('the WebP animation encoder ran out of memory');
  new Uint8Array(current.memory.buffer, input, rgba.length).set(rgba);
  if (current.anim_add(input, startMs) !== 0) throw new Error('libwebp could not encode a frame');
}

/** Ends the animation at `endMs`; the WebP file. */
export function webp_anim_end(endMs) {
  const x = current;
  current = null;
  const size = x.anim_end(endMs);
  peak = Math.max(peak, x.memory.buffer.byteLength);
  if (size < 0) throw new Error('libwebp could not assemble the animation');
  return new Uint8Array(x.memory.buffer, x.anim_output(), size).slice();
}

/** The largest linear memory an animation instance reached in this isolate (`x-memory`). */
export function webp_anim_memory() {
  return peak;
}
