#!/usr/bin/env node
// A/B of two builds of the worker, for one lever at a time (a compiler flag, a wasm-opt level):
//   node scripts/ab.mjs <build dir A> <build dir B> [rounds]
// Runs the same uncached transforms on both, alternating A and B round by round so the machine's
// drift falls on both, and prints the median in-worker pipeline time (Server-Timing) per case and
// the median end-to-end time of a cache hit on the last of those URLs.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { startWorker, putOriginal, fetchImage, eventually, CORPUS, SAMPLES } from '../tests/helpers.mjs';
import { existsSync } from 'node:fs';

const [dirA, dirB, roundsArg] = process.argv.slice(2);
if (!dirA || !dirB) throw new Error('usage: node scripts/ab.mjs <build dir A> <build dir B> [rounds]');
const rounds = Number(roundsArg ?? 5);
const photo = existsSync(CORPUS) ? path.join(CORPUS, 'photos/2569067123_aca715a2ee_o.jpg') : path.join(SAMPLES, 'photo.jpg');
const cases = [
  { file: photo, width: 400, query: 'format=jpeg' },
  { file: photo, width: 400, query: 'format=webp' },
  { file: photo, width: 1200, query: 'format=jpeg' },
  { file: photo, width: 400, query: 'format=avif' },
  { file: path.join(SAMPLES, 'big.jpg'), width: 400, query: 'format=jpeg' },
  { file: path.join(SAMPLES, 'alpha.png'), width: 400, query: 'format=png' },
];
const PER_ROUND = 5;

async function measure(dir, c, round) {
  const mf = await startWorker({ buildDir: dir });
  try {
    const key = path.basename(c.file);
    await putOriginal(mf, key, readFileSync(c.file));
    const times = [];
    for (let i = 0; i < PER_ROUND + 1; i++) {
      // A different width each time (the case's width and up to 30 px more): a new canonical
      // transform, never a cache hit, whatever the format (lossless outputs ignore `q`).
      const width = c.width + round * (PER_ROUND + 1) + i;
      const r = await fetchImage(mf, `/${key}?w=${width}&${c.query}`);
      if (r.status !== 200) throw new Error(`${dir} ${c.query}: ${r.status} ${r.text()}`);
      const t = r.res.headers.get('server-timing').match(/(decode|resize|encode);dur=([\d.]+)/g).map((m) => Number(m.split('dur=')[1]));
      if (i > 0) times.push(t.reduce((a, b) => a + b, 0)); // the first warms the instance up
    }
    const last = `/${key}?w=${c.width + round * (PER_ROUND + 1) + PER_ROUND}&${c.query}`;
    await eventually(async () => (await fetchImage(mf, last)).res.headers.get('x-cache') === 'HIT');
    const hits = [];
    for (let i = 0; i < PER_ROUND; i++) {
      const t0 = performance.now();
      const r = await fetchImage(mf, last);
      hits.push(performance.now() - t0);
      if (r.res.headers.get('x-cache') !== 'HIT') throw new Error(`${dir} ${last}: not a cache hit`);
    }
    return { times, hits };
  } finally {
    await mf.dispose();
  }
}

const median = (v) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
console.log(`A = ${dirA}\nB = ${dirB}\n${rounds} rounds × ${PER_ROUND} requests per build and case, alternating\n`);
console.log('| case | pipeline A (ms) | pipeline B (ms) | B / A | hit A (ms) | hit B (ms) | B / A |\n|---|---|---|---|---|---|---|');
for (const c of cases) {
  const a = { times: [], hits: [] };
  const b = { times: [], hits: [] };
  for (let round = 0; round < rounds; round++) {
    for (const [dir, into] of [[dirA, a], [dirB, b]]) {
      const m = await measure(dir, c, round);
      into.times.push(...m.times);
      into.hits.push(...m.hits);
    }
  }
  const [pa, pb, ha, hb] = [median(a.times), median(b.times), median(a.hits), median(b.hits)];
  console.log(`| ${path.basename(c.file)} ?w=${c.width}&${c.query} | ${pa.toFixed(1)} | ${pb.toFixed(1)} | ${(pb / pa).toFixed(2)}× | ${ha.toFixed(2)} | ${hb.toFixed(2)} | ${(hb / ha).toFixed(2)}× |`);
}
