#!/usr/bin/env node
// Cache hits against a distant bucket: the same hit with every R2 call delayed by 0 and by 20 ms
// (the test harness's R2 latency mode), with the default MAX_STALE_S (hits ask R2 nothing while
// the data centre remembers the original) and with MAX_STALE_S=0 (every hit waits for an R2
// `head`, the behaviour before). Workers alternate request by request so the machine's drift falls
// on both. `npm run bench` includes this table in BENCHMARKS.md; alone it prints it:
//   node scripts/bench/hits.mjs
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startWorker, putOriginal, fetchImage, eventually, SAMPLES } from '../../tests/helpers.mjs';

const RUNS = 41;
const LATENCY_MS = 20;

const median = (v) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];

export async function benchDistantHits() {
  const photo = readFileSync(path.join(SAMPLES, 'photo.jpg'));
  const url = '/photo.jpg?w=400&format=webp';
  const setups = [];
  for (const maxStale of ['60', '0']) {
    for (const latency of [0, LATENCY_MS]) {
      const mf = await startWorker({ vars: { MAX_STALE_S: maxStale }, r2LatencyMs: latency });
      await putOriginal(mf, 'photo.jpg', photo);
      await fetchImage(mf, url);
      await eventually(async () => (await fetchImage(mf, url)).res.headers.get('x-cache') === 'HIT');
      setups.push({ maxStale, latency, mf, times: [] });
    }
  }
  try {
    for (let i = 0; i < RUNS; i++) {
      for (const s of setups) {
        const t = process.hrtime.bigint();
        const r = await fetchImage(s.mf, url);
        s.times.push(Number(process.hrtime.bigint() - t) / 1e6);
        if (r.res.headers.get('x-cache') !== 'HIT') throw new Error(`MAX_STALE_S=${s.maxStale}, ${s.latency} ms: not a hit`);
      }
    }
  } finally {
    for (const s of setups) await s.mf.dispose();
  }
  const at = (maxStale, latency) => median(setups.find((s) => s.maxStale === maxStale && s.latency === latency).times);
  const row = (maxStale, label) => {
    const [near, far] = [at(maxStale, 0), at(maxStale, LATENCY_MS)];
    return `| ${label} | ${near.toFixed(2)} | ${far.toFixed(2)} | ${(far / near).toFixed(2)}× |`;
  };
  return [
    `| cache hit, \`${url}\` | R2 latency 0 ms | R2 latency ${LATENCY_MS} ms | ${LATENCY_MS} ms / 0 ms |`,
    '|---|---|---|---|',
    row('60', '`MAX_STALE_S=60` (default): R2 not asked within the window'),
    row('0', '`MAX_STALE_S=0`: every hit waits for one R2 `head`'),
  ].join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(`Medians of ${RUNS} hits, milliseconds end to end:\n\n${await benchDistantHits()}`);
}
