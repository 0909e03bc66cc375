#!/usr/bin/env node
// `npm run bench`: our release worker in workerd (Miniflare) against sharp (libvips, native) and
// Pillow, on the same inputs, in the same run, on this machine. Prints a table and writes
// BENCHMARKS.md. Run through scripts/bench/run.sh, which builds the worker and the samples first.
//
// Ours: end-to-end latency of a cache miss (a unique canonical transform per request: the width
// steps by one pixel), a cache hit and a passthrough of the original; plus the in-worker pipeline
// time (decode + resize + encode, from Server-Timing) and the wasm memory high-water mark of a
// fresh instance (DEBUG_HEADERS). Peers: decode + resize + encode only, one thread, no cache.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startWorker, putOriginal, fetchImage, CORPUS, SAMPLES, ROOT, FULL_DECODE } from '../../tests/helpers.mjs';
import { benchDistantHits } from './hits.mjs';
import { benchOriginMiss } from './origin.mjs';
import { benchMezzanine } from './mezzanine.mjs';
import { benchFaces } from './faces.mjs';
import { carried } from '../soak/faults.mjs';
import { carried as carriedAttackers } from '../soak/attackers.mjs';
import { benchPeers } from './peers.mjs';
import { benchQuality } from './quality.mjs';
import { benchEffects } from './effects.mjs';
import { benchCurve } from './curve.mjs';
import { benchLoad } from './load.mjs';
import { benchHeif } from './heif.mjs';
import { benchHdr } from './hdr.mjs';
import { benchAnimations } from './anim.mjs';
import { ssim, luma } from './ssim.mjs';
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
  const fresh = await startWorker({ vars: { ...FULL_DECODE, DEBUG_HEADERS: 'true' } });
  await putOriginal(fresh, key, bytes);
  const first = await fetchImage(fresh, `/${key}?w=${c.width}&format=${c.format}&q=${c.quality}`);
  await fresh.dispose();
  if (first.status !== 200) return { status: first.status, message: first.text().trim() };
  const memory = /wasm=(\d+), webp=(\d+)/.exec(first.res.headers.get('x-memory')).slice(1).map(Number);

  const mf = await startWorker({ vars: FULL_DECODE });
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
    return { status: 200, miss, hit, passthrough, pipeline: stats(pipeline), bytes: first.body.length, body: first.body, memory, ssim: quality, peer };
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
  const r = spawnSync(python, [path.join(ROOT, 'scripts', 'bench', 'pillow.py')], { input: JSON.stringify(list), encoding: 'utf8', maxBuffer: 1 << 24 });
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
const originMiss = await benchOriginMiss();
console.log(`\n${originMiss}`);
// The Workers wasm libraries, on the JPEG inputs' JPEG and WebP cases.
const caseKey = (c) => `${c.name}|${c.width}|${c.format}`;
const peerCases = rows
  .filter(({ c, ours }) => ours.status === 200 && ['jpeg', 'webp'].includes(c.format) && /\.jpe?g$/.test(c.file))
  .map(({ c, ours }) => ({ name: c.name, file: c.file, width: c.width, format: c.format, ours: ours.body, pipeline: ours.pipeline.median, key: caseKey(c) }));
const peers = sharp ? await benchPeers(peerCases) : { table: 'sharp did not run: the peers bench compares with it', byCase: new Map() };
console.log(`\n${peers.table}`);
const quality = sharp ? await benchQuality(sharp) : { table: 'sharp did not run: the quality table compares with it' };
console.log(`\n${quality.table}`);
const mezzanine = sharp ? await benchMezzanine() : { table: 'sharp did not run: the mezzanine bench compares with it', chartRows: [] };
const faces = sharp ? await benchFaces() : 'sharp did not run: the lettering rows compare with it';
console.log(`\n${mezzanine.table}`);
const effects = await benchEffects(sharp);
console.log(`\n${effects}`);
const curve = await benchCurve(sharp);
console.log(`\n${curve}`);
const load = await benchLoad();
console.log(`\n${load}`);
const heif = sharp ? await benchHeif(sharp) : 'sharp did not run: the HEIF bench makes its AVIF files with it';
const hdr = sharp ? await benchHdr(sharp) : 'sharp did not run: the HDR bench measures it beside us';
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
    ...peers.byCase.get(caseKey(c)),
  })).concat(mezzanine.chartRows),
  { title: 'edge image resizer against sharp and Pillow', subtitle: `npm run bench, ${new Date().toISOString().slice(0, 10)}, ${os.cpus().length} × ${cpu}: medians of ${RUNS} runs` },
);
writeFileSync(path.join(ROOT, 'bench.svg'), chart);

// Figures only: how each table is made, and every lever tried, live in docs/performance.md.
const gzipKb = (file) => (gzip(path.join(ROOT, 'build', file)) / 1024).toFixed(0);
const doc = `# Benchmarks

Generated by \`npm run bench\` on ${new Date().toISOString().slice(0, 10)}: ${os.cpus().length} × ${cpu}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GB, Node ${process.version},
${rustc}, ${sharpVersions}, ${pillow.version ? `Pillow ${pillow.version}` : pillow.skipped}, Miniflare ${JSON.parse(readFileSync(path.join(ROOT, 'node_modules/miniflare/package.json'), 'utf8')).version}.
Medians of ${RUNS} runs after ${WARMUP} warm-ups (p90 in brackets), milliseconds, quality ${QUALITY} (AVIF 50). The machines are
shared and noisy: read the **ratios** against peers measured in the same run. What each column means and how
each table is made: [docs/performance.md](docs/performance.md#how-the-tables-are-made).
Worker: ${(readFileSync(wasm).length / 2 ** 20).toFixed(2)} MB wasm raw, ${(gzip(wasm) / 1024).toFixed(0)} KB gzip; libwebp (still and animated) ${gzipKb('webp.wasm')} KB, dav1d ${gzipKb('dav1d.wasm')} KB, libde265 ${gzipKb('de265.wasm')} KB gzip.

![ours, sharp and Pillow per case; hits against passthrough](bench.svg)

${table.join('\n')}

## Cache hits against a distant bucket

${distantHits}

## Quality: resize, and bytes at equal SSIM

Every photo at 400, 800 and 1200 px, in one worker (\`scripts/bench/quality.mjs\`). The PNG rows
are the resize alone; a lossy row's last column is what the encoder costs at sharp's quality.

${quality.table}

## The Workers wasm libraries: wasm-vips and photon

What a Workers developer reaches for instead of us, timed in Node. Neither replaces us in a
Worker as it is: wasm-vips is built with threads (Emscripten pthreads need \`Worker\` and a
shared \`SharedArrayBuffer\` memory, which Workers do not offer) and its core module is 2.0 MB
gzip before its loaders; photon (0.6 MB gzip, packaged for Workers) decodes every image whole
into RGBA, so a 24 MP photo is 96 MB of pixels before the resize, against the isolate's 128 MB,
and it has no shrink-on-load, no lossy WebP and no AVIF.

${peers.table}

## Later sizes of a large original: from its mezzanine

${mezzanine.table}

## Faces and lettering

${faces}

## A first read from the old origin (\`ORIGIN_URL\`)

${originMiss}

## Cloudflare's effects against sharp

${effects}

## How cost grows

![time and memory against source size, per output width](curve.svg)

${curve}

## Cache-hit throughput under load

${load}

## HEIF input: AVIF and HEIC

${heif}

## HDR gain maps: kept and dropped

${hdr}

## Animated WebP against GIF

${animations}
${carried() && `\n${carried()}`}${carriedAttackers() && `\n${carriedAttackers()}`}`;
const out = path.join(ROOT, 'BENCHMARKS.md');
writeFileSync(out, doc);
console.log(`\n${table.join('\n')}\n\nwrote ${out}`);
// wasm-vips keeps its pthread workers alive: end the run here.
process.exit(0);
