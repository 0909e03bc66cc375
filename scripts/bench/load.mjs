// Cache-hit throughput at concurrency 1, 8 and 32 (part of `npm run bench`): one worker, one
// cached variant requested over and over, against a passthrough of the same bytes (the variant's
// bytes stored as an original and served as stored, streamed from R2). Loopback, one process.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { startWorker, putOriginal, fetchImage, SAMPLES, FULL_DECODE } from '../../tests/helpers.mjs';

const LEVELS = [1, 8, 32];
const REQUESTS = 600;

async function drive(mf, url, concurrency) {
  const latencies = [];
  let next = 0;
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < REQUESTS) {
        next += 1;
        const t = process.hrtime.bigint();
        const r = await fetchImage(mf, url);
        if (r.status !== 200) throw new Error(`${url}: ${r.status}`);
        latencies.push(Number(process.hrtime.bigint() - t) / 1e6);
      }
    }),
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  latencies.sort((a, b) => a - b);
  return { rps: REQUESTS / seconds, p50: latencies[Math.floor(REQUESTS / 2)], p99: latencies[Math.floor(REQUESTS * 0.99)] };
}

export async function benchLoad() {
  const mf = await startWorker({ vars: FULL_DECODE });
  try {
    await putOriginal(mf, 'photo.jpg', readFileSync(path.join(SAMPLES, 'photo.jpg')));
    const hitUrl = '/photo.jpg?w=800';
    const first = await fetchImage(mf, hitUrl);
    await putOriginal(mf, 'same.jpg', first.body);
    await new Promise((r) => setTimeout(r, 300)); // let waitUntil fill the cache
    if ((await fetchImage(mf, hitUrl)).res.headers.get('x-cache') !== 'HIT') throw new Error(`${hitUrl} was not a cache hit`);
    const rows = [`| concurrency | hit: req/s | hit p50 / p99 ms | passthrough (same ${(first.body.length / 1024).toFixed(0)} KB from R2): req/s | passthrough p50 / p99 ms | hit / passthrough throughput |`, '|---|---|---|---|---|---|'];
    for (const c of LEVELS) {
      // Alternate the two, twice each, and keep the better run of each (the machine is shared).
      const best = (a, b) => (a.rps >= b.rps ? a : b);
      let hit = await drive(mf, hitUrl, c);
      let pass = await drive(mf, '/same.jpg', c);
      hit = best(hit, await drive(mf, hitUrl, c));
      pass = best(pass, await drive(mf, '/same.jpg', c));
      rows.push(`| ${c} | ${hit.rps.toFixed(0)} | ${hit.p50.toFixed(1)} / ${hit.p99.toFixed(1)} | ${pass.rps.toFixed(0)} | ${pass.p50.toFixed(1)} / ${pass.p99.toFixed(1)} | ${(hit.rps / pass.rps).toFixed(2)}× |`);
      console.log(`load c=${c}: hit ${hit.rps.toFixed(0)} req/s, passthrough ${pass.rps.toFixed(0)} req/s`);
    }
    return rows.join('\n');
  } finally {
    await mf.dispose();
  }
}
