// The libraries a Workers developer reaches for instead of us, in Node, on the main table's JPEG
// inputs: @cf-wasm/photon (photon-rs packaged for Workers: decode, Lanczos3 resize, JPEG encode)
// and wasm-vips (libvips in wasm: `thumbnailBuffer`, shrink-on-load and Lanczos3 as sharp, with
// `concurrency(1)`), beside sharp in the same run; each decode + resize + encode at q80, medians
// of RUNS. SSIM on luma against the original resized in floating point (Pillow, Lanczos on mode
// F), for ours (the worker's output for the same case) and every peer. photon writes WebP
// losslessly only, so it is timed on JPEG outputs. `npm run bench` includes this table and adds
// the peers to bench.svg.
import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import * as photon from '@cf-wasm/photon/node';
import Vips from 'wasm-vips';
import { ssim, luma } from './ssim.mjs';
import { floatReference } from './mezzanine.mjs';

const RUNS = 7;

const median = (v) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];

async function timed(run) {
  const times = [];
  let last;
  for (let i = 0; i < RUNS + 1; i++) {
    const t = process.hrtime.bigint();
    last = await run();
    if (i > 0) times.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  return { median: median(times), last };
}

function photonRun(bytes, width) {
  const img = photon.PhotonImage.new_from_byteslice(new Uint8Array(bytes));
  const height = Math.max(1, Math.round((img.get_height() * width) / img.get_width()));
  const out = photon.resize(img, width, height, photon.SamplingFilter.Lanczos3);
  const jpeg = out.get_bytes_jpeg(80);
  img.free();
  out.free();
  return Buffer.from(jpeg);
}

/**
 * `cases`: [{ name, file, width, format, ours }] with `ours` our output's bytes (JPEG and WebP
 * only). Returns the table and, per case, the peers' medians for the chart.
 */
export async function benchPeers(cases) {
  const vips = await Vips({ dynamicLibraries: [] });
  vips.concurrency(1);
  const rows = [];
  for (const c of cases) {
    const bytes = readFileSync(c.file);
    const vipsRun = () => {
      const image = vips.Image.thumbnailBuffer(bytes, c.width);
      const out = image.writeToBuffer(`.${c.format === 'jpeg' ? 'jpg' : 'webp'}`, { Q: 80 });
      image.delete();
      return Buffer.from(out);
    };
    const sharpRun = () => sharp(bytes).resize({ width: c.width })[c.format]({ quality: 80 }).toBuffer();
    const row = { c, sharp: await timed(sharpRun), vips: await timed(vipsRun) };
    if (c.format === 'jpeg') row.photon = await timed(() => photonRun(bytes, c.width));
    const ours = await luma(sharp, c.ours);
    const reference = floatReference(c.file, ours.width, ours.height);
    const score = async (encoded) => {
      if (!encoded || !reference) return undefined;
      const l = await luma(sharp, encoded);
      return l.width === reference.width && l.height === reference.height ? ssim(l, reference) : undefined;
    };
    row.ssim = { ours: await score(c.ours), sharp: await score(row.sharp.last), vips: await score(row.vips.last), photon: await score(row.photon?.last) };
    rows.push(row);
  }
  const ms = (r) => (r ? r.median.toFixed(0) : '—');
  const q = (v) => (v === undefined ? '—' : v.toFixed(4));
  const x = (a, b) => (a && b ? `${(a / b.median).toFixed(2)}×` : '—');
  const table = [
    `Medians of ${RUNS} in Node, one thread each, ms (ours: the worker's pipeline time from the main table). SSIM: luma against a float Lanczos resize of the original.`,
    '',
    '| case | ours: pipeline | wasm-vips | photon | sharp | ours ÷ wasm-vips | ours ÷ photon | SSIM ours / wasm-vips / photon / sharp |',
    '|---|---|---|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.c.name} → ${r.c.width} px ${r.c.format.toUpperCase()} | ${r.c.pipeline.toFixed(0)} | ${ms(r.vips)} | ${ms(r.photon)} | ${ms(r.sharp)} | ${x(r.c.pipeline, r.vips)} | ${x(r.c.pipeline, r.photon)} | ${q(r.ssim.ours)} / ${q(r.ssim.vips)} / ${q(r.ssim.photon)} / ${q(r.ssim.sharp)} |`,
    ),
  ];
  return { table: table.join('\n'), byCase: new Map(rows.map((r) => [r.c.key, { vips: r.vips.median, photon: r.photon?.median }])) };
}
