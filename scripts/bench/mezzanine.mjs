#!/usr/bin/env node
// Mezzanines: the sizes after the first of a large original, made from its stored mezzanine,
// against sharp's decode + resize + encode of the original for each size (what sharp, imgproxy
// and Cloudflare do) and against our own full decode; the first miss's extra cost; quality and
// storage. `npm run bench` includes these tables in BENCHMARKS.md and the rows in its chart;
// alone it prints the tables:
//   node scripts/bench/mezzanine.mjs
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { startWorker, putOriginal, fetchImage, bucketOf, eventually, SAMPLES, UNBOUNDED, FULL_DECODE } from '../../tests/helpers.mjs';
import { ssim, luma } from './ssim.mjs';

const RUNS = 9;
const FIRST_RUNS = 5;
const QUALITY = 80;
const INPUTS = [
  { name: '24 MP JPEG (generated)', file: path.join(SAMPLES, 'big.jpg') },
  { name: '12 MP JPEG (generated)', file: path.join(SAMPLES, 'photo.jpg') },
];
const SIZES = [400, 800, 1200].flatMap((width) => ['jpeg', 'webp'].map((format) => ({ width, format })));

const sorted = (v) => [...v].sort((a, b) => a - b);
const median = (v) => sorted(v)[Math.floor(v.length / 2)];
const since = (t) => Number(process.hrtime.bigint() - t) / 1e6;

async function timed(run) {
  const t = process.hrtime.bigint();
  const value = await run();
  return [since(t), value];
}

async function get(mf, url) {
  const r = await fetchImage(mf, url);
  if (r.status !== 200) throw new Error(`${url}: ${r.status} ${r.text()}`);
  return r;
}

const sharpRun = (bytes, width, format) => sharp(bytes).resize({ width })[format]({ quality: QUALITY }).toBuffer();

/** The original's luma resized in floating point (Pillow, Lanczos on mode F), rounded once. */
export function floatReference(file, width, height) {
  const script = `import sys
from PIL import Image
im = Image.open(sys.argv[1]).convert('L').convert('F').resize((int(sys.argv[2]), int(sys.argv[3])), Image.LANCZOS)
sys.stdout.buffer.write(bytes(max(0, min(255, round(v))) for v in im.getdata()))`;
  const r = spawnSync(process.env.PYTHON ?? 'python3', ['-c', script, file, String(width), String(height)], { maxBuffer: 1 << 26 });
  if (r.status !== 0) return undefined;
  return { data: r.stdout, width, height };
}

const mezzanineOf = async (mf, key) => (await bucketOf(mf)).head(`_variants/${key}/mezzanine`);

/** The first miss with and without a mezzanine made, alternating, each on a new key. */
async function firstMiss(on, off, bytes, tag) {
  const times = { off: [], on: [], stored: [] };
  for (let i = 0; i < FIRST_RUNS; i++) {
    const key = `first/${tag}-${i}.jpg`;
    await putOriginal(off, key, bytes);
    await putOriginal(on, key, bytes);
    times.off.push((await timed(() => get(off, `/${key}?w=400&format=webp`)))[0]);
    const t = process.hrtime.bigint();
    await get(on, `/${key}?w=400&format=webp`);
    times.on.push(since(t));
    await eventually(() => mezzanineOf(on, key), { timeoutMs: 30_000, intervalMs: 5 });
    times.stored.push(since(t));
  }
  return times;
}

export async function benchMezzanine() {
  const on = await startWorker({ vars: { ...UNBOUNDED, DEBUG_HEADERS: 'true' } });
  const off = await startWorker({ vars: FULL_DECODE });
  const later = [];
  const first = [];
  try {
    for (const input of INPUTS) {
      const bytes = readFileSync(input.file);
      const tag = path.basename(input.file, '.jpg');
      const f = await firstMiss(on, off, bytes, tag);
      const key = `later/${tag}.jpg`;
      await putOriginal(on, key, bytes);
      await putOriginal(off, key, bytes);
      await get(on, `/${key}?w=300`);
      const stored = await eventually(() => mezzanineOf(on, key), { timeoutMs: 30_000 });
      first.push({ input, ...f, share: stored.size / bytes.length });
      for (const { width, format } of SIZES) {
        const t = { ours: [], full: [], sharp: [] };
        for (let i = 0; i < RUNS + 1; i++) {
          // A new transform each time (the width steps by a pixel): every request is a miss.
          const url = `/${key}?w=${width + i}&format=${format}&q=${QUALITY}`;
          const [ours, r] = await timed(() => get(on, url));
          if (r.res.headers.get('x-resize-source') !== 'mezzanine') throw new Error(`${url} did not read the mezzanine`);
          const [full] = await timed(() => get(off, url));
          const [peer] = await timed(() => sharpRun(bytes, width + i, format));
          if (i > 0) [t.ours.push(ours), t.full.push(full), t.sharp.push(peer)];
        }
        // Quality at exactly `width`: from the mezzanine, from the original, sharp, and a float reference.
        const url = `/${key}?w=${width}&format=${format}&q=${QUALITY}`;
        const [a, b, s] = [(await get(on, url)).body, (await get(off, url)).body, await sharpRun(bytes, width, format)];
        const [la, lb, ls] = [await luma(sharp, a), await luma(sharp, b), await luma(sharp, s)];
        const reference = floatReference(input.file, la.width, la.height);
        later.push({ input, width, format, ...t, same: ssim(la, lb), mezzanineRef: reference && ssim(la, reference), sharpRef: reference && ssim(ls, reference) });
      }
    }
  } finally {
    await on.dispose();
    await off.dispose();
  }
  const chartRows = later.map((r) => ({
    label: `${r.input.name.replace(/ \(generated\)/, '')} → ${r.width} ${r.format.toUpperCase()}, later size (e2e)`,
    ours: median(r.ours),
    sharp: median(r.sharp),
  }));
  return { table: render(first, later), chartRows };
}

function render(first, later) {
  const ms = (v) => median(v).toFixed(0);
  const x = (a, b) => `${(median(a) / median(b)).toFixed(2)}×`;
  const q = (v) => (v === undefined ? '—' : v.toFixed(4));
  return [
    `Later sizes of a large original, each a miss (a new width each request), medians of ${RUNS}, ms end to end in workerd against sharp's pipeline on the original in Node (one thread), JPEG/WebP q${QUALITY}. SSIM on luma at the exact width: from the mezzanine against our output from the original, and ours (from the mezzanine) and sharp's against a float Lanczos resize of the original (Pillow, mode F).`,
    '',
    '| original | output | from the mezzanine | from the original (ours) | sharp | mezzanine ÷ sharp | mezzanine ÷ original | SSIM vs from original | SSIM vs float ref: ours / sharp |',
    '|---|---|---|---|---|---|---|---|---|',
    ...later.map(
      (r) =>
        `| ${r.input.name} | ${r.width} px ${r.format.toUpperCase()} | ${ms(r.ours)} | ${ms(r.full)} | ${ms(r.sharp)} | **${x(r.ours, r.sharp)}** | ${x(r.ours, r.full)} | ${q(r.same)} | ${q(r.mezzanineRef)} / ${q(r.sharpRef)} |`,
    ),
    '',
    `The first miss (\`?w=400&format=webp\`, a new original each time, medians of ${FIRST_RUNS}): the response, and when the mezzanine is in R2 (encoded and written in \`waitUntil\`).`,
    '',
    '| original | response without mezzanines | response making one | ratio | mezzanine stored after | mezzanine size |',
    '|---|---|---|---|---|---|',
    ...first.map((f) => `| ${f.input.name} | ${ms(f.off)} | ${ms(f.on)} | ${x(f.on, f.off)} | ${ms(f.stored)} | ${(f.share * 100).toFixed(0)}% of the original |`),
  ].join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log((await benchMezzanine()).table);
}
