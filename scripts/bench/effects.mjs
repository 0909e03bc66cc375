#!/usr/bin/env node
// Cloudflare's effects against sharp's nearest operation, on the same photo at 400 px, written as
// PNG. SSIM (mean of the R, G and B channels, 8×8 windows) compares the effects alone: sharp
// applies its operation to *our* plain 400 px resize, so the two resizers' small differences do
// not count. Times are each side's whole pipeline (ours from Server-Timing, sharp's decode +
// resize + effect + encode), alternating request by request. `npm run bench` includes this table in BENCHMARKS.md;
// alone it prints it:   node scripts/bench/effects.mjs
import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startWorker, putOriginal, fetchImage, CORPUS, SAMPLES, FULL_DECODE } from '../../tests/helpers.mjs';
import { ssim } from './ssim.mjs';

const RUNS = 9;
const WIDTH = 400;

/** [option, what ours does, sharp's operation on a resized image, why they may differ]. */
const EFFECTS = [
  ['blur=20', 'Gaussian sigma 10 (3 box passes)', (s) => s.blur(10), ''],
  ['sharpen=2', 'unsharp mask, sigma 1, amount 1', (s) => s.sharpen({ sigma: 1 }), "libvips sharpens L* with its own slopes (m1=1, m2=2), ours each sRGB channel"],
  ['brightness=1.5', 'light × 1.5 in linear light', (s) => s.modulate({ brightness: 1.5 }), 'sharp multiplies L* (perceptual lightness), ours the light itself: the same mid-grey gets brighter with sharp'],
  ['contrast=1.5', '(v − ½)·1.5 + ½ on sRGB', (s) => s.linear(1.5, -0.5 * 255 * 0.5), ''],
  ['saturation=0', 'linear-light luminance grey', (s) => s.greyscale(), "libvips' greyscale weights differ slightly"],
  ['saturation=2', 'chroma × 2 in linear light', (s) => s.modulate({ saturation: 2 }), 'sharp scales LCh chroma'],
  ['gamma=2', 'v² on sRGB (Cloudflare: > 1 darkens)', null, 'sharp has no tone-curve gamma (its `gamma()` only linearises around the resize)'],
  ['border=red;8', '8 px red frame after the resize', (s) => s.extend({ top: 8, bottom: 8, left: 8, right: 8, background: '#ff0000' }), ''],
];

const median = (v) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];

const pipelineMs = (timing) => ['decode', 'resize', 'encode'].reduce((t, step) => t + Number(new RegExp(`${step};dur=([\\d.]+)`).exec(timing)?.[1] ?? 0), 0);

export async function benchEffects(sharp) {
  if (!sharp) return 'sharp did not run: no comparison.';
  sharp.concurrency(1);
  sharp.cache(false);
  const file = existsSync(CORPUS) ? path.join(CORPUS, 'photos/2569067123_aca715a2ee_o.jpg') : path.join(SAMPLES, 'photo.jpg');
  const source = readFileSync(file);
  const raw = async (png) => {
    const { data, info } = await sharp(png).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    return { data, width: info.width, height: info.height };
  };
  const mf = await startWorker({ vars: FULL_DECODE });
  const rows = [];
  try {
    await putOriginal(mf, 'effects.jpg', source);
    const plain = await fetchImage(mf, `/effects.jpg?w=${WIDTH}&format=png`);
    for (const [option, ours, peerOp, why] of EFFECTS) {
      const [oursMs, peerMs] = [[], []];
      let ourPng = null;
      for (let i = 0; i < RUNS; i++) {
        // A different width each time is a different variant: every request is a miss.
        const r = await fetchImage(mf, `/effects.jpg?w=${WIDTH - i}&format=png&${option}`);
        if (r.status !== 200) throw new Error(`${option}: ${r.status}`);
        oursMs.push(pipelineMs(r.res.headers.get('server-timing')));
        if (i === 0) ourPng = r.body;
        if (peerOp) {
          const t = process.hrtime.bigint();
          await peerOp(sharp(source).resize(WIDTH - i)).png({ compressionLevel: 1 }).toBuffer();
          peerMs.push(Number(process.hrtime.bigint() - t) / 1e6);
        }
      }
      const peerOnOurs = peerOp ? await peerOp(sharp(plain.body)).png().toBuffer() : null;
      const score = peerOnOurs ? ssim(await raw(ourPng), await raw(peerOnOurs), 3) : undefined;
      rows.push({ option, ours, why, ssim: score, ours_ms: median(oursMs), peer_ms: peerMs.length ? median(peerMs) : undefined });
    }
  } finally {
    await mf.dispose();
  }
  const f = (v, d = 0) => (v === undefined ? '—' : v.toFixed(d));
  return [
    `Source: ${path.basename(file)} → ${WIDTH} px PNG, medians of ${RUNS}.`,
    '',
    '| option | ours | SSIM against sharp | ours: pipeline (ms) | sharp (ms) | ours / sharp | why they differ |',
    '|---|---|---|---|---|---|---|',
    ...rows.map((r) => {
      const met = r.ssim === undefined ? '' : r.ssim >= 0.98 ? ' ✓' : '';
      const ratio = r.peer_ms ? `${(r.ours_ms / r.peer_ms).toFixed(2)}×` : '—';
      return `| \`${r.option}\` | ${r.ours} | ${f(r.ssim, 4)}${met} | ${f(r.ours_ms, 1)} | ${f(r.peer_ms, 1)} | ${ratio} | ${r.why || '—'} |`;
    }),
  ].join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const sharp = (await import('sharp')).default;
  console.log(await benchEffects(sharp));
}
