// HDR gain maps (part of `npm run bench`; alone: `node scripts/bench/hdr.mjs`, which prints its
// table). A gain-map JPEG → 400 and 1200 px JPEG q80, the map kept (the default) and dropped
// (`hdr=false`): our pipeline time (`Server-Timing`: decode + resize + encode, the map's work
// inside encode) and the miss end to end, the output's bytes and the map's share of them, and the
// SDR picture's luma SSIM against a float Lanczos resize of the full decode; alternating with sharp
// (which drops the map: sharp 0.34 has no gain-map support).
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { startWorker, putOriginal, fetchImage, CORPUS, SAMPLES, FULL_DECODE } from '../../tests/helpers.mjs';
import { split } from '../../tests/support/gainmap.mjs';
import { floatReference } from './mezzanine.mjs';
import { ssim, luma } from './ssim.mjs';

const RUNS = 9;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const timing = (res, name) => Number(new RegExp(`${name};dur=([\\d.]+)`).exec(res.headers.get('server-timing') ?? '')?.[1] ?? NaN);
const ms = (v) => (v < 10 ? v.toFixed(1) : v.toFixed(0));

export async function benchHdr(sharp) {
  const sources = [
    existsSync(path.join(CORPUS, 'photos/gain-map.jpg')) ? { name: 'Ultra HDR 3840×2160, 960×540 map (corpus)', file: path.join(CORPUS, 'photos/gain-map.jpg') } : null,
    { name: 'Ultra HDR 2400×1600, 600×400 map (generated `hdr.jpg`)', file: path.join(SAMPLES, 'hdr.jpg') },
  ].filter(Boolean);
  const mf = await startWorker({ vars: { ...FULL_DECODE } });
  const rows = [];
  try {
    for (const [i, s] of sources.entries()) {
      const bytes = readFileSync(s.file);
      const key = `hdr-${i}.jpg`;
      await putOriginal(mf, key, bytes, 'image/jpeg');
      for (const width of [400, 1200]) {
        const cells = {};
        const meta = await sharp(bytes).metadata();
        const height = Math.round((meta.height * width) / meta.width);
        const reference = floatReference(s.file, width, height);
        const score = async (encoded) => {
          const l = await luma(sharp, encoded);
          return reference && l.width === reference.width && l.height === reference.height ? ssim(l, reference) : undefined;
        };
        for (const [label, extra] of [['kept', ''], ['dropped', '&hdr=false']]) {
          const [times, ends, peer] = [[], [], []];
          let [last, theirs] = [undefined, undefined];
          await fetchImage(mf, `/${key}?w=${width - 1}&q=80${extra}`); // warm-up
          for (let run = 0; run < RUNS; run++) {
            // A different width each time (a miss); the bytes are those of the last, at `width`.
            const w = run === RUNS - 1 ? width : width + 1 + run;
            const t0 = performance.now();
            const r = await fetchImage(mf, `/${key}?w=${w}&q=80${extra}`);
            ends.push(performance.now() - t0);
            if (r.status !== 200) throw new Error(`${s.name} ${w}: ${r.status} ${r.text()}`);
            times.push(timing(r.res, 'decode') + timing(r.res, 'resize') + timing(r.res, 'encode'));
            last = r.body;
            if (sharp && label === 'dropped') {
              const t = performance.now();
              theirs = await sharp(bytes).resize(w).jpeg({ quality: 80 }).toBuffer();
              peer.push(performance.now() - t);
            }
          }
          const parts = split(Buffer.from(last));
          cells[label] = {
            ms: median(times),
            end: median(ends),
            bytes: last.length,
            map: parts ? parts.map.length : 0,
            ssim: await score(Buffer.from(last)),
            sharp: peer.length ? { ms: median(peer), bytes: theirs.length, ssim: await score(theirs) } : undefined,
          };
        }
        const { kept, dropped } = cells;
        const q = (v) => (v === undefined ? '—' : v.toFixed(4));
        const peerCells = dropped.sharp ? [ms(dropped.sharp.ms), (dropped.sharp.bytes / 1024).toFixed(1), q(dropped.sharp.ssim)] : ['—', '—', '—'];
        rows.push(
          `| ${s.name} → ${width} px | ${ms(kept.ms)} | ${ms(kept.end)} | ${ms(dropped.ms)} | ${ms(dropped.end)} | ${(kept.ms / dropped.ms).toFixed(2)}× | ${(kept.bytes / 1024).toFixed(1)} (map ${(kept.map / 1024).toFixed(1)}) | ${(dropped.bytes / 1024).toFixed(1)} | ${q(kept.ssim)} | ${peerCells.join(' | ')} |`,
        );
        console.log(rows.at(-1));
      }
    }
  } finally {
    await mf.dispose();
  }
  return [
    '| gain-map JPEG → JPEG q80 | ours, map kept: pipeline (ms) | … miss end to end (ms) | ours, `hdr=false`: pipeline | … end to end | kept / dropped (pipeline) | bytes kept (KB) | bytes dropped (KB) | SSIM ours (SDR picture) | sharp, map dropped (ms) | sharp (KB) | SSIM sharp |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...rows,
  ].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { default: sharp } = await import('sharp');
  console.log(await benchHdr(sharp));
}
