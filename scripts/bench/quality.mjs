// The quality table of `npm run bench` (issue #36): per photo and width, luma SSIM against the
// original resized in floating point (Pillow, Lanczos on mode F) and bytes, for our worker,
// sharp, wasm-vips and Pillow at the same nominal quality (JPEG and WebP 80, AVIF 50); PNG rows
// score the resize alone. *Ours at sharp's SSIM*: our quality searched (bisection on `q`) until
// our SSIM meets sharp's, our bytes interpolated there: bytes at equal quality, the fair ratio.
// Alone: `node scripts/bench/quality.mjs` (after `npm run bench` built the worker), with
// QUALITY_FORMATS=avif and AVIF_SPEED=… to try one encoder setting.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { startWorker, putOriginal, fetchImage, CORPUS, SAMPLES, FULL_DECODE, existsSync, path } from '../../tests/helpers.mjs';
import { ssim, luma } from './ssim.mjs';
import { floatReference } from './mezzanine.mjs';

const NOMINAL = { jpeg: 80, webp: 80, avif: 50 };
const WIDTHS = [400, 800, 1200];

const photos = () =>
  [
    existsSync(CORPUS) && { name: 'photo 2725×2225 (corpus)', file: path.join(CORPUS, 'photos/2569067123_aca715a2ee_o.jpg') },
    existsSync(CORPUS) && { name: 'gain-map 3840×2160 (corpus)', file: path.join(CORPUS, 'photos/gain-map.jpg') },
    existsSync(CORPUS) && { name: 'flowers 1920×1080 (corpus)', file: path.join(CORPUS, 'photos/flowers.jpeg') },
    { name: 'photo 4000×3000 (generated)', file: path.join(SAMPLES, 'photo.jpg') },
  ].filter((p) => p && existsSync(p.file));

/** Pillow's thumbnail + save (what the Pillow Lambdas do), each output's bytes. */
function pillowOutputs(jobs, dir) {
  const script = `import io, json, sys
from PIL import Image
for job in json.load(sys.stdin):
    try:
        with Image.open(job['file']) as im:
            im.thumbnail((job['width'], 100000), Image.Resampling.LANCZOS)
            if job['format'] == 'jpeg' and im.mode not in ('RGB', 'L'):
                im = im.convert('RGB')
            im.save(job['out'], {'jpeg': 'JPEG', 'webp': 'WEBP', 'avif': 'AVIF', 'png': 'PNG'}[job['format']], quality=job['quality'])
    except (KeyError, OSError, ValueError):
        pass`;
  const list = jobs.map((j, i) => ({ ...j, out: path.join(dir, `pillow-${i}.${j.format}`) }));
  const r = spawnSync(process.env.PYTHON ?? 'python3', ['-c', script], { input: JSON.stringify(list), encoding: 'utf8' });
  return list.map((j) => (r.status === 0 && existsSync(j.out) ? readFileSync(j.out) : undefined));
}

// SSIM that differ by less than this are equal: on flat photos SSIM barely moves with quality, and
// chasing its fifth decimal doubled the bytes (flowers → 1200 px WebP).
const SSIM_TOLERANCE = 0.0001;

/** Our quality for which SSIM first reaches `target`, by bisection; bytes interpolated at `target`. */
async function bytesAtSsim(score, wanted) {
  const target = wanted - SSIM_TOLERANCE;
  let [lo, hi] = [1, 100];
  let [below, above] = [null, null];
  while (lo <= hi) {
    const q = Math.floor((lo + hi) / 2);
    const r = await score(q);
    if (r.ssim >= target) [above, hi] = [r, q - 1];
    else [below, lo] = [r, q + 1];
  }
  if (!above) return undefined; // never reached sharp's quality
  if (!below || above.ssim === below.ssim) return { bytes: above.bytes, q: above.q };
  const t = (target - below.ssim) / (above.ssim - below.ssim);
  return { bytes: below.bytes + t * (above.bytes - below.bytes), q: above.q };
}

export async function benchQuality(sharp, { formats = ['png', 'jpeg', 'webp', 'avif'], vars = {} } = {}) {
  const { default: Vips } = await import('wasm-vips');
  const vips = await Vips({ dynamicLibraries: [] });
  vips.concurrency(1);
  const mf = await startWorker({ vars: { ...FULL_DECODE, ...vars } });
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-quality-'));
  const rows = [];
  try {
    for (const photo of photos()) {
      const bytes = readFileSync(photo.file);
      const key = `quality/${path.basename(photo.file)}`;
      await putOriginal(mf, key, bytes);
      const cases = WIDTHS.flatMap((width) => formats.map((format) => ({ width, format, quality: NOMINAL[format] ?? 80 })));
      const pillow = pillowOutputs(cases.map((c) => ({ file: photo.file, ...c })), dir);
      for (const [i, c] of cases.entries()) {
        const ask = async (q) => {
          const r = await fetchImage(mf, `/${key}?w=${c.width}&format=${c.format}${c.format === 'png' ? '' : `&q=${q}`}`);
          if (r.status !== 200) throw new Error(`${key} ${c.width} ${c.format}: ${r.status} ${r.text()}`);
          const timing = /encode;dur=([\d.]+)/.exec(r.res.headers.get('server-timing') ?? '');
          return { body: r.body, encodeMs: timing ? Number(timing[1]) : undefined };
        };
        const mine = await ask(c.quality);
        const size = await luma(sharp, mine.body);
        const reference = floatReference(photo.file, size.width, size.height);
        const score = async (encoded) => {
          if (!encoded || !reference) return undefined;
          const l = await luma(sharp, encoded);
          return l.width === reference.width && l.height === reference.height ? ssim(l, reference) : undefined;
        };
        const resized = sharp(bytes).resize({ width: c.width });
        const started = performance.now();
        const sharpOut = await (c.format === 'png' ? resized.png() : resized[c.format]({ quality: c.quality })).toBuffer();
        const sharpMs = performance.now() - started;
        let vipsOut;
        try {
          const image = vips.Image.thumbnailBuffer(bytes, c.width);
          vipsOut = Buffer.from(image.writeToBuffer(`.${c.format === 'jpeg' ? 'jpg' : c.format}`, c.format === 'png' ? {} : { Q: c.quality }));
          image.delete();
        } catch {
          vipsOut = undefined; // this wasm-vips build cannot write the format
        }
        const row = {
          name: photo.name, ...c,
          ours: { bytes: mine.body.length, ssim: await score(mine.body), encodeMs: mine.encodeMs },
          sharp: { bytes: sharpOut.length, ssim: await score(sharpOut), ms: sharpMs },
          vips: vipsOut && { bytes: vipsOut.length, ssim: await score(vipsOut) },
          pillow: pillow[i] && { bytes: pillow[i].length, ssim: await score(pillow[i]) },
        };
        if (c.format !== 'png' && row.sharp.ssim !== undefined) {
          row.equal = await bytesAtSsim(async (q) => {
            const out = await ask(q);
            return { q, bytes: out.body.length, ssim: await score(out.body) };
          }, row.sharp.ssim);
        }
        rows.push(row);
        console.log(`quality: ${photo.name} → ${c.width} ${c.format}: ${line(row)}`);
      }
    }
  } finally {
    await mf.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
  return { rows, table: table(rows) };
}

const kb = (b) => (b === undefined ? '—' : (b / 1024).toFixed(1));
const q4 = (v) => (v === undefined ? '—' : v.toFixed(4));
const cell = (r) => (r ? `${kb(r.bytes)} / ${q4(r.ssim)}` : '—');
const equalCell = (r) => (r.equal ? `${kb(r.equal.bytes)} (q${r.equal.q}), ${(r.equal.bytes / r.sharp.bytes).toFixed(2)}×` : r.format === 'png' ? '' : 'not reached');
const line = (r) => `ours ${cell(r.ours)} (encode ${r.ours.encodeMs} ms), sharp ${cell(r.sharp)} (${r.sharp.ms?.toFixed(0)} ms whole), wasm-vips ${cell(r.vips)}, Pillow ${cell(r.pillow)} ${equalCell(r)}`;

function table(rows) {
  return [
    'KB / luma SSIM against a float Lanczos resize of the original; JPEG and WebP at quality 80, AVIF 50, PNG the resize alone. *Ours at sharp\'s SSIM*: our bytes at the quality where our SSIM meets sharp\'s within 0.0001 (bisection on `q`, bytes interpolated), and their ratio to sharp\'s bytes.',
    '',
    '| case | ours | sharp | wasm-vips | Pillow | ours at sharp\'s SSIM |',
    '|---|---|---|---|---|---|',
    ...rows.map((r) => `| ${r.name} → ${r.width} px ${r.format.toUpperCase()} | ${cell(r.ours)} | ${cell(r.sharp)} | ${cell(r.vips)} | ${cell(r.pillow)} | ${equalCell(r)} |`),
  ].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { default: sharp } = await import('sharp');
  sharp.concurrency(1);
  const formats = process.env.QUALITY_FORMATS?.split(',');
  const vars = process.env.AVIF_SPEED ? { AVIF_SPEED: process.env.AVIF_SPEED } : {};
  const { table: t } = await benchQuality(sharp, { formats, vars });
  console.log(t);
  if (process.env.QUALITY_OUT) writeFileSync(process.env.QUALITY_OUT, t);
}
