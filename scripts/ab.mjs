#!/usr/bin/env node
// A/B of two builds of the worker, for one lever at a time (a compiler flag, a wasm-opt level):
//   node scripts/ab.mjs <build dir A> <build dir B> [rounds]
// Runs the same uncached transforms on both, alternating A and B round by round so the machine's
// drift falls on both, and prints the median in-worker pipeline time (Server-Timing) per case.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { startWorker, putOriginal, fetchImage, CORPUS, SAMPLES } from '../tests/helpers.mjs';
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
    return times;
  } finally {
    await mf.dispose();
  }
}

const median = (v) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
console.log(`A = ${dirA}\nB = ${dirB}\n${rounds} rounds × ${PER_ROUND} requests per build and case, alternating\n`);
console.log('| case | A median (ms) | B median (ms) | B / A |\n|---|---|---|---|');
for (const c of cases) {
  const a = [];
  const b = [];
  for (let round = 0; round < rounds; round++) {
    a.push(...(await measure(dirA, c, round)));
    b.push(...(await measure(dirB, c, round)));
  }
  console.log(`| ${path.basename(c.file)} ?w=${c.width}&${c.query} | ${median(a).toFixed(1)} | ${median(b).toFixed(1)} | ${(median(b) / median(a)).toFixed(2)}× |`);
}
