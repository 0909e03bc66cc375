// Picture decoding for HEIF input, each codec a wasm module of its own compiled from C/C++ by
// codecs/*/build.sh: dav1d (VideoLAN, BSD-2) for AVIF's AV1, libde265 (struktur AG, LGPL-3.0)
// for HEIC's HEVC. The entry module (build/worker.mjs) loads them as compiled modules and hands
// them over through `globalThis`, as for libwebp.
//
// Each picture gets a fresh instance: its linear memory (which never shrinks) goes with it once
// the planes are read, so a picture leaves nothing behind in the isolate, and a trap inside a
// decoder ends only that instance.

const MODULES = {
  dav1d: { global: '__EDGE_IMAGE_RESIZER_DAV1D_WASM__', prefix: 'av1' },
  libde265: { global: '__EDGE_IMAGE_RESIZER_DE265_WASM__', prefix: 'hevc' },
};
const peaks = { dav1d: 0, libde265: 0 };

// libde265's stdio (never used for decoding: its logging is off) needs these WASI calls; every
// one answers "bad file descriptor".
const WASI_STUBS = { wasi_snapshot_preview1: new Proxy({}, { get: () => () => 8 }) };

/** The largest linear memory an instance of `name` reached in this isolate (`x-memory`). */
export function heif_memory(name) {
  return peaks[name];
}

/** Decodes one still picture with `name`'s module. Returns [info, y, u, v]: info is the glue's
 *  numbers (width, height, bits, layout, plane addresses, strides, matrix, full range,
 *  primaries, transfer), the planes views of the instance's memory; or [code] (negative) when
 *  the decoder refused the data. */
export function heif_decode(name, data, maxPixels) {
  const { global, prefix } = MODULES[name];
  const module = globalThis[global];
  if (!(module instanceof WebAssembly.Module)) throw new Error(`the ${name} module was not loaded (build/worker.mjs)`);
  const x = new WebAssembly.Instance(module, WASI_STUBS).exports;
  const input = x[`${prefix}_buffer`](data.length);
  if (!input) return [-48];
  new Uint8Array(x.memory.buffer, input, data.length).set(data);
  const res = x[`${prefix}_decode`](input, data.length, maxPixels);
  peaks[name] = Math.max(peaks[name], x.memory.buffer.byteLength);
  if (res < 0) return [res];
  const info = new Uint32Array(x.memory.buffer, x[`${prefix}_info`](), 13).slice();
  const [width, height, bits, layout, y, u, v, yStride, uvStride] = info;
  const bytes = bits > 8 ? 2 : 1;
  const luma = new Uint8Array(x.memory.buffer, y, (height - 1) * yStride + width * bytes);
  const chromaRows = layout === 0 ? 0 : layout === 1 ? (height + 1) >> 1 : height;
  const chromaWidth = layout === 3 ? width : (width + 1) >> 1;
  const chromaLen = chromaRows ? (chromaRows - 1) * uvStride + chromaWidth * bytes : 0;
  return [info, luma, new Uint8Array(x.memory.buffer, u, chromaLen), new Uint8Array(x.memory.buffer, v, chromaLen)];
}
