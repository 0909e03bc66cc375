// The worker's `Images` entrypoint (build/worker.mjs exports it, scripts/build.sh copies this file
// next to it): the RPC methods that `edge-image-resizer/binding` (js/binding.mjs) calls on the
// caller's side, each handing the images' bytes to the engine in wasm (src/edge/binding.rs).
import { WorkerEntrypoint } from 'cloudflare:workers';

export function imagesEntrypoint(engine) {
  return class Images extends WorkerEntrypoint {
    /** One image's bytes → `{format, fileSize, width, height}` (`{format}` for SVG). */
    async info(image) {
      return engine.info(bytes(image));
    }

    /** A recorded chain (JSON, docs/binding.md) and the images it names → `{contentType, bytes, note}`. */
    async transform(call, images) {
      if (typeof call !== 'string' || !Array.isArray(images)) {
        throw refusal(9432, 'transform(call, images) takes a JSON string and an array of images');
      }
      return engine.transform(this.env, call, images.map(bytes));
    }
  };
}

function bytes(image) {
  if (image instanceof Uint8Array) return image;
  if (image instanceof ArrayBuffer) return new Uint8Array(image);
  throw refusal(9432, 'images are sent as a Uint8Array or an ArrayBuffer');
}

function refusal(code, message) {
  return Object.assign(new Error(`IMAGES_TRANSFORM_ERROR ${code}: ${message}`), { code });
}
