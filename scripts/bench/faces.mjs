#!/usr/bin/env node
// `gravity=face` and SVG lettering: what the detector costs a miss (12 MP and 800 px photos of
// people, against gravity=auto and center on the same requests), how often a tight crop keeps a
// whole face against the saliency and centre crops (faces marked by hand), and lettering against
// librsvg (sharp). `npm run bench` puts the tables in BENCHMARKS.md; alone it prints them:
//   node scripts/bench/faces.mjs
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { startWorker, putOriginal, fetchImage, ROOT, UNBOUNDED } from '../../tests/helpers.mjs';

const RUNS = 9;
const PEOPLE = path.join(ROOT, 'tests', 'fixtures', 'people');
// Brow to chin, marked by hand (tests/fixtures/people/SOURCES.md).
const PHOTOS = [
  { file: 'two_people.jpg', faces: [[160, 30, 275, 165], [550, 30, 675, 165]] },
  { file: 'obama_and_biden.jpg', faces: [[300, 140, 390, 250], [448, 135, 545, 245]] },
];
// Tight crops: bands across the whole width or height of the photo, as `fit=cover` makes them.
const SHAPES = [[800, 100], [800, 150], [800, 200], [600, 200], [400, 200], [100, 400], [150, 400], [200, 400], [250, 400], [300, 400]];
const GRAVITIES = ['face', 'auto', 'center'];

const median = (v) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
const since = (t) => Number(process.hrtime.bigint() - t) / 1e6;

async function get(mf, url) {
  const r = await fetchImage(mf, url);
  if (r.status !== 200) throw new Error(`${url}: ${r.status} ${r.text()}`);
  return r;
}

const raw = async (input, resize) => {
  let s = sharp(input).removeAlpha();
  if (resize) s = s.resize(resize.width, resize.height, { fit: 'fill' });
  return s.raw().toBuffer({ resolveWithObject: true });
};

/** The crop window of a band output in the photo's pixels, found by matching along the free axis. */
async function locate(photo, band, W, H) {
  const across = band.info.width / band.info.height >= W / H; // full width, free vertically
  const [ww, wh] = across ? [W, Math.round((W * band.info.height) / band.info.width)] : [Math.round((H * band.info.width) / band.info.height), H];
  const scaled = (await raw(band.input, { width: ww, height: wh })).data;
  let best = { at: 0, d: Infinity };
  for (let at = 0; at + (across ? wh : ww) <= (across ? H : W); at += 2) {
    let d = 0;
    for (let y = 0; y < wh; y += 3) {
      for (let x = 0; x < ww; x += 3) {
        const [sx, sy] = across ? [x, y + at] : [x + at, y];
        d += Math.abs(scaled[(y * ww + x) * 3 + 1] - photo.data[(sy * W + sx) * 3 + 1]);
      }
    }
    if (d < best.d) best = { at, d };
  }
  return across ? [0, best.at, W, best.at + wh] : [best.at, 0, best.at + ww, H];
}

const holds = (w, f) => w[0] <= f[0] + 2 && w[1] <= f[1] + 2 && f[2] <= w[2] + 2 && f[3] <= w[3] + 2;

export async function benchFaces() {
  const mf = await startWorker({ vars: UNBOUNDED });
  try {
    // Cost: the two-people photo enlarged to 12 MP, as it is (800 px) and as a thumbnail (240 px).
    const small = readFileSync(path.join(PEOPLE, 'two_people.jpg'));
    const large = await sharp(small).resize(4520).jpeg({ quality: 90 }).toBuffer();
    const thumbnail = await sharp(small).resize(240).jpeg({ quality: 90 }).toBuffer();
    const cost = [];
    const inputs = [['12 MP photo of two people (4520×2656)', large, 400], ['800 px photo of two people', small, 400], ['240 px thumbnail of it', thumbnail, 120]];
    for (const [name, bytes, side] of inputs) {
      const key = `faces/${cost.length}.jpg`;
      await putOriginal(mf, key, bytes);
      const t = {};
      for (const g of [...GRAVITIES, 'face&zoom=1']) {
        t[g] = [];
        for (let i = 0; i <= RUNS; i++) {
          const started = process.hrtime.bigint();
          await get(mf, `/${key}?w=${side + i}&h=${side}&fit=cover&gravity=${g}&format=jpeg`);
          if (i > 0) t[g].push(since(started));
        }
      }
      cost.push(`| ${name} | ${median(t.center).toFixed(1)} | ${median(t.auto).toFixed(1)} | ${median(t.face).toFixed(1)} | ${median(t['face&zoom=1']).toFixed(1)} | ${(median(t.face) - median(t.auto)).toFixed(1)} |`);
    }
    // Quality: every band shape of each photo, each gravity: is a whole face kept?
    const kept = Object.fromEntries(GRAVITIES.map((g) => [g, { one: 0, all: 0 }]));
    let crops = 0;
    for (const p of PHOTOS) {
      const bytes = readFileSync(path.join(PEOPLE, p.file));
      await putOriginal(mf, `people/${p.file}`, bytes);
      const photo = await raw(bytes);
      const [W, H] = [photo.info.width, photo.info.height];
      for (const [w, h] of SHAPES) {
        crops++;
        for (const g of GRAVITIES) {
          const r = await get(mf, `/people/${p.file}?w=${w}&h=${h}&fit=cover&gravity=${g}&format=png`);
          const band = { input: Buffer.from(r.body), info: r.size };
          const window = await locate(photo, band, W, H);
          const whole = p.faces.filter((f) => holds(window, f)).length;
          kept[g].one += whole > 0;
          // Every face that could fit together in a window of this size.
          const span = [Math.min(...p.faces.map((f) => f[0])), Math.min(...p.faces.map((f) => f[1])), Math.max(...p.faces.map((f) => f[2])), Math.max(...p.faces.map((f) => f[3]))];
          const fits = span[2] - span[0] <= window[2] - window[0] && span[3] - span[1] <= window[3] - window[1];
          kept[g].all += fits ? whole === p.faces.length : whole > 0;
        }
      }
    }
    // Lettering: a logo drawn with its text, against librsvg (sharp) on the same document.
    const logo = Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="240" height="90" viewBox="0 0 240 90"><rect width="240" height="90" fill="#fff"/><text x="120" y="34" font-family="Helvetica, Arial, sans-serif" font-size="28" font-weight="bold" text-anchor="middle">Acme Corp</text><text x="120" y="64" font-family="serif" font-size="18" fill="#036" text-anchor="middle">since 1926 – €5</text></svg>`);
    await putOriginal(mf, 'logo.svg', logo, 'image/svg+xml');
    const lettering = [];
    for (const width of [240, 960]) {
      const [ours, theirs] = [[], []];
      let body;
      for (let i = 0; i <= RUNS; i++) {
        let started = process.hrtime.bigint();
        body = (await get(mf, `/logo.svg?w=${width + i}&format=png`)).body;
        if (i > 0) ours.push(since(started));
        started = process.hrtime.bigint();
        await sharp(logo, { density: (72 * (width + i)) / 240 }).png().toBuffer();
        if (i > 0) theirs.push(since(started));
      }
      body = (await get(mf, `/logo.svg?w=${width}&format=png`)).body;
      const a = await sharp(Buffer.from(body)).flatten({ background: '#fff' }).greyscale().raw().toBuffer();
      const b = await sharp(logo, { density: (72 * width) / 240 }).flatten({ background: '#fff' }).greyscale().raw().toBuffer();
      let [both, either] = [0, 0];
      for (let i = 0; i < a.length; i++) [both, either] = [both + (a[i] < 128 && b[i] < 128), either + (a[i] < 128 || b[i] < 128)];
      lettering.push(`| ${width} px PNG | ${median(ours).toFixed(1)} | ${median(theirs).toFixed(1)} | ${((100 * both) / either).toFixed(0)}% |`);
    }
    const share = (g) => `${kept[g].one} / ${crops} | ${kept[g].all} / ${crops}`;
    return [
      `Misses (each request a new width), 400×400 \`fit=cover\` JPEG (120×120 from the thumbnail), medians of ${RUNS} in workerd, ms. The detector reads a grey copy of at most 512 px: its cost is the \`face\` − \`auto\` column.`,
      '',
      '| photo | center | auto | face | face, zoom=1 | face − auto |',
      '|---|---|---|---|---|---|',
      ...cost,
      '',
      `Tight crops of two photos of people (${SHAPES.length} band shapes each, \`fit=cover\`, zoom 0), the crop window located in the output's pixels and held against faces marked by hand:`,
      '',
      '| gravity | keeps a whole face | keeps every face that fits |',
      '|---|---|---|',
      ...GRAVITIES.map((g) => `| \`${g}\` | ${share(g)} |`),
      '',
      'An SVG logo with lettering (bold Helvetica → Liberation Sans, serif → DejaVu Serif), ours in workerd against sharp (librsvg) in Node, ms; ink in common with librsvg\'s drawing:',
      '',
      '| output | ours | sharp | ink in common |',
      '|---|---|---|---|',
      ...lettering,
    ].join('\n');
  } finally {
    await mf.dispose();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(await benchFaces());
  process.exit(0);
}
