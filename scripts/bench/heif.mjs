// HEIF input (part of `npm run bench`): AVIF through dav1d and HEIC through libde265, each a wasm
// module of its own, against sharp (AVIF; its prebuilt libvips has no HEVC) and Pillow with
// pillow-heif (both; libheif over dav1d/libaom and libde265, natively). Each file → 400 px JPEG q80:
// our pipeline time (`Server-Timing`: decode, then resize + encode), alternating with sharp; the
// decoder module's and our own wasm memory after the first request on a fresh instance.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startWorker, putOriginal, fetchImage, CORPUS, SAMPLES, ROOT, FULL_DECODE } from '../../tests/helpers.mjs';

const RUNS = 7;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const timing = (res, name) => Number(new RegExp(`${name};dur=([\\d.]+)`).exec(res.headers.get('server-timing') ?? '')?.[1] ?? NaN);
const fmt = (v) => (v === undefined || Number.isNaN(v) ? '—' : v < 10 ? v.toFixed(1) : v.toFixed(0));

async function cases(sharp, dir) {
  const list = [];
  for (const width of [1200, 4000]) {
    const file = path.join(dir, `photo-${width}.avif`);
    const height = Math.round((width * 3) / 4);
    const avif = await sharp(path.join(SAMPLES, 'photo.jpg')).resize(width, height, { fit: 'fill' }).avif({ quality: 60, effort: 2, chromaSubsampling: '4:2:0' }).toFile(file);
    list.push({ name: `AVIF ${width}×${height} 4:2:0 (sharp-made)`, file, type: 'image/avif', bytes: avif.size });
  }
  execFileSync('python3', [path.join(ROOT, 'scripts', 'fixtures', 'heif.py'), path.join(SAMPLES, 'photo.jpg'), dir, '1200', '4000']);
  for (const width of [1200, 4000]) {
    list.push({ name: `HEIC ${width}×${Math.round((width * 3) / 4)} one picture (x265-made)`, file: path.join(dir, `photo-${width}.heic`), type: 'image/heic' });
  }
  for (const [rel, type, what] of [['heic/example.avif', 'image/avif', 'AVIF 800×533'], ['edge-cases/pitm.avif', 'image/avif', 'AVIF grid 4096×800'], ['heic/example.heic', 'image/heic', 'HEIC grid 1280×854']]) {
    if (existsSync(path.join(CORPUS, rel))) list.push({ name: `${what} (corpus ${path.basename(rel)})`, file: path.join(CORPUS, rel), type });
  }
  return list;
}

function pillowTimes(list) {
  const input = JSON.stringify(list.map((c) => ({ file: c.file, width: 400, format: 'jpeg', quality: 80 })));
  const r = spawnSync(process.env.PYTHON ?? 'python3', [path.join(ROOT, 'scripts', 'bench', 'pillow.py')], { input, encoding: 'utf8', maxBuffer: 1 << 24 });
  return r.status === 0 ? JSON.parse(r.stdout).results : list.map(() => null);
}

export async function benchHeif(sharp) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'eir-heif-'));
  const vars = { HEIC: 'true', HEIF_MEMORY_BUDGET_MB: '100', DEBUG_HEADERS: 'true' };
  try {
    const list = await cases(sharp, dir);
    const pillow = pillowTimes(list);
    const rows = [];
    for (const [i, c] of list.entries()) {
      c.key = `source${path.extname(c.file)}`;
      const bytes = readFileSync(c.file);
      // Memory: the first request on a fresh instance.
      const fresh = await startWorker({ vars: { ...FULL_DECODE, ...vars } });
      let memory;
      try {
        await putOriginal(fresh, c.key, bytes, c.type);
        const first = await fetchImage(fresh, `/${c.key}?w=400&format=jpeg&q=80`);
        if (first.status !== 200) throw new Error(`${c.name}: ${first.status} ${first.text()}`);
        const m = /wasm=(\d+), webp=\d+, av1=(\d+), hevc=(\d+)/.exec(first.res.headers.get('x-memory'));
        memory = { ours: Number(m[1]), decoder: Math.max(Number(m[2]), Number(m[3])) };
      } finally {
        await fresh.dispose();
      }
      const mf = await startWorker({ vars: { ...FULL_DECODE, ...vars } });
      const decode = [];
      const pipeline = [];
      const peer = [];
      try {
        await putOriginal(mf, c.key, bytes, c.type);
        await fetchImage(mf, `/${c.key}?w=399&format=jpeg&q=80`); // warm-up
        for (let run = 0; run < RUNS; run++) {
          // A different width each time: a miss, never a cache hit.
          const r = await fetchImage(mf, `/${c.key}?w=${400 + run}&format=jpeg&q=80`);
          decode.push(timing(r.res, 'decode'));
          pipeline.push(timing(r.res, 'decode') + timing(r.res, 'resize') + timing(r.res, 'encode'));
          if (sharp && c.type === 'image/avif') {
            const t = performance.now();
            await sharp(bytes).resize(400).jpeg({ quality: 80 }).toBuffer();
            peer.push(performance.now() - t);
          }
        }
      } finally {
        await mf.dispose();
      }
      const ours = median(pipeline);
      const sharpMs = peer.length ? median(peer) : undefined;
      const pil = pillow[i]?.median;
      const ratio = (b) => (b ? `${(ours / b).toFixed(2)}×` : '—');
      rows.push(`| ${c.name} | ${(bytes.length / 1024).toFixed(0)} KB | ${fmt(median(decode))} | ${fmt(ours)} | ${fmt(sharpMs)} | ${fmt(pil)} | ${ratio(sharpMs)} | ${ratio(pil)} | ${(memory.decoder / 2 ** 20).toFixed(1)} | ${(memory.ours / 2 ** 20).toFixed(1)} |`);
      console.log(rows.at(-1));
    }
    const size = (f) => `${(readFileSync(f).length / 1024).toFixed(0)} KB raw, ${(Number(execFileSync('bash', ['-c', `gzip -9c '${f}' | wc -c`]).toString()) / 1024).toFixed(0)} KB gzip`;
    return [
      `Decoder modules: dav1d ${size(path.join(ROOT, 'build', 'dav1d.wasm'))}; libde265 ${size(path.join(ROOT, 'build', 'de265.wasm'))}.`,
      '',
      '| source → 400 px JPEG | file | ours: decode | ours: pipeline | sharp | Pillow + pillow-heif | pipeline / sharp | pipeline / Pillow | decoder module memory (MB) | our wasm memory (MB) |',
      '|---|---|---|---|---|---|---|---|---|---|',
      ...rows,
    ].join('\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
