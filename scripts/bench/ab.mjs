#!/usr/bin/env node
// A/B of two builds of the worker, for one lever at a time (a compiler flag, a wasm-opt level):
//   node scripts/bench/ab.mjs <build dir A> <build dir B> [rounds]
// Runs the same uncached transforms on both, alternating A and B round by round so the machine's
// drift falls on both, and prints the median in-worker pipeline time (Server-Timing) and
// end-to-end time of those misses per case, and of a cache hit on the last of those URLs.
// R2_LATENCY_MS=20 delays every R2 call by that much, as a distant bucket would (for levers that
// change the number of round trips, which a local R2 cannot show).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { startWorker, putOriginal, fetchImage, eventually, CORPUS, SAMPLES, FULL_DECODE } from '../../tests/helpers.mjs';
import { existsSync } from 'node:fs';

const [dirA, dirB, roundsArg] = process.argv.slice(2);
if (!dirA || !dirB) throw new Error('usage: node scripts/bench/ab.mjs <build dir A> <build dir B> [rounds]');
const rounds = Number(roundsArg ?? 5);
const photo = existsSync(CORPUS) ? path.join(CORPUS, 'photos/2569067123_aca715a2ee_o.jpg') : path.join(SAMPLES, 'photo.jpg');
// `url` builds a case's URL for a width; the default is the query grammar with `query` added.
const byQuery = (query) => (key, width) => `/${key}?w=${width}&${query}`;
const defaultCases = [
  { file: photo, width: 400, query: 'format=jpeg' },
  { file: photo, width: 400, query: 'format=webp' },
  { file: photo, width: 1200, query: 'format=jpeg' },
  { file: photo, width: 400, query: 'format=avif' },
  { file: path.join(SAMPLES, 'big.jpg'), width: 400, query: 'format=jpeg' },
  { file: path.join(SAMPLES, 'alpha.png'), width: 400, query: 'format=png' },
  // The path grammar (`photo-400x400.jpg`): also looks for a file really named so.
  { file: photo, width: 400, label: 'path grammar -WxW.jpg', url: (key, width) => `/${key.replace(/\.jpg$/, '')}-${width}x${width}.jpg` },
];
// AB_CASES=jpeg: the JPEG decode's cases instead (issue #36): three sources, outputs where the
// decode runs at 1/4, 1/2 and full scale, JPEG and WebP.
const gainMap = path.join(CORPUS, 'photos/gain-map.jpg');
const jpegCases = [
  ...[400, 800, 1200].map((width) => ({ file: photo, width, query: 'format=jpeg' })),
  { file: photo, width: 800, query: 'format=webp' },
  ...[400, 1200].map((width) => ({ file: gainMap, width, query: 'format=jpeg' })),
  { file: gainMap, width: 1200, query: 'format=webp' },
  ...[400, 1200].flatMap((width) => ['jpeg', 'webp'].map((f) => ({ file: path.join(SAMPLES, 'big.jpg'), width, query: `format=${f}` }))),
];
// AB_ONLY=text: only the cases whose "file ?w=…" line contains it.
const cases = (process.env.AB_CASES === 'jpeg' ? jpegCases : defaultCases)
  .map((c) => ({ url: byQuery(c.query), label: `?w=${c.width}&${c.query}`, ...c }))
  .filter((c) => `${path.basename(c.file)} ${c.label}`.includes(process.env.AB_ONLY ?? ''));
// AB_STAGES=decode: the pipeline column sums only those Server-Timing stages (a regex).
const stages = new RegExp(`(${process.env.AB_STAGES ?? 'decode|resize|encode'});dur=([\\d.]+)`, 'g');
const PER_ROUND = 5;
const r2LatencyMs = Number(process.env.R2_LATENCY_MS ?? 0) || undefined;

async function measure(dir, c, round) {
  const mf = await startWorker({ buildDir: dir, r2LatencyMs, vars: FULL_DECODE });
  try {
    const key = path.basename(c.file);
    await putOriginal(mf, key, readFileSync(c.file));
    const [times, misses] = [[], []];
    for (let i = 0; i < PER_ROUND + 1; i++) {
      // A different width each time (the case's width and up to 30 px more): a new canonical
      // transform, never a cache hit, whatever the format (lossless outputs ignore `q`).
      const width = c.width + round * (PER_ROUND + 1) + i;
      const t0 = performance.now();
      const r = await fetchImage(mf, c.url(key, width));
      const elapsed = performance.now() - t0;
      if (r.status !== 200) throw new Error(`${dir} ${c.label}: ${r.status} ${r.text()}`);
      const t = (r.res.headers.get('server-timing').match(stages) ?? []).map((m) => Number(m.split('dur=')[1]));
      if (i > 0) {
        // The first warms the instance up.
        times.push(t.reduce((a, b) => a + b, 0));
        misses.push(elapsed);
      }
    }
    const last = c.url(key, c.width + round * (PER_ROUND + 1) + PER_ROUND);
    await eventually(async () => (await fetchImage(mf, last)).res.headers.get('x-cache') === 'HIT');
    const hits = [];
    for (let i = 0; i < PER_ROUND; i++) {
      const t0 = performance.now();
      const r = await fetchImage(mf, last);
      hits.push(performance.now() - t0);
      if (r.res.headers.get('x-cache') !== 'HIT') throw new Error(`${dir} ${last}: not a cache hit`);
    }
    return { times, misses, hits };
  } finally {
    await mf.dispose();
  }
}

const median = (v) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
console.log(`A = ${dirA}\nB = ${dirB}\n${rounds} rounds × ${PER_ROUND} requests per build and case, alternating; R2 latency ${r2LatencyMs ?? 0} ms\n`);
console.log('| case | pipeline A (ms) | pipeline B (ms) | B / A | miss A (ms) | miss B (ms) | B / A | hit A (ms) | hit B (ms) | B / A |');
console.log('|---|---|---|---|---|---|---|---|---|---|');
for (const c of cases) {
  const a = { times: [], misses: [], hits: [] };
  const b = { times: [], misses: [], hits: [] };
  for (let round = 0; round < rounds; round++) {
    for (const [dir, into] of [[dirA, a], [dirB, b]]) {
      const m = await measure(dir, c, round);
      into.times.push(...m.times);
      into.misses.push(...m.misses);
      into.hits.push(...m.hits);
    }
  }
  const [pa, pb, ma, mb, ha, hb] = [a.times, b.times, a.misses, b.misses, a.hits, b.hits].map(median);
  const ratio = (x, y) => `${(y / x).toFixed(2)}×`;
  console.log(`| ${path.basename(c.file)} ${c.label} | ${pa.toFixed(1)} | ${pb.toFixed(1)} | ${ratio(pa, pb)} | ${ma.toFixed(1)} | ${mb.toFixed(1)} | ${ratio(ma, mb)} | ${ha.toFixed(2)} | ${hb.toFixed(2)} | ${ratio(ha, hb)} |`);
}
