// `npm run soak`: the built worker under a long mixed load, on loopback only, bounded in count and
// time: hits, misses over many widths, originals, 304s, hostile URLs and damaged files at
// concurrency 16. Reports p50/p99 per kind, every status seen, the workerd process's resident
// memory and the worker's wasm memory as the run goes, and checks the originals are unchanged.
// Fails (exit 1) on any 5xx, a request that hangs past 30 s, or a changed original.
//   node scripts/soak/run.mjs [requests=20000] [seconds=600] [concurrency=16]
//   SOAK_MIX=cached node scripts/soak/run.mjs …   (hits only: memory without new cache entries)
//   SOAK_WORKER=baseline SOAK_MIX=cached node scripts/soak/run.mjs …   (the same hits on a trivial JS worker)
//   SOAK_WORKER=baseline-two-lookups …   (the same, with a second Cache API lookup per request, as ours
//   does for the original's remembered metadata)
//   SOAK_FAULTS=1 node scripts/soak/run.mjs 10000 900 32   (R2 failing and stalling, uploads in the mix:
//   scripts/soak/faults.mjs says what must hold; its figures go into BENCHMARKS.md)
//   SOAK_HEAPS=1 node scripts/soak/run.mjs …   (at each memory sample, a garbage collection in every
//   isolate of the workerd process through the V8 inspector — ours and Miniflare's own workers for
//   the Cache API, R2 and the entry — then each one's JS heap beside the process's resident memory:
//   what the process keeps that a collection gives back was garbage, not a leak;
//   SOAK_HEAPS=others: in every isolate but our worker's, to tell whose garbage it was)
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { startWorker, putOriginal, hashOriginals, path, SAMPLES, UNBOUNDED } from '../../tests/helpers.mjs';
import { inspectIsolates } from './heaps.mjs';
import * as faulty from './faults.mjs';

const faults = Boolean(process.env.SOAK_FAULTS);
// `SOAK_ATTACKERS=1`: attackers in the mix (scripts/soak/attackers.mjs), the render budget on.
const attackers = process.env.SOAK_ATTACKERS ? await import('./attackers.mjs') : null;
const attacking = attackers ? await attackers.prepare() : null;

const [total = 20_000, seconds = 600, concurrency = 16] = process.argv.slice(2).map(Number);
const MiB = 2 ** 20;
const median = (xs, q = 0.5) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * q))];

// A fixed-seed generator: every run sends the same mix.
let seed = 7;
const random = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
const pick = (xs) => xs[Math.floor(random() * xs.length)];

// `SOAK_WORKER=baseline`: a few lines of plain JS doing what a hit does here (the Cache API, an R2
// read on a miss, one JSON log line), to tell what memory growth is the local runtime's.
const BASELINE = `export default {
  async fetch(request, env, ctx) {
    const cache = caches.default;
    if (${process.env.SOAK_WORKER === 'baseline-two-lookups'}) await cache.match(new Request(new URL('/_meta' + new URL(request.url).pathname, request.url)));
    let response = await cache.match(request);
    if (!response) {
      const object = await env.IMAGES.get(new URL(request.url).pathname.slice(1));
      if (!object) return new Response('not found', { status: 404 });
      response = new Response(object.body, { headers: { 'content-type': 'image/jpeg', 'cache-control': 'public, max-age=3600', etag: object.httpEtag } });
      ctx.waitUntil(cache.put(request, response.clone()));
    }
    console.log(JSON.stringify({ path: new URL(request.url).pathname, status: response.status }));
    return response;
  },
};`;
const baseline = process.env.SOAK_WORKER?.startsWith('baseline');
const INSPECTOR_PORT = 9341;
const inspectorPort = process.env.SOAK_HEAPS ? INSPECTOR_PORT : undefined;
const mf = baseline
  ? new (await import('miniflare')).Miniflare({ modules: true, script: BASELINE, r2Buckets: ['IMAGES'], compatibilityDate: '2026-04-26', handleStructuredLogs: () => {}, inspectorPort })
  : await startWorker({
      vars: { ...UNBOUNDED, DEBUG_HEADERS: 'true', IN_FLIGHT_WAIT_MS: '30000', ...(faults ? faulty.options.vars : {}), ...(attacking?.vars ?? {}) },
      faults: faults ? faulty.options.faults : undefined,
      ratelimits: attacking?.ratelimits,
      inspectorPort,
    });
const base = await mf.ready;
const photo = readFileSync(path.join(SAMPLES, 'photo.jpg'));
const samples = ['photo.jpg', 'alpha.png', 'portrait.jpg', 'logo.svg', 'animated.gif', 'grey.png'];
for (const name of samples) await putOriginal(mf, name, readFileSync(path.join(SAMPLES, name)));
// Damaged files: a photo cut short, and one with bytes overwritten.
await putOriginal(mf, 'damaged/cut.jpg', photo.subarray(0, photo.length >> 2));
const flipped = Buffer.from(photo);
for (let i = 0; i < 64; i++) flipped[Math.floor(random() * flipped.length)] ^= 0xff;
await putOriginal(mf, 'damaged/flipped.jpg', flipped);
if (attackers) await attackers.seed(mf);
const originals = await hashOriginals(mf);
const nudge = async () => (await fetch(new URL('/photo.jpg?w=400', base))).arrayBuffer();
const isolates = inspectorPort ? await inspectIsolates(inspectorPort, nudge, process.env.SOAK_HEAPS === 'others' ? ['core:user:main'] : []) : null;

const hits = ['/photo.jpg?w=400', '/photo.jpg?w=400&format=webp', '/alpha.png?w=300', '/portrait.jpg?w=320', '/logo.svg?w=200', '/cdn-cgi/image/width=240,format=auto/photo.jpg', '/photo-200x200.jpg', '/animated.gif?w=100', '/grey.png?w=160', '/photo.jpg?w=200&blur=5'];
const hostile = ['/../etc/passwd', '/photo.jpg?w=999999', '/photo.jpg?w=abc', '/photo.jpg?fit=banana', `/${'a'.repeat(2000)}.jpg?w=10`, '/photo.jpg?format=exe', '/%00.jpg?w=10', '/photo.jpg?sig=zz&exp=1', '/nope.jpg?w=10', '/_variants/photo.jpg/w=400'];
const etags = {};
for (const url of hits) {
  // (Against a failing bucket, until R2 answers.)
  for (let i = 0; i < 20 && !etags[url]; i++) {
    const res = await fetch(new URL(url, base));
    if (res.status === 200) etags[url] = res.headers.get('etag');
    await res.arrayBuffer();
  }
}

// `SOAK_MIX=cached`: hits and 304s only, which store nothing new (to tell the worker's memory
// from the local cache's, which keeps every new variant in the workerd process).
const cachedOnly = process.env.SOAK_MIX === 'cached';

function next() {
  // A third of the traffic from the attackers, when they are in the mix.
  if (attackers && random() < 1 / 3) return attackers.attack(random, sent);
  const r = cachedOnly ? random() * 0.55 : random();
  // Mostly hits, as a CDN sees; a miss decodes a 12 MP photo, so 10% of misses keep one isolate busy.
  if (r < 0.55) return { kind: 'hit', url: pick(hits) };
  if (r < 0.65) return { kind: 'miss', url: `/${pick(['photo.jpg', 'alpha.png', 'portrait.jpg', 'logo.svg'])}?w=${50 + Math.floor(random() * 900)}&format=${pick(['jpeg', 'webp', 'png'])}` };
  if (r < 0.8) return { kind: 'original', url: `/${pick(samples)}` };
  if (r < 0.9) {
    const url = pick(hits);
    return { kind: '304', url, headers: { 'if-none-match': etags[url] } };
  }
  if (faults && r < 0.925) return faulty.upload(sent);
  if (r < 0.95) return { kind: 'hostile', url: pick(hostile) };
  return { kind: 'damaged', url: `/damaged/${pick(['cut.jpg', 'flipped.jpg'])}?w=${100 + Math.floor(random() * 300)}` };
}

// The workerd process that runs the worker: the child of this process whose command is workerd.
const workerdPid = () => {
  const out = execFileSync('ps', ['-eo', 'pid,ppid,comm']).toString().split('\n');
  const row = out.map((l) => l.trim().split(/\s+/)).find(([, ppid, comm]) => Number(ppid) === process.pid && /workerd/.test(comm ?? ''));
  return row ? Number(row[0]) : null;
};
const pid = workerdPid();
const rss = () => (pid ? Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024 : 0);

const times = {};
const statuses = {};
const failures = [];
const memory = [];
const retries = { asked: 0, answered: 0, tries: 0 };
let slowest = 0;
let sent = 0;
let done = 0;
const started = Date.now();
const deadline = started + seconds * 1000;

async function one() {
  const request = next();
  const { kind, url, headers, init, key } = request;
  const t = performance.now();
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), 30_000);
  try {
    const res = await fetch(new URL(url, base), { headers, ...init, signal: controller.signal });
    const body = Buffer.from(await res.arrayBuffer());
    if (attackers && request.kind && ['forced refusal', 'remote query', 'hint storm'].includes(kind)) attackers.answered(request, res, body);
    slowest = Math.max(slowest, performance.now() - t);
    statuses[`${kind} ${res.status}`] = (statuses[`${kind} ${res.status}`] ?? 0) + 1;
    if (key) faulty.uploaded(key, res.status);
    // Against a failing bucket: 502 (R2 failed) and 503 (busy) only, and a 502 answered on retry.
    const allowed = faults && (res.status === 502 || res.status === 503);
    if (res.status >= 500 && !allowed) failures.push(`${url}: ${res.status}`);
    if (faults && res.status === 502 && !init) {
      const again = await faulty.retried(url, base);
      Object.assign(retries, { asked: retries.asked + 1, answered: retries.answered + (again.status !== 502), tries: retries.tries + again.tries });
      if (again.status >= 500) failures.push(`${url}: still ${again.status} after ${again.tries} retries`);
    }
    if (++done % 2000 === 0) {
      const wasm = /wasm=(\d+)/.exec(res.headers.get('x-memory') ?? '')?.[1];
      // Sampled by the lane once this request's time is counted (a collection takes seconds).
      return { done, wasm: wasm ? Number(wasm) : undefined };
    }
  } catch (e) {
    failures.push(`${url}: ${e.name === 'AbortError' ? 'no answer within 30 s' : e.message}`);
    done++;
  } finally {
    clearTimeout(timer);
    (times[kind] ??= []).push(performance.now() - t);
  }
}

async function lane() {
  while (sent < total && Date.now() < deadline) {
    sent++;
    const due = await one();
    if (due) memory.push({ ...due, heaps: await isolates?.collect(), rss: rss() });
  }
}
await Promise.all(Array.from({ length: concurrency }, lane));
const elapsed = (Date.now() - started) / 1000;
const after = await hashOriginals(mf);
const bucket = faults ? await faulty.checkBucket(mf) : null;
const attacked = attackers ? await attackers.finish(mf, { done, elapsed, memory, statuses }) : [];
isolates?.close();
await mf.dispose();

const all = Object.values(times).flat();
console.log(`${done} requests in ${elapsed.toFixed(0)} s at concurrency ${concurrency}: ${(done / elapsed).toFixed(0)} req/s; p50 ${median(all).toFixed(1)} ms, p99 ${median(all, 0.99).toFixed(1)} ms`);
console.log('| kind | requests | p50 (ms) | p99 (ms) |\n|---|---|---|---|');
for (const [kind, xs] of Object.entries(times)) console.log(`| ${kind} | ${xs.length} | ${median(xs).toFixed(1)} | ${median(xs, 0.99).toFixed(1)} |`);
console.log(`statuses: ${JSON.stringify(statuses)}`);
const heapNames = Object.keys(memory[0]?.heaps ?? {});
const mb = (v) => (v == null ? '—' : v.toFixed(2));
console.log(`| after requests | workerd RSS (MB) | worker wasm memory (MB) |${heapNames.map((n) => ` JS heap ${n} (MB) |`).join('')}`);
console.log(`|---|---|---|${heapNames.map(() => '---|').join('')}`);
for (const m of memory) {
  console.log(`| ${m.done} | ${(m.rss / MiB).toFixed(0)} | ${m.wasm ? (m.wasm / MiB).toFixed(1) : '—'} |${heapNames.map((n) => ` ${mb(m.heaps[n])} |`).join('')}`);
}
const changed = Object.keys(originals).filter((k) => originals[k] !== after[k]);
if (faults) {
  failures.push(...bucket.failures);
  if (slowest > faulty.BOUND_MS) failures.push(`a request took ${slowest.toFixed(0)} ms, over ${faulty.BOUND_MS}`);
  const count = (status) => Object.entries(statuses).filter(([k]) => k.endsWith(` ${status}`)).reduce((a, [, n]) => a + n, 0);
  faulty.record([
    `\`SOAK_FAULTS=1 npm run soak\` of ${new Date().toISOString().slice(0, 10)}: ${done} requests at concurrency ${concurrency} in ${elapsed.toFixed(0)} s, every R2 call failing one time in ten and get, head and put stalling one in fifty (\`R2_TIMEOUT_MS=1000\`); hits, misses, originals, 304s, hostile URLs, damaged files and ${bucket.uploads} uploads.`,
    '',
    '| | |',
    '|---|---|',
    `| answered 2xx/3xx/4xx | ${done - count(502) - count(503)} |`,
    `| 502 (R2 failed) / 503 (busy) | ${count(502)} / ${count(503)} |`,
    `| 502s of GETs retried by the client | ${retries.asked}, answered after ${(retries.tries / Math.max(1, retries.asked)).toFixed(1)} tries on average, ${retries.asked - retries.answered} never |`,
    `| other 5xx, hangs | ${failures.filter((f) => !f.includes('retries') && !f.includes('_variants') && !f.startsWith('up/')).length} |`,
    `| slowest request | ${slowest.toFixed(0)} ms (bound ${faulty.BOUND_MS}) |`,
    `| p50 / p99 | ${median(all).toFixed(1)} / ${median(all, 0.99).toFixed(1)} ms |`,
    `| persisted variants and mezzanines afterwards | ${bucket.derived}, every one decoding and of its original's current version: ${bucket.failures.some((f) => f.startsWith('_variants')) ? 'no' : 'yes'} |`,
    `| originals byte-identical (samples and uploads) | ${changed.length === 0 && !bucket.failures.some((f) => f.startsWith('up/')) ? 'yes' : 'no'} |`,
    `| worker wasm memory at each 2,000 requests (MB) | ${memory.map((m) => (m.wasm ? (m.wasm / MiB).toFixed(1) : '—')).join(', ')} |`,
  ]);
}
if (changed.length) failures.push(`originals changed: ${changed.join(', ')}`);
failures.push(...attacked);
if (failures.length) {
  console.log(`FAILED: ${failures.length}\n${failures.slice(0, 20).join('\n')}`);
  process.exit(1);
}
console.log('no 5xx, no hang, originals byte-identical');
