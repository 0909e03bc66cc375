#!/usr/bin/env node
// `npm run bench`: our release worker in workerd (Miniflare) against sharp (libvips, native) and
// Pillow, on the same inputs, in the same run, on this machine. Prints a table and writes
// BENCHMARKS.md. Run through scripts/bench.sh, which builds the worker and the samples first.
//
// Ours: end-to-end latency of a cache miss (a unique canonical transform per request: the width
// steps by one pixel), a cache hit and a passthrough of the original; plus the in-worker pipeline
// time (decode + resize + encode, from Server-Timing) and the wasm memory high-water mark of a
// fresh instance (DEBUG_HEADERS). Peers: decode + resize + encode only, one thread, no cache.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startWorker, putOriginal, fetchImage, CORPUS, SAMPLES, ROOT } from '../tests/helpers.mjs';
import { benchDistantHits } from './bench_hits.mjs';
import { benchEffects } from './bench_effects.mjs';
import { benchCurve } from './bench_curve.mjs';
import { benchLoad } from './bench_load.mjs';
import { benchHeif } from './bench_heif.mjs';
import { benchAnimations } from './bench_anim.mjs';
import { ssim } from './ssim.mjs';
import { benchChart } from './chart.mjs';

const WARMUP = 2;
const RUNS = 15;
const QUALITY = 80;

// A progressive JPEG as photo editors and libjpeg write them (successive approximation: DC and AC
// refinement scans), made from the 24 MP sample by sharp; jpeg-encoder's own progressive files use
// spectral selection only, which is the easier case for a decoder.
const LIBJPEG_PROGRESSIVE = path.join(ROOT, 'target', 'bench-progressive-libjpeg.jpg');
{
  const { default: sharp } = await import('sharp');
  writeFileSync(LIBJPEG_PROGRESSIVE, await sharp(readFileSync(path.join(SAMPLES, 'big.jpg'))).jpeg({ progressive: true, quality: 90 }).toBuffer());
}

const inputs = [
  existsSync(CORPUS)
    ? { name: 'photo 2725×2225 (corpus)', file: path.join(CORPUS, 'photos/2569067123_aca715a2ee_o.jpg') }
    : { name: 'photo 4000×3000 (generated)', file: path.join(SAMPLES, 'photo.jpg') },
  existsSync(CORPUS) ? { name: 'gain-map 3840×2160 (corpus)', file: path.join(CORPUS, 'photos/gain-map.jpg') } : null,
  { name: '24 MP baseline (generated)', file: path.join(SAMPLES, 'big.jpg') },
  { name: '24 MP progressive (libjpeg, from the generated one)', file: LIBJPEG_PROGRESSIVE },
  { name: 'alpha PNG 1200×800 (generated)', file: path.join(SAMPLES, 'alpha.png') },
].filter(Boolean);
const outputs = [
  { width: 400, format: 'jpeg', quality: QUALITY },
  { width: 400, format: 'webp', quality: QUALITY },
  { width: 400, format: 'avif', quality: 50 },
  { width: 1200, format: 'jpeg', quality: QUALITY },
  { width: 1200, format: 'webp', quality: QUALITY },
];
const cases = inputs.flatMap((input) => outputs.map((o) => ({ ...input, ...o })));

const stats = (times) => {
  const s = [...times].sort((a, b) => a - b);
  return { median: s[Math.floor(s.length / 2)], p90: s[Math.ceil(s.length * 0.9) - 1] };
};

/**
 * Times `ours` and `peer` (when given) request by request, alternating, so the drift of a shared
 * machine falls on both sides of a ratio alike.
 */
async function timeAlternating(ours, peer) {
  for (let i = 0; i < WARMUP; i++) {
    await ours(i);
    if (peer) await peer();
  }
  const [a, b] = [[], []];
  let [lastOurs, lastPeer] = [undefined, undefined];
  for (let i = 0; i < RUNS; i++) {
    let t = process.hrtime.bigint();
    lastOurs = await ours(WARMUP + i);
    a.push(Number(process.hrtime.bigint() - t) / 1e6);
    if (peer) {
      t = process.hrtime.bigint();
      lastPeer = await peer();
      b.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
  }
  return [{ ...stats(a), last: lastOurs }, peer ? { ...stats(b), last: lastPeer } : null];
}

async function timeIt(fn) {
  for (let i = 0; i < WARMUP; i++) await fn(i);
  const times = [];
  let last;
  for (let i = 0; i < RUNS; i++) {
    const t = process.hrtime.bigint();
    last = await fn(WARMUP + i);
    times.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  return { ...stats(times), last };
}

/** Luma of an encoded image at its own size, through sharp. */
async function luma(sharp, encoded) {
  const { data, info } = await sharp(encoded).flatten({ background: '#ffffff' }).greyscale().raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

/** SSIM of a lossy output against the same resize, losslessly encoded (PNG): the encoder's loss alone. */
async function encoderSsim(sharp, lossy, lossless) {
  if (!sharp || !lossy || !lossless) return undefined;
  return ssim(await luma(sharp, lossy), await luma(sharp, lossless));
}

/** Our worker, with sharp's run for the same case (when sharp is there) alternating with our misses. */
async function benchOurs(c, peerRun) {
  const key = `bench/${path.basename(c.file)}`;
  const bytes = readFileSync(c.file);
  // Memory: one request on a fresh instance, since wasm memory never shrinks.
  const fresh = await startWorker({ vars: { DEBUG_HEADERS: 'true' } });
  await putOriginal(fresh, key, bytes);
  const first = await fetchImage(fresh, `/${key}?w=${c.width}&format=${c.format}&q=${c.quality}`);
  await fresh.dispose();
  if (first.status !== 200) return { status: first.status, message: first.text().trim() };
  const memory = /wasm=(\d+), webp=(\d+)/.exec(first.res.headers.get('x-memory')).slice(1).map(Number);

  const mf = await startWorker();
  try {
    await putOriginal(mf, key, bytes);
    const lossless = await fetchImage(mf, `/${key}?w=${c.width}&format=png`);
    const quality = await encoderSsim(sharp, first.body, lossless.status === 200 ? lossless.body : undefined);
    const pipeline = [];
    const [miss, peer] = await timeAlternating(async (i) => {
      const r = await fetchImage(mf, `/${key}?w=${c.width + i}&format=${c.format}&q=${c.quality}`);
      if (r.status !== 200) throw new Error(`${key}: ${r.status} ${r.text()}`);
      const t = (r.res.headers.get('server-timing').match(/(decode|resize|encode);dur=([\d.]+)/g) ?? []).map((m) => Number(m.split('dur=')[1]));
      if (i >= WARMUP) pipeline.push(t.reduce((a, b) => a + b, 0));
      return r;
    }, peerRun);
    const hitUrl = `/${key}?w=${c.width}&format=${c.format}&q=${c.quality}`;
    await fetchImage(mf, hitUrl);
    await new Promise((r) => setTimeout(r, 200)); // let waitUntil fill the cache
    const hit = await timeIt(() => fetchImage(mf, hitUrl));
    if (hit.last.res.headers.get('x-cache') !== 'HIT') throw new Error(`${hitUrl} was not a cache hit`);
    const passthrough = await timeIt(() => fetchImage(mf, `/${key}`));
    return { status: 200, miss, hit, passthrough, pipeline: stats(pipeline), bytes: first.body.length, memory, ssim: quality, peer };
  } finally {
    await mf.dispose();
  }
}

/** sharp's decode + resize + encode for one case, as a function to time. */
function sharpRun(c, sharp) {
  const bytes = readFileSync(c.file);
  return () => {
    const img = sharp(bytes).resize({ width: c.width, withoutEnlargement: true });
    const encoders = { jpeg: () => img.jpeg({ quality: c.quality }), webp: () => img.webp({ quality: c.quality }), avif: () => img.avif({ quality: c.quality }) };
    return encoders[c.format]().toBuffer();
  };
}

/** sharp alone, when our worker refuses the case (nothing to alternate with). */
async function benchSharp(c, sharp, timed) {
  const r = timed ?? (await timeIt(sharpRun(c, sharp)));
  const lossless = await sharp(readFileSync(c.file)).resize({ width: c.width, withoutEnlargement: true }).png().toBuffer();
  return { median: r.median, p90: r.p90, bytes: r.last.length, ssim: await encoderSsim(sharp, r.last, lossless) };
}

function benchPillow(list) {
  const python = process.env.PYTHON ?? 'python3';
  const r = spawnSync(python, [path.join(ROOT, 'scripts', 'bench_pillow.py')], { input: JSON.stringify(list), encoding: 'utf8', maxBuffer: 1 << 24 });
  if (r.status !== 0) return { skipped: `Pillow did not run: ${(r.stderr || r.error?.message || '').trim().split('\n').pop()}` };
  return JSON.parse(r.stdout);
}

const ms = (v) => (v === undefined ? '—' : v < 10 ? v.toFixed(1) : v.toFixed(0));
const ratio = (a, b) => (a && b ? `${(a / b).toFixed(2)}×` : '—');
const kb = (b) => (b ? `${(b / 1024).toFixed(1)}` : '—');
const mb = (b) => (b / 2 ** 20).toFixed(1);
const q4 = (v) => (v === undefined ? '—' : v.toFixed(4));

let sharp;
try {
  sharp = (await import('sharp')).default;
  sharp.concurrency(1);
  sharp.cache(false);
} catch (e) {
  sharp = null;
  console.log(`sharp skipped: ${e.message}`);
}
const pillow = benchPillow(cases.map(({ file, width, format, quality }) => ({ file, width, format, quality })));
if (pillow.skipped) console.log(pillow.skipped);

const rows = [];
for (const [i, c] of cases.entries()) {
  const ours = await benchOurs(c, sharp ? sharpRun(c, sharp) : undefined);
  const peer = sharp ? await benchSharp(c, sharp, ours.peer ?? undefined) : null;
  const pil = pillow.results?.[i];
  rows.push({ c, ours, peer, pil });
  const label = `${c.name} → ${c.width} ${c.format}`;
  if (ours.status !== 200) {
    console.log(`${label}: ours ${ours.status} (${ours.message}); sharp ${ms(peer?.median)} ms; Pillow ${ms(pil?.median)} ms`);
  } else {
    console.log(`${label}: ours pipeline ${ms(ours.pipeline.median)} ms, miss ${ms(ours.miss.median)} ms, hit ${ms(ours.hit.median)} ms; sharp ${ms(peer?.median)} ms; Pillow ${ms(pil?.median)} ms`);
  }
}

const distantHits = await benchDistantHits();
console.log(`\n${distantHits}`);
const effects = await benchEffects(sharp);
console.log(`\n${effects}`);
const curve = await benchCurve(sharp);
console.log(`\n${curve}`);
const load = await benchLoad();
console.log(`\n${load}`);
const heif = sharp ? await benchHeif(sharp) : 'sharp did not run: the HEIF bench makes its AVIF files with it';
console.log(`\n${heif}`);
const animations = await benchAnimations();
console.log(`\n${animations}`);

const wasm = path.join(ROOT, 'build', 'index_bg.wasm');
const gzip = (f) => Number(execFileSync('bash', ['-c', `gzip -9c '${f}' | wc -c`]).toString().trim());
const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
const sharpVersions = sharp ? `sharp ${JSON.parse(readFileSync(path.join(ROOT, 'node_modules/sharp/package.json'), 'utf8')).version} (libvips ${sharp.versions.vips})` : 'sharp: not run';
const rustc = execFileSync('rustc', ['--version']).toString().trim();

const table = [
  '| case | ours: pipeline | ours: miss (e2e) | ours: hit | passthrough | sharp | Pillow | pipeline / sharp | pipeline / Pillow | bytes ours / sharp (KB) | SSIM ours / sharp | wasm + WebP memory (MB) |',
  '|---|---|---|---|---|---|---|---|---|---|---|---|',
  ...rows.map(({ c, ours, peer, pil }) => {
    const name = `${c.name} → ${c.width} px ${c.format.toUpperCase()}`;
    if (ours.status !== 200) return `| ${name} | ${ours.status}: ${ours.message} | | | | ${ms(peer?.median)} | ${ms(pil?.median)} | | | | | |`;
    const cell = (s) => `${ms(s.median)} (p90 ${ms(s.p90)})`;
    return `| ${name} | ${cell(ours.pipeline)} | ${cell(ours.miss)} | ${cell(ours.hit)} | ${cell(ours.passthrough)} | ${peer ? cell(peer) : '—'} | ${pil ? cell(pil) : '—'} | ${ratio(ours.pipeline.median, peer?.median)} | ${ratio(ours.pipeline.median, pil?.median)} | ${kb(ours.bytes)} / ${kb(peer?.bytes)} | ${q4(ours.ssim)} / ${q4(peer?.ssim)} | ${mb(ours.memory[0])} + ${mb(ours.memory[1])} |`;
  }),
];

const chart = benchChart(
  rows.map(({ c, ours, peer, pil }) => ({
    label: `${c.name.replace(/ \((corpus|generated)\)/, '')} → ${c.width} ${c.format.toUpperCase()}`,
    ours: ours.status === 200 ? ours.pipeline.median : undefined,
    oursNote: ours.status === 200 ? undefined : `${ours.status}`,
    sharp: peer?.median,
    pillow: pil?.median,
    hit: ours.hit?.median,
    passthrough: ours.passthrough?.median,
  })),
  { title: 'edge image resizer against sharp and Pillow', subtitle: `npm run bench, ${new Date().toISOString().slice(0, 10)}, ${os.cpus().length} × ${cpu}: medians of ${RUNS} runs` },
);
writeFileSync(path.join(ROOT, 'bench.svg'), chart);

const doc = `# Benchmarks

Generated by \`npm run bench\` on ${new Date().toISOString().slice(0, 10)}. One run, one machine: ${os.cpus().length} × ${cpu},
${(os.totalmem() / 2 ** 30).toFixed(0)} GB, Node ${process.version}, ${rustc}, ${sharpVersions}, ${pillow.version ? `Pillow ${pillow.version}` : pillow.skipped}.
These machines are shared and noisy: read the **ratios**, measured against peers in the same run,
rather than the absolute times. Medians of ${RUNS} runs after ${WARMUP} warm-ups (p90 in brackets), milliseconds.

- **ours: pipeline** is the worker's own decode + resize + encode time (\`Server-Timing\`), in workerd
  (Miniflare ${JSON.parse(readFileSync(path.join(ROOT, 'node_modules/miniflare/package.json'), 'utf8')).version}, release build, wasm-opt, SIMD128).
  **miss** is the end-to-end latency of an uncached transform (each request a different width, so
  a different canonical transform), **hit** the same URL from the Cache API, **passthrough** the
  original streamed from R2 (the floor for a hit).
- **sharp** (native libvips, \`sharp.concurrency(1)\`, cache off) and **Pillow** (\`Image.thumbnail\`
  with Lanczos, then save) time decode + resize + encode only, in-process: the fair comparison is
  with **ours: pipeline**. sharp's runs alternate with our misses, request by request, so the
  drift of the machine falls on both sides of that ratio; Pillow runs in its own process before.
- Quality ${QUALITY} for JPEG and WebP everywhere, 50 for AVIF; WebP is libwebp in all three;
  AVIF is rav1e at speed 10 for us, libaom at sharp's default effort (4) and Pillow's default speed
  for the peers, so AVIF times compare encoders at their defaults, not equal effort. Memory is the
  worker's and the WebP encoder's wasm memory after that one request on a fresh instance.
- **SSIM** is each encoder's loss alone: the lossy output against the same resize written as
  PNG (ours from the worker with \`format=png\`, sharp's from sharp), on luma, 8×8 windows. With
  the bytes column it compares size at equal quality.
- Worker: ${(readFileSync(wasm).length / 2 ** 20).toFixed(2)} MB wasm raw, ${(gzip(wasm) / 1024).toFixed(0)} KB gzip, plus the libwebp wasm
  (${(gzip(path.join(ROOT, 'build', 'webp_enc_simd.wasm')) / 1024).toFixed(0)} KB gzip) and the HEIF decoders (dav1d ${(gzip(path.join(ROOT, 'build', 'dav1d.wasm')) / 1024).toFixed(0)} KB, libde265 ${(gzip(path.join(ROOT, 'build', 'de265.wasm')) / 1024).toFixed(0)} KB gzip).

![ours, sharp and Pillow per case; hits against passthrough](bench.svg)

${table.join('\n')}

### Cache hits against a distant bucket

In production R2 is a network round trip away; locally it answers in well under a millisecond.
The test harness delays every R2 call (\`startWorker({ r2LatencyMs })\`) to show what a hit waits
for: medians of 41 hits end to end, the four workers alternating request by request
(\`scripts/bench_hits.mjs\`). Goal: a hit within 1.2× of the same hit with no R2 latency.

${distantHits}

### Cloudflare's effects against sharp

Each effect of the \`/cdn-cgi/image\` vocabulary next to sharp's nearest operation
(\`scripts/bench_effects.mjs\`). SSIM compares the effects alone (sharp's operation applied to our
own plain resize, R, G and B channels); the goal is 0.98, or a written reason where the two
libraries define the effect differently. The times are each side's whole decode + resize + effect
+ PNG encode.

${effects}

### How cost grows

Pipeline time and peak memory against source size and output width, ours against sharp
(\`scripts/bench_curve.mjs\`): the generated 24 MP photo resized by sharp to each size and
written as baseline JPEG (q90, 4:2:0), plus the 24 MP one as a libjpeg progressive file; each
output a JPEG at q80. Medians of 5 runs alternating with sharp. Ours: \`Server-Timing\`'s decode +
resize + encode, and the wasm memory's high-water mark after the first request on a fresh instance
(admission's estimate in brackets). sharp: the same transform from a buffer on one thread; its
memory is the peak RSS of a process doing that one transform, above the same process idle.

![time and memory against source size, per output width](curve.svg)

${curve}

### Cache-hit throughput under load

One worker, one cached variant (the 12 MP sample → 800 px JPEG) requested 600 times at each
concurrency, against a passthrough of the same bytes stored as an original (streamed from R2 as
stored), alternating, the better of two runs each (\`scripts/bench_load.mjs\`). Loopback, one
workerd process on this machine: it shows what our code adds per hit, not an edge's capacity.

${load}

### HEIF input: AVIF and HEIC

AVIF through dav1d and HEIC through libde265 (\`HEIC=true\`), each a wasm module of its own with a
fresh instance per picture, against sharp (AVIF only: its prebuilt libvips has no HEVC decoder) and
Pillow with pillow-heif (libheif over native dav1d and libde265, with their SIMD assembly): each
file → 400 px JPEG q80, medians of 7 misses alternating with sharp (\`scripts/bench_heif.mjs\`).
**ours: decode** includes turning the planes into RGB. Memory: the decoder module's linear memory
and ours after the first request on a fresh instance (\`HEIF_MEMORY_BUDGET_MB=100\` here, so that
the 12 MP single-picture HEIC, over the default 32, runs). sharp reads a grid AVIF's first tile
only (1024×800 of \`pitm.avif\`'s 4096×800), so its time on that file is not a comparison.

${heif}

### Animated WebP against GIF

Each animation resized with \`anim=true\` to 200 px, as GIF (our frame-differencing GIF writer) and
as animated WebP (libwebp's animation encoder, a wasm module of its own, quality 85), one request
each on one worker (\`scripts/bench_anim.mjs\`). Time is the pipeline's (decode, resize and
encode interleave frame by frame). libwebp merges frames that do not change, so the WebP of
\`rotating-squares.gif\` has 9 frames with the same total duration.

${animations}
`;
const out = path.join(ROOT, 'BENCHMARKS.md');
const levers = existsSync(out) ? readFileSync(out, 'utf8').split('\n## Levers')[1] : undefined;
writeFileSync(out, levers ? `${doc}\n## Levers${levers}` : doc);
console.log(`\n${table.join('\n')}\n\nwrote ${out}`);
