// `SOAK_ATTACKERS=1 npm run soak -- 10000 600 16`: the soak with attackers in the mix, beside the
// ordinary traffic: clients that force refusals under a `default_for` watermark (to get the bare
// original), vary a remote source's query string (unbounded renders and downloads), and storm
// `width=auto` with random `Sec-CH-Width` hints, all from a few addresses against `MISS_LIMITER`.
// The render budget is on (the ordinary soak turns it off). What must hold, checked after the run:
// the watermark never stripped (no forced refusal answered with the stored bytes), and renders,
// R2 writes and origin downloads bounded; the figures per 10,000 requests go into BENCHMARKS.md
// ("Attacker soak").
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
import { putOriginal, listKeys, sha256, path, SAMPLES } from '../../tests/helpers.mjs';
import { record, carried as carriedSection } from './faults.mjs';

const SECTION = '## Attacker soak';
const photo = readFileSync(path.join(SAMPLES, 'photo.jpg'));
const broken = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 16]), Buffer.from('JFIF\0 and nothing a decoder reads')]);
const ATTACKERS = ['198.51.100.1', '198.51.100.2', '198.51.100.3'];
// Per attacker and minute: the binding's limit.
const LIMIT = 60;

/** The loopback origin of the remote sources: every download counted. */
let downloads = 0;
let server;
let remote;

/** Starts the remote sources' origin; the worker's options for the run. */
export async function prepare() {
  server = createServer((req, res) => {
    downloads++;
    res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': photo.length, 'cache-control': 'max-age=600' }).end(photo);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  remote = `http://127.0.0.1:${server.address().port}`;
  return {
    vars: {
      RENDER_BUDGET: '64',
      REMOTE_HOSTS: remote,
      OVERLAYS: JSON.stringify({ mark: { key: 'brand/mark.png', width: 200, default_for: ['shop/'] } }),
    },
    ratelimits: { MISS_LIMITER: { simple: { limit: LIMIT, period: 60 } } },
  };
}

/** The shop's originals under the forced watermark. */
export async function seed(mf) {
  await putOriginal(mf, 'brand/mark.png', readFileSync(path.join(SAMPLES, 'alpha.png')));
  await putOriginal(mf, 'shop/photo.jpg', photo);
  await putOriginal(mf, 'shop/broken.jpg', broken, 'image/jpeg');
}

const stored = new Set([sha256(photo), sha256(broken)]);
const counts = { stripped: 0, attacks: 0, renders: 0, refused: 0 };

/** One attacker's request (`random` is the soak's seeded generator). */
export function attack(random, n) {
  const from = ATTACKERS[n % ATTACKERS.length];
  const headers = { 'cf-connecting-ip': from };
  const r = random();
  if (r < 0.34) {
    const forced = random() < 0.5 ? '/cdn-cgi/image/width=4096,height=4096,fit=pad,onerror=redirect/shop/photo.jpg' : `/shop/broken.jpg?w=${100 + (n % 500)}&onerror=redirect`;
    return { kind: 'forced refusal', url: forced, headers, forced: true };
  }
  if (r < 0.67) return { kind: 'remote query', url: `/cdn-cgi/image/width=100/${remote}/x.jpg?n=${n}`, headers };
  return { kind: 'hint storm', url: '/cdn-cgi/image/width=auto/photo.jpg', headers: { ...headers, 'sec-ch-width': String(1 + Math.floor(random() * 2000)) } };
}

/** What an attacker's answer tells: a watermark stripped, a render made, a refusal. */
export function answered(request, res, body) {
  counts.attacks++;
  if (res.headers.get('x-cache') === 'MISS') counts.renders++;
  if (res.status === 429) counts.refused++;
  if (request.forced && res.status === 200 && stored.has(sha256(body))) counts.stripped++;
}

/** What must hold after the run, and the figures for BENCHMARKS.md. */
export async function finish(mf, { done, elapsed, memory, statuses }) {
  server.close();
  const writes = (await listKeys(mf, '_variants/')).length;
  const per10k = (n) => ((n * 10_000) / Math.max(1, done)).toFixed(0);
  const failures = [];
  if (counts.stripped) failures.push(`${counts.stripped} forced refusals answered with the stored bytes`);
  const wasm = memory.map((m) => (m.wasm ? (m.wasm / 2 ** 20).toFixed(1) : '—'));
  const lines = [
    `\`SOAK_ATTACKERS=1 npm run soak\` of ${new Date().toISOString().slice(0, 10)}: ${done} requests in ${elapsed.toFixed(0)} s, a third of them from ${ATTACKERS.length} attacking addresses (\`MISS_LIMITER\` ${LIMIT} a minute, \`RENDER_BUDGET=64\`): forced refusals under a \`default_for\` watermark, a remote source with a new query each time, \`width=auto\` with random \`Sec-CH-Width\`.`,
    '',
    '| per 10,000 requests | |',
    '|---|---|',
    `| attackers' requests | ${per10k(counts.attacks)} |`,
    `| renders made for attackers (\`x-cache: MISS\`) | ${per10k(counts.renders)} |`,
    `| attackers refused with 429 | ${per10k(counts.refused)} |`,
    `| origin downloads (all of them attackers') | ${per10k(downloads)} |`,
    `| R2 writes (persisted variants and mezzanines, all traffic) | ${per10k(writes)} |`,
    `| watermark stripped | ${counts.stripped} |`,
    `| 5xx | ${Object.entries(statuses).filter(([k]) => / 5\d\d$/.test(k)).reduce((a, [, v]) => a + v, 0)} |`,
    `| worker wasm memory at each 2,000 requests (MB) | ${wasm.join(', ')} |`,
  ];
  record(lines, SECTION);
  return failures;
}

/** The "Attacker soak" section of BENCHMARKS.md as it stands, for `npm run bench` to carry over. */
export const carried = () => carriedSection(SECTION);
