#!/usr/bin/env node
// A miss whose original is only at ORIGIN_URL (the first read, which copies it into R2) against
// a miss whose original is in R2 already: the same 12 MP JPEG to 400 px WebP, with every R2 call
// delayed by 20 ms (the test harness's R2 latency mode) and the loopback origin answering after
// 20 ms. Each run uses a new key on both sides, so neither is a hit; the two alternate request by
// request. `npm run bench` includes this table in BENCHMARKS.md; alone it prints it:
//   node scripts/bench/origin.mjs
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startWorker, putOriginal, fetchImage, SAMPLES } from '../../tests/helpers.mjs';

const RUNS = 15;
const LATENCY_MS = 20;

const sorted = (v) => [...v].sort((a, b) => a - b);
const median = (v) => sorted(v)[Math.floor(v.length / 2)];
const p90 = (v) => sorted(v)[Math.min(v.length - 1, Math.floor(v.length * 0.9))];

export async function benchOriginMiss() {
  const photo = readFileSync(path.join(SAMPLES, 'photo.jpg'));
  let served = 0;
  const origin = createServer((req, res) => {
    served++;
    setTimeout(() => res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': photo.length }).end(photo), LATENCY_MS);
  });
  await new Promise((resolve) => origin.listen(0, '127.0.0.1', resolve));
  const mf = await startWorker({ vars: { ORIGIN_URL: `http://127.0.0.1:${origin.address().port}/old` }, r2LatencyMs: LATENCY_MS });
  const times = { r2: [], origin: [] };
  try {
    for (let i = -2; i < RUNS; i++) {
      await putOriginal(mf, `in-r2/${i}.jpg`, photo);
      for (const [side, key] of [['r2', `in-r2/${i}.jpg`], ['origin', `at-origin/${i}.jpg`]]) {
        const t = process.hrtime.bigint();
        const r = await fetchImage(mf, `/${key}?w=400&format=webp`);
        const took = Number(process.hrtime.bigint() - t) / 1e6;
        if (r.status !== 200 || r.res.headers.get('x-cache') !== 'MISS') throw new Error(`${key}: ${r.status} ${r.text()}`);
        if (i >= 0) times[side].push(took);
      }
    }
  } finally {
    await mf.dispose();
    await new Promise((resolve) => origin.close(resolve));
  }
  if (served !== RUNS + 2) throw new Error(`the origin served ${served} requests for ${RUNS + 2} keys`);
  const cell = (v) => `${median(v).toFixed(0)} (p90 ${p90(v).toFixed(0)})`;
  return [
    `| miss, \`?w=400&format=webp\` of a 12 MP JPEG (${(photo.length / 2 ** 20).toFixed(1)} MB), R2 and origin ${LATENCY_MS} ms away | ms | against the original in R2 |`,
    '|---|---|---|',
    `| the original in R2 | ${cell(times.r2)} | 1.00× |`,
    `| the original only at \`ORIGIN_URL\`: fetched, copied into R2, read back | ${cell(times.origin)} | ${(median(times.origin) / median(times.r2)).toFixed(2)}× |`,
  ].join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(`Medians of ${RUNS} misses, milliseconds end to end:\n\n${await benchOriginMiss()}`);
}
