// How cost grows (part of `npm run bench`): pipeline time and peak memory against source size
// (1, 4, 12, 24, 50 MP) and output width (200, 400, 1200, 2400 px), ours against sharp, so the
// shape of the curve shows, not one point. Writes curve.svg and returns a Markdown table.
//
// Sources: the generated 24 MP sample resized by sharp to each size, written as baseline JPEG
// (q90, 4:2:0), and the 24 MP one also as a libjpeg progressive file. Ours: decode + resize + encode
// from `Server-Timing` (a new width every request, so never a cache hit) and the wasm memory's
// high-water mark after the first request on a fresh instance. sharp: decode + resize + encode from
// a buffer, one thread, alternating with ours; its memory is the peak RSS of a child process doing
// that one transform, above the same process having loaded sharp and read the file.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { startWorker, putOriginal, fetchImage, SAMPLES, ROOT, FULL_DECODE } from '../../tests/helpers.mjs';

const SOURCES_MP = [1, 4, 12, 24, 50];
const WIDTHS = [200, 400, 1200, 2400];
const RUNS = 5;
const QUALITY = 80;

const median = (v) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];

async function makeSources(sharp) {
  const big = readFileSync(path.join(SAMPLES, 'big.jpg'));
  const sources = [];
  for (const mp of SOURCES_MP) {
    const width = Math.round(Math.sqrt(mp * 1e6 * 1.5));
    const height = Math.round(width / 1.5);
    const file = path.join(ROOT, 'target', `curve-${mp}mp.jpg`);
    writeFileSync(file, await sharp(big).resize(width, height).jpeg({ quality: 90 }).toBuffer());
    sources.push({ label: `${mp} MP`, mp, width, height, file });
    if (mp === 24) {
      const progressive = path.join(ROOT, 'target', 'curve-24mp-progressive.jpg');
      writeFileSync(progressive, await sharp(big).jpeg({ quality: 90, progressive: true }).toBuffer());
      sources.push({ label: '24 MP progressive', mp, width, height, file: progressive, progressive: true });
    }
  }
  return sources;
}

/** sharp's peak memory for one transform, in a child process (RSS above its state before it). */
export function sharpPeak(file, width) {
  const script = `
    const sharp = require('sharp'); sharp.concurrency(1); sharp.cache(false);
    const bytes = require('fs').readFileSync(${JSON.stringify(file)});
    // VmHWM, not getrusage's maxRSS: that one is inherited from the parent across fork and exec.
    const peak = () => Number(/VmHWM:\\s+(\\d+) kB/.exec(require('fs').readFileSync('/proc/self/status', 'utf8'))[1]) * 1024;
    sharp({ create: { width: 8, height: 8, channels: 3, background: '#000' } }).jpeg().toBuffer().then(async () => {
      const before = peak();
      await sharp(bytes).resize({ width: ${width}, withoutEnlargement: true }).jpeg({ quality: ${QUALITY} }).toBuffer();
      console.log(peak() - before);
    });`;
  const r = spawnSync(process.execPath, ['-e', script], { cwd: ROOT, encoding: 'utf8' });
  return r.status === 0 ? Number(r.stdout.trim()) : undefined;
}

async function measure(source, width, sharp) {
  const bytes = readFileSync(source.file);
  const mf = await startWorker({ vars: { ...FULL_DECODE, DEBUG_HEADERS: 'true' } });
  try {
    await putOriginal(mf, 'src.jpg', bytes);
    const first = await fetchImage(mf, `/src.jpg?w=${width}&format=jpeg&q=${QUALITY}`);
    if (first.status !== 200) return { status: first.status, sharpMs: undefined };
    const memory = Number(/wasm=(\d+)/.exec(first.res.headers.get('x-memory'))[1]);
    const [ours, theirs] = [[], []];
    for (let i = 1; i <= RUNS; i++) {
      const r = await fetchImage(mf, `/src.jpg?w=${width + i}&format=jpeg&q=${QUALITY}`);
      const t = (r.res.headers.get('server-timing').match(/(decode|resize|encode);dur=([\d.]+)/g) ?? []).map((m) => Number(m.split('dur=')[1]));
      ours.push(t.reduce((a, b) => a + b, 0));
      const start = process.hrtime.bigint();
      await sharp(bytes).resize({ width: width + i, withoutEnlargement: true }).jpeg({ quality: QUALITY }).toBuffer();
      theirs.push(Number(process.hrtime.bigint() - start) / 1e6);
    }
    return { status: 200, oursMs: median(ours), sharpMs: median(theirs), memory, estimate: Number(first.res.headers.get('x-memory-estimate')) };
  } finally {
    await mf.dispose();
  }
}

export async function benchCurve(sharp) {
  const sources = await makeSources(sharp);
  const rows = [];
  for (const source of sources) {
    for (const width of WIDTHS) {
      const r = await measure(source, width, sharp);
      if (r.status !== 200) {
        const start = process.hrtime.bigint();
        await sharp(readFileSync(source.file)).resize({ width, withoutEnlargement: true }).jpeg({ quality: QUALITY }).toBuffer();
        r.sharpMs = Number(process.hrtime.bigint() - start) / 1e6;
      }
      r.sharpMemory = sharpPeak(source.file, width);
      rows.push({ source, width, ...r });
      console.log(`curve ${source.label} → ${width}: ours ${r.status === 200 ? `${r.oursMs.toFixed(0)} ms, ${mb(r.memory)} MB` : r.status}; sharp ${r.sharpMs.toFixed(0)} ms, ${mb(r.sharpMemory)} MB`);
    }
  }
  writeFileSync(path.join(ROOT, 'curve.svg'), curveChart(rows));
  writeFileSync(path.join(ROOT, 'target', 'curve-rows.json'), JSON.stringify(rows));
  return curveTable(rows);
}

const mb = (b) => (b === undefined ? '—' : (b / 2 ** 20).toFixed(1));

function curveTable(rows) {
  const lines = [
    '| source | output width | ours: pipeline ms | sharp ms | ours / sharp | ours: wasm peak MB (estimate) | sharp: peak RSS above idle MB |',
    '|---|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    const name = `${r.source.label} (${r.source.width}×${r.source.height})`;
    if (r.status !== 200) {
      lines.push(`| ${name} | ${r.width} | ${r.status} (over the 64 MB budget) | ${r.sharpMs.toFixed(0)} | — | — | ${mb(r.sharpMemory)} |`);
    } else {
      lines.push(`| ${name} | ${r.width} | ${r.oursMs.toFixed(0)} | ${r.sharpMs.toFixed(0)} | ${(r.oursMs / r.sharpMs).toFixed(2)}× | ${mb(r.memory)} (${mb(r.estimate)}) | ${mb(r.sharpMemory)} |`);
    }
  }
  return lines.join('\n');
}

/** Two panels: time and memory against source megapixels, a line per output width, ours solid, sharp dashed. */
export function curveChart(rows) {
  const [W, H, PAD, GAP] = [380, 260, 50, 60];
  const colours = { 200: '#2b6cb0', 400: '#38a169', 1200: '#dd8a2b', 2400: '#c53030' };
  const baseline = rows.filter((r) => !r.source.progressive);
  const panel = (x0, title, ours, theirs, unit) => {
    const values = baseline.flatMap((r) => [ours(r), theirs(r)]).filter(Number.isFinite);
    const max = Math.max(1, ...values) * 1.05;
    const x = (mp) => x0 + PAD + (mp / 50) * (W - PAD - 10);
    const y = (v) => 40 + (H - 40) * (1 - v / max);
    const out = [`<text x="${x0 + PAD}" y="28" font-weight="600">${title}</text>`];
    for (let k = 0; k <= 4; k++) {
      const v = (max * k) / 4;
      out.push(`<line x1="${x0 + PAD}" x2="${x0 + W - 10}" y1="${y(v)}" y2="${y(v)}" stroke="#e2e8f0"/>`);
      out.push(`<text x="${x0 + PAD - 6}" y="${y(v) + 4}" text-anchor="end" fill="#5a6478">${v.toFixed(0)}</text>`);
    }
    for (const mp of SOURCES_MP) out.push(`<text x="${x(mp)}" y="${H + 16}" text-anchor="middle" fill="#5a6478">${mp}</text>`);
    out.push(`<text x="${x0 + PAD + (W - PAD) / 2}" y="${H + 32}" text-anchor="middle" fill="#5a6478">source megapixels (${unit})</text>`);
    for (const width of WIDTHS) {
      // One polyline per run of measured points: a refused case breaks the line.
      const line = (get, dash) => {
        const runs = [[]];
        for (const r of baseline.filter((r) => r.width === width)) {
          if (Number.isFinite(get(r))) runs[runs.length - 1].push(`${x(r.source.mp).toFixed(1)},${y(get(r)).toFixed(1)}`);
          else runs.push([]);
        }
        const style = `fill="none" stroke="${colours[width]}" stroke-width="2"${dash ? ' stroke-dasharray="5 4"' : ''}`;
        return runs.filter((pts) => pts.length).map((pts) => (pts.length === 1 ? `<circle cx="${pts[0].split(',')[0]}" cy="${pts[0].split(',')[1]}" r="3" fill="${colours[width]}"/>` : `<polyline points="${pts.join(' ')}" ${style}/>`)).join('\n');
      };
      out.push(line(ours, false), line(theirs, true));
    }
    return out.join('\n');
  };
  const width = 2 * W + GAP + 20;
  const height = H + 80;
  const legend = WIDTHS.map((w, i) => `<rect x="${60 + i * 110}" y="${height - 18}" width="12" height="4" fill="${colours[w]}"/><text x="${76 + i * 110}" y="${height - 12}">${w} px</text>`).join('');
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    panel(0, 'pipeline time, ms (ours solid, sharp dashed)', (r) => r.oursMs, (r) => r.sharpMs, 'ms'),
    panel(W + GAP, 'peak memory, MB (ours: wasm; sharp: RSS)', (r) => (r.memory === undefined ? NaN : r.memory / 2 ** 20), (r) => (r.sharpMemory === undefined ? NaN : r.sharpMemory / 2 ** 20), 'MB'),
    legend,
    `<text x="${60 + 4 * 110}" y="${height - 12}" fill="#5a6478">baseline JPEG → JPEG; gaps: ours answers 413</text>`,
    '</svg>',
  ].join('\n');
}
