// `edge-image-resizer/binding`: Cloudflare's Images binding (`ImagesBinding` of
// @cloudflare/workers-types) over a service binding to this project's worker (`entrypoint =
// "Images"`). As Cloudflare's own wrapper, it records `input().transform().draw()` on the caller's
// side, synchronously, and makes one call on `output()` (or `info()`): RPC calls are always
// asynchronous, so `contentType()`, `image()` and `response()` could not be synchronous otherwise.
//
//   import { images } from 'edge-image-resizer/binding';
//   const IMAGES = images(env.RESIZER);       // wrangler.toml: services = [{ binding = "RESIZER",
//                                             //   service = "edge-image-resizer", entrypoint = "Images" }]
//   const result = await IMAGES.input(stream).transform({ width: 300 }).output({ format: 'image/webp' });
//   return result.response();
//
// docs/binding.md lists what matches Cloudflare's binding and what differs. Type-checked against
// @cloudflare/workers-types (`js/tsconfig.json`, tests/binding_types.test.mjs).
// @ts-check

const CONSUMED = 9525;

/** An error as Cloudflare's binding throws it: `code` is its Images error code. */
export class ImagesError extends Error {
  constructor(code, message) {
    super(message);
    this.name = 'ImagesError';
    this.code = code;
  }
}

/**
 * @param {{ info: Function, transform: Function }} service the service binding (or `ctx.exports.Images`)
 * @returns {ImagesBinding}
 */
export function images(service) {
  return new ImagesBindingOverService(service);
}

/**
 * A Worker's `export default` with `env[name]` (a service binding to our `Images` entrypoint)
 * replaced by `images(env[name])`, so code written for Cloudflare's binding runs unchanged.
 */
export function withImages(handler, name = 'IMAGES') {
  const wrapped = {};
  for (const [method, fn] of Object.entries(handler)) {
    wrapped[method] = typeof fn === 'function' ? (first, env, ctx) => fn.call(handler, first, withBinding(env, name), ctx) : fn;
  }
  return wrapped;
}

function withBinding(env, name) {
  const service = env?.[name];
  if (!service || service instanceof ImagesBindingOverService) return env;
  return { ...env, [name]: images(service) };
}

/** @implements {ImagesBinding} */
class ImagesBindingOverService {
  #service;

  constructor(service) {
    this.#service = service;
  }

  /** `{format, fileSize, width, height}`, or `{format}` for SVG. */
  async info(stream, options) {
    const image = await bytes(stream, options);
    try {
      return await this.#service.info(image);
    } catch (e) {
      throw asImagesError(e, 'INFO');
    }
  }

  input(stream, options) {
    return new Transformer(this.#service, { stream, options });
  }

  /**
   * A line of text as an image: `{font: {url} | {family}, size (points), color}`. A font `url` is
   * fetched here, by the caller, and sent with the call; a `family` is one the worker has.
   */
  text(content, options) {
    return new Transformer(this.#service, { text: { content: String(content), ...(options ?? {}) } });
  }

  /**
   * Cloudflare's stored images (`hosted`) are not a transformation: not offered here.
   * @returns {HostedImagesBinding}
   */
  get hosted() {
    throw new ImagesError(9432, 'IMAGES_TRANSFORM_ERROR 9432: hosted images are Cloudflare Images storage, which this engine does not offer');
  }
}

/** @implements {ImageTransformer} */
class Transformer {
  #service;
  #source;
  #steps = [];
  #consumed = false;

  constructor(service, source) {
    this.#service = service;
    this.#source = source;
  }

  /** Applied in call order, each on the previous one's result. */
  transform(transform) {
    this.#steps.push({ transform: transform ?? {} });
    return this;
  }

  /** Another image (a stream, or a transformer: consumed) drawn on this one's result. */
  draw(image, options) {
    let child;
    if (image instanceof Transformer) {
      if (image.#consumed) throw consumed();
      image.#consumed = true;
      child = image;
    } else {
      child = new Transformer(this.#service, { stream: image });
    }
    this.#steps.push({ draw: child, options: options ?? {} });
    return this;
  }

  async output(options) {
    if (this.#consumed) throw consumed();
    this.#consumed = true;
    const images = [];
    const job = await this.#recorded(images);
    let answer;
    try {
      answer = await this.#service.transform(JSON.stringify({ job, output: options ?? {} }), images);
    } catch (e) {
      throw asImagesError(e, 'TRANSFORM');
    }
    return new TransformationResult(answer.contentType, answer.bytes);
  }

  /** The chain as the engine reads it (src/binding), its images pushed onto `images`. */
  async #recorded(images) {
    const steps = [];
    for (const step of this.#steps) {
      if (step.transform) steps.push({ transform: step.transform });
      else steps.push({ draw: { image: await step.draw.#recorded(images), options: step.options } });
    }
    const text = this.#source.text;
    if (!text) {
      images.push(await bytes(this.#source.stream, this.#source.options));
      return { source: images.length - 1, steps };
    }
    const { font, ...rest } = text;
    /** @type {{ family: string } | { source: number } | undefined} */
    let sent = font?.family ? { family: String(font.family) } : undefined;
    if (font?.url) {
      const response = await fetch(font.url);
      if (!response.ok) throw new ImagesError(9432, `IMAGES_TRANSFORM_ERROR 9432: the text's font ${font.url} answered ${response.status}`);
      images.push(new Uint8Array(await response.arrayBuffer()));
      sent = { source: images.length - 1 };
    }
    return { text: { ...rest, ...(sent ? { font: sent } : {}) }, steps };
  }
}

/** @implements {ImageTransformationResult} */
class TransformationResult {
  #contentType;
  #bytes;

  constructor(contentType, bytes) {
    this.#contentType = contentType;
    this.#bytes = bytes;
  }

  contentType() {
    return this.#contentType;
  }

  /** A byte stream of the result (base64 text with `{encoding: 'base64'}`). */
  image(options) {
    const body = options?.encoding === 'base64' ? new TextEncoder().encode(base64(this.#bytes)) : this.#bytes;
    return new Response(body).body;
  }

  /** The result as a response; its `content-type` is the image's, whatever `headers` say. */
  response(options) {
    const headers = new Headers(options?.headers);
    headers.set('content-type', this.#contentType);
    return new Response(this.image(), { headers });
  }
}

async function bytes(input, options) {
  let data;
  if (input instanceof Uint8Array) data = input;
  else if (input instanceof ArrayBuffer) data = new Uint8Array(input);
  else if (input && typeof input.getReader === 'function') data = new Uint8Array(await new Response(input).arrayBuffer());
  else throw new ImagesError(9432, 'IMAGES_TRANSFORM_ERROR 9432: an image is a ReadableStream of its bytes');
  if (options?.encoding === 'base64') data = fromBase64(new TextDecoder().decode(data));
  return data;
}

function consumed() {
  return new ImagesError(CONSUMED, `IMAGES_TRANSFORM_ERROR ${CONSUMED}: ImageTransformer consumed; you may only call .output() or draw a transformer once`);
}

/** The engine's error (its code in `code` when RPC kept it, always in the message) as an ImagesError. */
function asImagesError(e, op) {
  const message = String(e?.message ?? e);
  const code = Number(e?.code) || Number(/IMAGES_\w+_ERROR (\d+)/.exec(message)?.[1]) || 9523;
  return new ImagesError(code, message.startsWith('IMAGES_') ? message : `IMAGES_${op}_ERROR ${code}: ${message}`);
}

function base64(bytes) {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

function fromBase64(text) {
  const binary = atob(text.trim());
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}
