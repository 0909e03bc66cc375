// AV1 decoding for AVIF input: dav1d (VideoLAN, BSD-2), compiled by codecs/dav1d/build.sh to a
// wasm module of its own with no imports. The entry module (build/worker.mjs) loads it as a
// compiled module and hands it over through `globalThis`, as for libwebp.
//
// Each picture gets a fresh instance: its linear memory (which never shrinks) goes with it once
// the planes are copied out, so an AVIF's decode leaves nothing behind in the isolate.

/** Decodes one AV1 still image. Returns [info, y, u, v]: info is dav1d's numbers (width, height,
 *  bits, layout, plane addresses, strides, matrix, full range, primaries, transfer), the planes are
 *  views of the instance's memory; or [errno] (negative) when dav1d refused the stream. */
let peak = 0;

/** The largest linear memory a decoder instance reached in this isolate (`x-memory`'s av1=). */
export function av1_memory() {
  return peak;
}

export function av1_decode(obus, maxPixels) {
  const module = globalThis.__EDGE_IMAGE_RESIZER_DAV1D_WASM__;
  if (!(module instanceof WebAssembly.Module)) throw new Error('the AV1 decoder module was not loaded (build/worker.mjs)');
  const x = new WebAssembly.Instance(module, {}).exports;
  const input = x.av1_buffer(obus.length);
  if (!input) return [-48];
  new Uint8Array(x.memory.buffer, input, obus.length).set(obus);
  const res = x.av1_decode(input, obus.length, maxPixels);
  peak = Math.max(peak, x.memory.buffer.byteLength);
  if (res < 0) return [res];
  const info = new Uint32Array(x.memory.buffer, x.av1_info(), 13).slice();
  const [width, height, bits, layout, y, u, v, yStride, uvStride] = info;
  const chromaRows = layout === 0 ? 0 : layout === 1 ? (height + 1) >> 1 : height;
  const bytes = bits > 8 ? 2 : 1;
  const luma = new Uint8Array(x.memory.buffer, y, (height - 1) * yStride + width * bytes);
  const chromaWidth = layout === 3 ? width : (width + 1) >> 1;
  const chromaLen = chromaRows ? (chromaRows - 1) * uvStride + chromaWidth * bytes : 0;
  return [info, luma, new Uint8Array(x.memory.buffer, u, chromaLen), new Uint8Array(x.memory.buffer, v, chromaLen)];
}
