// Shared test plumbing: a Miniflare (workerd) instance running the built worker with the
// configuration of wrangler.toml, in-memory R2 and a working Cache API.
import assert from 'node:assert/strict';
import { before, after } from 'node:test';
import { Miniflare } from 'miniflare';
import { unstable_getMiniflareWorkerOptions } from 'wrangler';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { imageSize } from 'image-size';

export const ROOT = path.resolve(import.meta.dirname, '..');
export const SAMPLES = process.env.SAMPLES_DIR ?? path.join(ROOT, 'target', 'samples');
export const CORPUS = path.resolve(ROOT, '..', 'shared', 'corpus');
/** For benchmarks and the soak, which render one original in many ways on purpose: no render budget. */
export const UNBOUNDED = { RENDER_BUDGET: '0' };
// And every miss decodes the original (no mezzanine): what the benches compare with sharp and
// Pillow, which decode the original for every size. scripts/bench/mezzanine.mjs measures the other.
export const FULL_DECODE = { ...UNBOUNDED, MEZZANINE_MIN_MP: '0' };

/**
 * Starts the worker. `vars` override wrangler.toml's [vars]; `persist` is a directory for R2
 * state, so a second instance can see the same bucket with an empty cache. `faults` injects R2
 * failures: `{ IMAGES: ['get'], VARIANTS: ['put'] }` makes those calls reject (see R2_WRAPPER).
 * `r2LatencyMs` delays every R2 call by that much, as a remote bucket would, and logs when each
 * starts and ends (`{"r2":"start"|"end","op":"get","key":…}` on `mf.logs`).
 * `buildDir` runs another build of the worker (scripts/bench/ab.mjs compares two).
 * `inspectorPort` opens workerd's V8 inspector there (scripts/soak/run.mjs reads the JS heap through it).
 * `ratelimits` binds Rate Limiting namespaces (`MISS_LIMITER`).
 * `consumers` are more Workers beside ours (their Miniflare options), e.g. one bound to our
 * `Images` entrypoint (`serviceBindings: { IMAGES: { name: 'main', entrypoint: 'Images' } }`).
 */
export async function startWorker({ vars = {}, persist, extraBuckets = [], faults, r2LatencyMs, buildDir = path.join(ROOT, 'build'), queues = {}, inspectorPort, ratelimits, consumers = [] } = {}) {
  const { workerOptions } = unstable_getMiniflareWorkerOptions(path.join(ROOT, 'wrangler.toml'));
  const buckets = [...Object.keys(workerOptions.r2Buckets), ...extraBuckets];
  const main = {
    name: 'main',
    scriptPath: path.join(buildDir, 'worker.mjs'),
    modules: true,
    modulesRoot: buildDir,
    modulesRules: [
      { type: 'ESModule', include: ['**/*.js', '**/*.mjs'] },
      { type: 'CompiledWasm', include: ['**/*.wasm'] },
      { type: 'Data', include: ['**/*.bin'] },
    ],
    compatibilityDate: workerOptions.compatibilityDate,
    bindings: { ...withoutDevVars(workerOptions.bindings), ...vars },
    r2Buckets: buckets,
    // `queues`: { queueConsumers, queueProducers } for the eager-variant consumer's tests.
    ...queues,
    // `ratelimits`: { MISS_LIMITER: { simple: { limit, period } } }, the Rate Limiting binding.
    ...(ratelimits ? { ratelimits } : {}),
  };
  // The worker's console output is kept on `mf.logs` (tests read the JSON log lines); only
  // warnings and errors reach the terminal.
  const logs = [];
  const handleStructuredLogs = ({ level, message }) => {
    logs.push({ level, message });
    if (level === 'error' || level === 'warn') process.stderr.write(`[worker ${level}] ${message}\n`);
  };
  const shared = { r2Persist: persist ?? false, cache: true, cachePersist: false, handleStructuredLogs, ...(inspectorPort ? { inspectorPort } : {}) };
  // Buckets to wrap: the faulty ones, or all of them when R2 is slowed down.
  const wrap = r2LatencyMs ? Object.fromEntries(buckets.map((b) => [b, faults?.[b] ?? []])) : faults;
  let mf;
  if (!wrap && consumers.length === 0) {
    mf = new Miniflare({ ...main, ...shared });
  } else if (!wrap) {
    mf = new Miniflare({ ...shared, workers: [main, ...consumers] });
  } else {
    // Each wrapped bucket becomes a binding around the real one, which lives in a second
    // worker; the test harness reads and writes the real buckets there.
    const binding = (name, ops) => ({ scriptName: R2_WORKER, bindings: { BUCKET: name, FAIL: ops, DELAY_MS: r2LatencyMs ?? 0 } });
    const wrapped = Object.fromEntries(Object.entries(wrap).map(([name, ops]) => [name, binding(name, ops)]));
    mf = new Miniflare({
      ...shared,
      workers: [
        { ...main, r2Buckets: buckets.filter((b) => !wrap[b]), wrappedBindings: wrapped },
        { name: R2_WORKER, modules: true, script: R2_WRAPPER, r2Buckets: buckets },
        ...consumers,
      ],
    });
    mf.r2Worker = R2_WORKER;
  }
  await mf.ready;
  mf.logs = logs;
  return mf;
}

/**
 * examples/binding/worker.mjs, a Worker written against Cloudflare's Images binding, bound to our
 * `Images` entrypoint as `IMAGES` (for `startWorker({ consumers: [bindingConsumer] })`).
 */
export const bindingConsumer = {
  name: 'consumer',
  modules: true,
  scriptPath: path.join(ROOT, 'examples', 'binding', 'worker.mjs'),
  modulesRoot: ROOT,
  modulesRules: [{ type: 'ESModule', include: ['**/*.mjs'] }],
  compatibilityDate: '2026-04-26',
  serviceBindings: { IMAGES: { name: 'main', entrypoint: 'Images' } },
};

/** A form POSTed to a Worker of ours (Miniflare's fetcher does not type a FormData body). */
export async function postForm(worker, url, form) {
  const encoded = new Response(form);
  const body = Buffer.from(await encoded.arrayBuffer());
  return worker.fetch(url, { method: 'POST', body, headers: { 'content-type': encoded.headers.get('content-type') } });
}

/**
 * wrangler.toml's bindings without what a developer's .dev.vars adds (wrangler merges it in):
 * the tests see the project's configuration and their own `vars`, never local secrets such as
 * the UPLOAD_TOKEN `npm start` writes.
 */
function withoutDevVars(bindings) {
  const file = path.join(ROOT, '.dev.vars');
  if (!existsSync(file)) return bindings;
  const local = readFileSync(file, 'utf8').split('\n').map((l) => /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=/.exec(l)?.[1]).filter(Boolean);
  return Object.fromEntries(Object.entries(bindings).filter(([name]) => !local.includes(name)));
}

const R2_WORKER = 'r2-wrapper';
/**
 * An R2 binding that rejects the listed operations with an error and passes the rest through,
 * each after DELAY_MS (logged) when that is set. `get` fails every get, `get~0.1` one in ten at
 * random; `stall:get` (or `stall:get~0.02`) never answers, as a stalled bucket.
 */
const R2_WRAPPER = `export default function (env) {
  const inner = env[env.BUCKET];
  const log = (r2, op, key) => env.DELAY_MS && console.log(JSON.stringify({ r2, op, key }));
  const rate = (token) => {
    const listed = env.FAIL.map((f) => f.split('~')).find(([name]) => name === token);
    return listed ? Number(listed[1] ?? 1) : 0;
  };
  const call = (op) => async (...args) => {
    log('start', op, args[0]);
    if (Math.random() < rate('stall:' + op)) return new Promise(() => {});
    if (env.DELAY_MS) await new Promise((resolve) => setTimeout(resolve, env.DELAY_MS));
    try {
      if (Math.random() < rate(op)) throw new Error('injected R2 ' + op + ' failure');
      return await inner[op](...args);
    } finally {
      log('end', op, args[0]);
    }
  };
  // workers-rs accepts a binding whose constructor is named R2Bucket.
  class R2Bucket {}
  return Object.assign(new R2Bucket(), { head: call('head'), get: call('get'), put: call('put'), list: call('list'), delete: call('delete') });
}`;

/** The real bucket behind `binding` (past any injected faults). */
export function bucketOf(mf, binding = 'IMAGES') {
  return mf.getR2Bucket(binding, mf.r2Worker);
}

export function tempDir() {
  const dir = mkdtempSync(path.join(tmpdir(), 'eir-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

const TYPES = { '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.png': 'image/png', '.webp': 'image/webp', '.gif': 'image/gif', '.bmp': 'image/bmp', '.avif': 'image/avif', '.svg': 'image/svg+xml' };

export function contentTypeOf(file) {
  return TYPES[path.extname(file).toLowerCase()];
}

/** Puts `bytes` (Buffer or Uint8Array) into the IMAGES bucket. */
export async function putOriginal(mf, key, bytes, contentType = contentTypeOf(key)) {
  const bucket = await bucketOf(mf);
  // The R2 proxy rejects Node Buffers: hand it an exact-size ArrayBuffer.
  const ab = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  await bucket.put(key, ab, contentType ? { httpMetadata: { contentType } } : undefined);
}

export async function seedSamples(mf) {
  // `.inputs` is scripts/fixtures/samples.sh's up-to-date stamp, not a sample.
  for (const name of readdirSync(SAMPLES).filter((n) => !n.startsWith('.'))) {
    await putOriginal(mf, name, readFileSync(path.join(SAMPLES, name)));
  }
}

/** A worker seeded with the samples, and the hash of every original it starts with. */
/**
 * For a `describe` whose tests share one worker with the samples seeded: starts it before the
 * suite, hands it to `set`, disposes it after. `let mf; seededSuite({ vars }, (w) => (mf = w));`
 */
export function seededSuite(options, set) {
  let mf;
  before(async () => {
    mf = await startWorker(options);
    await seedSamples(mf);
    set(mf);
  });
  after(() => mf?.dispose());
}

export async function openSeeded(options) {
  const mf = await startWorker(options);
  await seedSamples(mf);
  return { mf, expected: await hashOriginals(mf) };
}

/** Nothing lost: every original as it was (plus what the tests uploaded), then dispose. */
export async function closeChecked(mf, expected) {
  try {
    assert.deepEqual(await hashOriginals(mf), expected);
  } finally {
    await mf.dispose();
  }
}

export async function listKeys(mf, prefix, binding = 'IMAGES') {
  const bucket = await bucketOf(mf, binding);
  const keys = [];
  let cursor;
  do {
    const page = await listPage(bucket, { prefix, cursor });
    keys.push(...page.keys);
    cursor = page.cursor;
  } while (cursor);
  return keys;
}

/**
 * One page of keys. Miniflare's Node-side proxy reads each listed object's key with a synchronous
 * call; in a loaded CI run one of those read another call's answer (an AssertionError inside
 * Miniflare, in corpus.test.mjs's after hook, with hundreds of variants listed): then the page is
 * listed again, up to three times.
 */
async function listPage(bucket, options) {
  for (let attempt = 1; ; attempt++) {
    try {
      const page = await bucket.list(options);
      return { keys: page.objects.map((o) => o.key), cursor: page.truncated ? page.cursor : undefined };
    } catch (e) {
      if (attempt >= 3 || e.code !== 'ERR_ASSERTION') throw e;
    }
  }
}

/** sha256 of every object whose key does not start with `exceptPrefix`. */
export async function hashOriginals(mf, exceptPrefix = '_variants/') {
  const bucket = await bucketOf(mf);
  const hashes = {};
  for (const key of await listKeys(mf, '')) {
    if (key.startsWith(exceptPrefix)) continue;
    const obj = await bucket.get(key);
    hashes[key] = createHash('sha256').update(new Uint8Array(await obj.arrayBuffer())).digest('hex');
  }
  return hashes;
}

/** GET (or another method) and read the whole body. */
export async function fetchImage(mf, pathAndQuery, init) {
  const res = await mf.dispatchFetch(`http://localhost${pathAndQuery}`, init);
  const body = new Uint8Array(await res.arrayBuffer());
  let size = null;
  if (res.status === 200 && body.length) {
    try { size = imageSize(body); } catch { size = null; }
  }
  return { res, status: res.status, body, size, text: () => new TextDecoder().decode(body) };
}

/** Polls until `check` returns a truthy value: wait_until work finishes after the response. */
export async function eventually(check, { timeoutMs = 5000, intervalMs = 25 } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export function sha256(bytes) {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Every regular file under `dir`, as paths relative to it. */
export function walk(dir, rel = '') {
  return readdirSync(path.join(dir, rel)).flatMap((name) => {
    const r = path.join(rel, name);
    return statSync(path.join(dir, r)).isDirectory() ? walk(dir, r) : [r];
  });
}

/** The image flattened onto black, as 8×8 box averages (RGB, row by row), as the reference script
 *  computes them (scripts/fixtures/reference_decode.py): where things are, so a wrong turn or mirror shows. */
export async function boxed(bytes) {
  const { default: sharp } = await import('sharp');
  const { data, info } = await sharp(bytes).flatten({ background: '#000' }).raw().toBuffer({ resolveWithObject: true });
  const cells = [];
  for (let j = 0; j < 8; j++) {
    for (let i = 0; i < 8; i++) {
      const [x0, x1, y0, y1] = [Math.floor((i * info.width) / 8), Math.floor(((i + 1) * info.width) / 8), Math.floor((j * info.height) / 8), Math.floor(((j + 1) * info.height) / 8)];
      const sum = [0, 0, 0];
      for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) for (let c = 0; c < 3; c++) sum[c] += data[(y * info.width + x) * info.channels + c];
      cells.push(...sum.map((v) => v / ((x1 - x0) * (y1 - y0))));
    }
  }
  return cells;
}

/**
 * Damaged copies of a file, the same on every run (a fixed-seed generator): 40 truncations at
 * evenly spaced lengths, then 40 copies with three bytes of the first `header` set at random
 * (where a container's boxes are) and one byte anywhere inverted.
 */
export function damagedCopies(bytes, { seed, header }) {
  const random = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  const copies = [];
  for (let cut = 1; cut < bytes.length; cut += Math.max(1, Math.floor(bytes.length / 40))) copies.push(bytes.subarray(0, cut));
  for (let i = 0; i < 40; i++) {
    const copy = Buffer.from(bytes);
    for (let j = 0; j < 3; j++) copy[Math.floor(random() * Math.min(header, copy.length))] = Math.floor(random() * 256);
    copy[Math.floor(random() * copy.length)] ^= 0xff;
    copies.push(copy);
  }
  return copies;
}

export { existsSync, readFileSync, path };

/** The chunk types of a WebP file (RIFF container): e.g. ['VP8 '] lossy, ['VP8L'] lossless, ['VP8X', 'ALPH', 'VP8 '] lossy with alpha. */
export function webpChunks(bytes) {
  const ascii = (o) => String.fromCharCode(...bytes.subarray(o, o + 4));
  if (ascii(0) !== 'RIFF' || ascii(8) !== 'WEBP') throw new Error('not a WebP file');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const chunks = [];
  for (let o = 12; o + 8 <= bytes.length; ) {
    const size = view.getUint32(o + 4, true);
    chunks.push(ascii(o));
    o += 8 + size + (size % 2);
  }
  return chunks;
}
