// Lossy WebP for the Rust core: libwebp compiled to wasm by Google's Squoosh project, published
// as @jsquash/webp (Apache-2.0). It writes the same bytes as sharp's libwebp at the same settings.
// The .wasm is loaded by the entry module (build/worker.mjs) as a compiled module and handed over
// through `globalThis`, because the bundler that builds index.js cannot import a second .wasm.
import webpEncoderFactory from '@jsquash/webp/codec/enc/webp_enc_simd.js';
import { defaultOptions } from '@jsquash/webp/meta.js';

let codec = null;

/** Instantiates the encoder once per isolate. */
export async function webp_ready() {
  if (codec) return;
  const wasm = globalThis.__EDGE_IMAGE_RESIZER_WEBP_WASM__;
  if (!(wasm instanceof WebAssembly.Module)) throw new Error('the WebP encoder module was not loaded (build/worker.mjs)');
  codec = await webpEncoderFactory({
    noInitialRun: true,
    instantiateWasm(imports, done) {
      const instance = new WebAssembly.Instance(wasm, imports);
      done(instance);
      return instance.exports;
    },
  });
}

/** Encodes 8-bit RGBA; synchronous once `webp_ready` has resolved. */
export function webp_encode(rgba, width, height, quality) {
  if (!codec) throw new Error('webp_ready() was not awaited');
  // Copy out of the Rust wasm memory view before the encoder allocates anything.
  const pixels = new Uint8ClampedArray(rgba);
  const result = codec.encode(pixels, width, height, { ...defaultOptions, quality });
  if (!result) throw new Error('libwebp could not encode the image');
  return new Uint8Array(result);
}

/** Bytes of linear memory the encoder holds (0 before first use): counts against the isolate. */
export function webp_memory() {
  return codec ? codec.HEAP8.length : 0;
}
