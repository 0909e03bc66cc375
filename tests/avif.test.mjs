// AVIF input through the built worker: dav1d (codecs/dav1d) decodes, the core converts. The files
// are made here by sharp (libheif + libaom), and read back by sharp as the reference decode; the
// corpus's real AVIFs (a grid among them, which sharp misreads) against libheif through
// pillow-heif, when ../shared is beside the project.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { execFileSync } from 'node:child_process';
import { startWorker, putOriginal, fetchImage, hashOriginals, boxed, damagedCopies, walk, existsSync, readFileSync, path, ROOT, SAMPLES, CORPUS } from './helpers.mjs';

const TOKEN = 'a-local-upload-token-for-avif-tests';
let mf;
let expected;
const made = {};

/** The photo sample at `width`, as raw RGB, and encoded to AVIF with `options`. */
async function photoAvif(width, options) {
  const raw = await sharp(path.join(SAMPLES, 'photo.jpg')).resize(width).raw().toBuffer({ resolveWithObject: true });
  const avif = await sharp(raw.data, { raw: raw.info }).avif({ effort: 2, ...options }).toBuffer();
  return { raw, avif };
}

before(async () => {
  made['p420.avif'] = await photoAvif(800, { quality: 70, chromaSubsampling: '4:2:0' });
  made['p444.avif'] = await photoAvif(640, { quality: 80, chromaSubsampling: '4:4:4' });
  made['lossless.avif'] = await photoAvif(300, { lossless: true });
  // Transparent: a disc on a clear background, a gradient of alpha across it.
  const w = 160;
  const rgba = Buffer.alloc(w * w * 4);
  for (let y = 0; y < w; y++) {
    for (let x = 0; x < w; x++) {
      const i = (y * w + x) * 4;
      const inside = (x - 80) ** 2 + (y - 80) ** 2 < 60 ** 2;
      rgba.set([200, 40, 90, inside ? Math.round((x / w) * 255) : 0], i);
    }
  }
  made['alpha.avif'] = { raw: { data: rgba, info: { width: w, height: w, channels: 4 } }, avif: await sharp(rgba, { raw: { width: w, height: w, channels: 4 } }).avif({ quality: 90, effort: 2 }).toBuffer() };
  mf = await startWorker({ vars: { DEBUG_HEADERS: 'true', UPLOAD_TOKEN: TOKEN } });
  for (const [key, { avif }] of Object.entries(made)) await putOriginal(mf, key, avif);
  expected = await hashOriginals(mf);
});

after(async () => {
  if (!mf) return;
  try {
    assert.deepEqual(await hashOriginals(mf), expected, 'originals changed');
  } finally {
    await mf.dispose();
  }
});

/** Mean absolute difference and per-channel means of two RGBA buffers of one size. */
function compare(a, b) {
  let sum = 0;
  const meanA = [0, 0, 0, 0];
  const meanB = [0, 0, 0, 0];
  for (let i = 0; i < a.length; i++) {
    sum += Math.abs(a[i] - b[i]);
    meanA[i % 4] += a[i];
    meanB[i % 4] += b[i];
  }
  const px = a.length / 4;
  return { mean: sum / a.length, meanA: meanA.map((v) => v / px), meanB: meanB.map((v) => v / px) };
}

const rgba = async (bytes) => (await sharp(bytes).ensureAlpha().raw().toBuffer({ resolveWithObject: true }));

test('AVIF originals decode to the pixels sharp reads from them: average colour within 2 levels, and at least as close to the source', async () => {
  for (const [key, { raw, avif }] of Object.entries(made)) {
    const ours = await fetchImage(mf, `/${key}?format=png&w=${raw.info.width}`);
    assert.equal(ours.status, 200, `${key}: ${ours.text()}`);
    const mine = await rgba(ours.body);
    const ref = await rgba(avif);
    assert.deepEqual([mine.info.width, mine.info.height], [ref.info.width, ref.info.height], key);
    const { mean, meanA, meanB } = compare(mine.data, ref.data);
    meanA.forEach((v, c) => assert.ok(Math.abs(v - meanB[c]) <= 2, `${key}: channel ${c} averages ${v.toFixed(1)}, sharp ${meanB[c].toFixed(1)}`));
    assert.ok(mean < 2, `${key}: mean difference from sharp's decode ${mean.toFixed(2)}`);
    // Against the pixels that were encoded: no further off than sharp's decode (plus a hair).
    const source = await rgba(await sharp(raw.data, { raw: raw.info }).png().toBuffer());
    const errOurs = compare(mine.data, source.data).mean;
    const errSharp = compare(ref.data, source.data).mean;
    assert.ok(errOurs <= errSharp + 0.05, `${key}: ${errOurs.toFixed(3)} from the source, sharp ${errSharp.toFixed(3)}`);
    console.log(`${key}: ${mean.toFixed(2)} from sharp's decode; from the source ${errOurs.toFixed(3)} (sharp ${errSharp.toFixed(3)})`);
  }
});

test('an AVIF resizes to every output format; with no format asked it comes back as WebP, alpha kept', async () => {
  for (const [query, type] of [['', 'image/webp'], ['&format=jpeg', 'image/jpeg'], ['&format=png', 'image/png'], ['&format=avif', 'image/avif']]) {
    const { status, res, size, text } = await fetchImage(mf, `/p420.avif?w=300${query}`);
    assert.equal(status, 200, text());
    assert.equal(res.headers.get('content-type'), type);
    assert.deepEqual([size.width, size.height], [300, 225], query);
  }
  const { status, body } = await fetchImage(mf, '/alpha.avif?w=80');
  assert.equal(status, 200);
  const out = await rgba(body);
  const at = (x, y) => out.data[(y * 80 + x) * 4 + 3];
  // Clear outside the disc, more opaque to the right inside it (the gradient survived).
  assert.equal(at(2, 2), 0);
  assert.ok(at(60, 40) > at(25, 40) + 60, `alpha ${at(25, 40)} → ${at(60, 40)}`);
});

test("AVIF output: our encoder's pixels are the PNG output's, within lossy coding, alpha too", async () => {
  // Written by rav1e here, read back by sharp (libheif + libaom): another decoder than ours.
  for (const [key, query] of [['p420.avif', 'w=400&q=80'], ['alpha.avif', 'w=120&q=90']]) {
    const avif = await fetchImage(mf, `/${key}?${query}&format=avif`);
    const png = await fetchImage(mf, `/${key}?${query}&format=png`);
    assert.equal(avif.res.headers.get('content-type'), 'image/avif', avif.text());
    const [a, b] = [await rgba(avif.body), await rgba(png.body)];
    assert.deepEqual([a.info.width, a.info.height], [b.info.width, b.info.height]);
    let [colour, alpha, n] = [0, 0, 0];
    for (let i = 0; i < a.data.length; i += 4) {
      alpha += Math.abs(a.data[i + 3] - b.data[i + 3]);
      if (b.data[i + 3] < 128) continue; // colour under (near) transparency is free to change
      for (let c = 0; c < 3; c++) colour += Math.abs(a.data[i + c] - b.data[i + c]);
      n++;
    }
    assert.ok(colour / (3 * n) < 4, `${key}: mean colour difference ${(colour / (3 * n)).toFixed(2)}`);
    assert.ok(alpha / (a.data.length / 4) < 2, `${key}: mean alpha difference ${(alpha / (a.data.length / 4)).toFixed(2)}`);
    console.log(`${key} as AVIF: colour ${(colour / (3 * n)).toFixed(2)}, alpha ${(alpha / (a.data.length / 4)).toFixed(2)} levels from our PNG`);
  }
});

test('format=json reads an AVIF from its headers; an upload of one answers its size', async () => {
  const { status, text } = await fetchImage(mf, '/p444.avif?format=json&w=320');
  assert.equal(status, 200, text());
  const info = JSON.parse(text());
  assert.deepEqual([info.original.width, info.original.height, info.original.format, info.width, info.height], [640, 480, 'image/avif', 320, 240]);
  const avif = made['lossless.avif'].avif;
  const res = await mf.dispatchFetch('http://localhost/up/lossless.avif', { method: 'PUT', body: avif, headers: { authorization: `Bearer ${TOKEN}` } });
  const answer = JSON.parse(await res.text());
  assert.equal(res.status, 200, JSON.stringify(answer));
  assert.deepEqual([answer.format, answer.width, answer.height], ['avif', 300, 225]);
  expected = await hashOriginals(mf);
});

test('damaged AVIFs are a 4xx, never a 5xx: every truncation of a file, and byte flips in its headers', async () => {
  const avif = made['alpha.avif'].avif;
  const failures = [];
  // The first 400 bytes hold ftyp, meta, the item locations and properties.
  const copies = damagedCopies(avif, { seed: 7, header: 400 });
  const statuses = {};
  for (const [n, bytes] of copies.entries()) {
    const key = `damaged/${n}.avif`;
    await putOriginal(mf, key, bytes);
    const { status, text } = await fetchImage(mf, `/${key}?w=50`);
    statuses[status] = (statuses[status] ?? 0) + 1;
    if (status >= 500) failures.push(`${key}: ${status} ${text().slice(0, 100)}`);
  }
  expected = await hashOriginals(mf);
  console.log(`damaged AVIFs: ${JSON.stringify(statuses)}`);
  assert.deepEqual(failures, []);
  assert.ok(statuses[422] > 0, 'some damaged copies are refused as undecodable');
});

test('a 12 MP AVIF resizes inside both budgets; dav1d\'s measured peak is within its estimate (a budget 1 MB under the peak refuses it)', { timeout: 120_000 }, async () => {
  const big = await sharp(path.join(SAMPLES, 'photo.jpg')).resize(4000, 3000, { fit: 'fill' }).avif({ quality: 50, effort: 0, chromaSubsampling: '4:2:0' }).toBuffer();
  const fresh = await startWorker({ vars: { DEBUG_HEADERS: 'true' } });
  let peak;
  try {
    await putOriginal(fresh, 'big.avif', big);
    const { status, res, size, text } = await fetchImage(fresh, '/big.avif?w=400');
    assert.equal(status, 200, text());
    assert.deepEqual([size.width, size.height], [400, 300]);
    const m = /wasm=(\d+), webp=(\d+), av1=(\d+)/.exec(res.headers.get('x-memory'));
    const [wasm, av1] = [Number(m[1]), Number(m[3])];
    const estimate = Number(res.headers.get('x-memory-estimate'));
    console.log(`12 MP AVIF → 400: ours ${(wasm / 2 ** 20).toFixed(1)} MB (estimate ${(estimate / 2 ** 20).toFixed(1)}), dav1d ${(av1 / 2 ** 20).toFixed(1)} MB`);
    assert.ok(wasm <= estimate, `measured ${wasm} > estimate ${estimate}`);
    assert.ok(av1 > 12 * 2 ** 20, 'dav1d held the picture');
    peak = av1;
  } finally {
    await fresh.dispose();
  }
  const tight = await startWorker({ vars: { HEIF_MEMORY_BUDGET_MB: String(Math.floor(peak / 2 ** 20) - 1) } });
  try {
    await putOriginal(tight, 'big.avif', big);
    const { status, text } = await fetchImage(tight, '/big.avif?w=400');
    assert.equal(status, 413, text());
    assert.match(text(), /in its decoder/);
  } finally {
    await tight.dispose();
  }
});

const corpusAvifs = existsSync(CORPUS) ? walk(CORPUS).filter((f) => f.endsWith('.avif')) : [];

/** libheif's decode (pillow-heif, scripts/fixtures/reference_decode.py): size and mean RGBA of each file. */
function referenceDecodes(files) {
  const out = execFileSync('python3', [path.join(ROOT, 'scripts', 'fixtures', 'reference_decode.py'), ...files], { encoding: 'utf8' });
  return out.trim().split('\n').map((line) => JSON.parse(line));
}

test('the corpus\'s AVIFs, grids among them: sizes and average colour as libheif decodes them', { skip: corpusAvifs.length ? false : `no AVIF in ${CORPUS}` }, async () => {
  const references = referenceDecodes(corpusAvifs.map((f) => path.join(CORPUS, f)));
  for (const [i, f] of corpusAvifs.entries()) {
    const ref = references[i];
    const key = `corpus/${path.basename(f)}`;
    await putOriginal(mf, key, readFileSync(path.join(CORPUS, f)));
    const { status, body, text } = await fetchImage(mf, `/${key}?format=png&w=${ref.width}`);
    assert.equal(status, 200, `${f}: ${text()}`);
    const mine = await rgba(body);
    assert.deepEqual([mine.info.width, mine.info.height], [ref.width, ref.height], f);
    const { meanA } = compare(mine.data, mine.data);
    meanA.forEach((v, c) => assert.ok(Math.abs(v - ref.mean[c]) <= 2, `${f}: channel ${c} averages ${v.toFixed(1)}, libheif ${ref.mean[c].toFixed(1)}`));
    const grid = await boxed(body);
    const off = ref.grid.flat().reduce((sum, v, k) => sum + Math.abs(v - grid[k]), 0) / grid.length;
    assert.ok(off < 6, `${f}: the 8×8 picture is ${off.toFixed(1)} levels from libheif's`);
    console.log(`${f}: ${mine.info.width}×${mine.info.height}, mean RGB ${meanA.slice(0, 3).map((v) => v.toFixed(1)).join(' ')} (libheif ${ref.mean.slice(0, 3).map((v) => v.toFixed(1)).join(' ')})`);
  }
  expected = await hashOriginals(mf);
});
