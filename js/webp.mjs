// Lossy WebP for the Rust core: libwebp 1.5 compiled by codecs/libwebp/build.sh (its SSE2 paths
// as wasm SIMD), the module the animation encoder (js/webp_anim.mjs) uses too. It writes the same
// bytes as sharp's libwebp at the same settings. The entry module (build/worker.mjs) hands it
// over through `globalThis`. Each image gets a fresh instance, dropped once its file is read, so
// its memory (27 MB for 0.96 MP with alpha) is not held between requests.

let peak = 0;

const WASI_STUBS = { wasi_snapshot_preview1: new Proxy({}, { get: () => () => 8 }) };

function module() {
  const wasm = globalThis.__EDGE_IMAGE_RESIZER_WEBP_WASM__;
  if (!(wasm instanceof WebAssembly.Module)) throw new Error('the WebP encoder module was not loaded (build/worker.mjs)');
  return wasm;
}

/** Checks that the module is there; instances are made per image. */
export async function webp_ready() {
  module();
}

/** Encodes 8-bit RGBA at `quality`: the WebP file. */
export function webp_encode(rgba, width, height, quality) {
  const x = new WebAssembly.Instance(module(), WASI_STUBS).exports;
  const input = x.buffer(rgba.length);
  if (!input) throw new Error('the WebP encoder ran out of memory');
  new Uint8Array(x.memory.buffer, input, rgba.length).set(rgba);
  const size = x.still_encode(input, width, height, quality);
  peak = Math.max(peak, x.memory.buffer.byteLength);
  if (size < 0) throw new Error('libwebp could not encode the image');
  return new Uint8Array(x.memory.buffer, x.still_output(), size).slice();
}

/** The largest linear memory a still-image instance reached in this isolate (`x-memory`). */
export function webp_memory() {
  return peak;
}
