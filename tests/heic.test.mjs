// HEIC input through the built worker, on with HEIC=true (libde265, codecs/libde265) and off by
// default. The files are made here by libheif with x265 (pillow-heif, scripts/fixtures/heif.py)
// and read back by libheif as the reference decode (scripts/fixtures/reference_decode.py); the corpus's
// real HEICs (a grid, a clean aperture, alpha) the same way when ../shared is beside the project.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { execFileSync } from 'node:child_process';
import { startWorker, putOriginal, fetchImage, boxed, damagedCopies, walk, tempDir, existsSync, readFileSync, path, ROOT, SAMPLES, CORPUS } from './helpers.mjs';

const TOKEN = 'a-local-upload-token-for-heic-tests';
let on;
let off;
let dir;
const files = {};

function referenceDecodes(paths) {
  const out = execFileSync('python3', [path.join(ROOT, 'scripts', 'fixtures', 'reference_decode.py'), ...paths], { encoding: 'utf8' });
  return out.trim().split('\n').map((line) => JSON.parse(line));
}

before(async () => {
  dir = tempDir();
  execFileSync('python3', [path.join(ROOT, 'scripts', 'fixtures', 'heif.py'), path.join(SAMPLES, 'photo.jpg'), dir.dir, '800']);
  for (const name of ['photo-800.heic', 'alpha.heic', 'rotated.heic']) files[name] = readFileSync(path.join(dir.dir, name));
  on = await startWorker({ vars: { HEIC: 'true', DEBUG_HEADERS: 'true' } });
  off = await startWorker({ vars: { UPLOAD_TOKEN: TOKEN } });
  for (const mf of [on, off]) for (const [name, bytes] of Object.entries(files)) await putOriginal(mf, name, bytes, 'image/heic');
});

after(async () => {
  await on?.dispose();
  await off?.dispose();
  dir?.remove();
});

const rgba = async (bytes) => sharp(bytes).ensureAlpha().raw().toBuffer({ resolveWithObject: true });

function means({ data }) {
  const sum = [0, 0, 0, 0];
  for (let i = 0; i < data.length; i++) sum[i % 4] += data[i];
  return sum.map((v) => v / (data.length / 4));
}

/** Our full-size decode of `key` against libheif's of `file`: same size, means within 2 levels,
 *  and the same picture boxed down to 8×8 (a turn or a mirror the wrong way moves its cells). */
async function matchesLibheif(mf, key, file) {
  const [ref] = referenceDecodes([file]);
  const { status, body, text } = await fetchImage(mf, `/${key}?format=png&w=${ref.width}`);
  assert.equal(status, 200, `${key}: ${text()}`);
  const mine = await rgba(body);
  assert.deepEqual([mine.info.width, mine.info.height], [ref.width, ref.height], key);
  const ours = means(mine);
  ours.forEach((v, c) => assert.ok(Math.abs(v - ref.mean[c]) <= 2, `${key}: channel ${c} averages ${v.toFixed(1)}, libheif ${ref.mean[c].toFixed(1)}`));
  const grid = await boxed(body);
  const off = ref.grid.flat().reduce((sum, v, i) => sum + Math.abs(v - grid[i]), 0) / grid.length;
  assert.ok(off < 6, `${key}: the 8×8 picture is ${off.toFixed(1)} levels from libheif's`);
  console.log(`${key}: ${ref.width}×${ref.height}, mean RGBA ${ours.map((v) => v.toFixed(1)).join(' ')} (libheif ${ref.mean.map((v) => v.toFixed(1)).join(' ')})`);
}

test('HEIC is off unless HEIC=true: a transform is a 415 that says why, the original is served as stored, an upload is kept', async () => {
  const refused = await fetchImage(off, '/photo-800.heic?w=200');
  assert.equal(refused.status, 415);
  assert.match(refused.text(), /HEIC=true/);
  const stored = await fetchImage(off, '/photo-800.heic');
  assert.equal(stored.status, 200);
  assert.equal(stored.res.headers.get('content-type'), 'image/heic');
  assert.equal(Buffer.compare(Buffer.from(stored.body), files['photo-800.heic']), 0);
  const res = await off.dispatchFetch('http://localhost/up/a.heic', { method: 'PUT', body: files['alpha.heic'], headers: { authorization: `Bearer ${TOKEN}` } });
  const answer = JSON.parse(await res.text());
  assert.equal(res.status, 200, JSON.stringify(answer));
  assert.deepEqual([answer.format, answer.content_type, answer.width], ['heic', 'image/heic', null]);
});

test('with HEIC=true a HEIC decodes to the pixels libheif reads from it, and resizes to JPEG by default', async () => {
  await matchesLibheif(on, 'photo-800.heic', path.join(dir.dir, 'photo-800.heic'));
  await matchesLibheif(on, 'alpha.heic', path.join(dir.dir, 'alpha.heic'));
  // Stored 1200×1800 with a quarter turn (irot) to show: 1800×1200 the way libheif turns it.
  await matchesLibheif(on, 'rotated.heic', path.join(dir.dir, 'rotated.heic'));
  const { status, res, size, body } = await fetchImage(on, '/photo-800.heic?w=300');
  assert.equal(status, 200);
  assert.equal(res.headers.get('content-type'), 'image/jpeg');
  assert.deepEqual([size.width, size.height], [300, 225]);
  // The HEIC's EXIF item reaches the JPEG as JPEG EXIF does: artist and copyright by default.
  const exif = (await sharp(body).metadata()).exif?.toString('latin1') ?? '';
  assert.ok(exif.includes('(c) A. Photographer') && exif.includes('A. Photographer'), 'copyright and artist kept');
  const none = await fetchImage(on, '/photo-800.heic?w=300&metadata=none');
  assert.equal((await sharp(none.body).metadata()).exif, undefined);
  const webp = await fetchImage(on, '/alpha.heic?w=80&format=webp');
  const px = await rgba(webp.body);
  assert.equal(px.data[(2 * 80 + 2) * 4 + 3], 0, 'clear outside the disc');
  assert.ok(px.data[(40 * 80 + 60) * 4 + 3] > px.data[(40 * 80 + 20) * 4 + 3] + 60, 'the alpha gradient survives');
});

test('damaged HEICs are a 4xx, never a 5xx', async () => {
  const heic = files['alpha.heic'];
  const copies = damagedCopies(heic, { seed: 11, header: 600 });
  const statuses = {};
  const failures = [];
  for (const [n, bytes] of copies.entries()) {
    await putOriginal(on, `damaged/${n}.heic`, bytes, 'image/heic');
    const { status, text } = await fetchImage(on, `/damaged/${n}.heic?w=50`);
    statuses[status] = (statuses[status] ?? 0) + 1;
    if (status >= 500) failures.push(`${n}: ${status} ${text().slice(0, 100)}`);
  }
  console.log(`damaged HEICs: ${JSON.stringify(statuses)}`);
  assert.deepEqual(failures, []);
  assert.ok(statuses[422] > 0);
});

test('a 12 MP HEIC in one picture: libde265\'s measured peak is within its estimate (a budget 1 MB under the peak refuses it)', { timeout: 180_000 }, async () => {
  execFileSync('python3', [path.join(ROOT, 'scripts', 'fixtures', 'heif.py'), path.join(SAMPLES, 'photo.jpg'), dir.dir, '4000']);
  const big = readFileSync(path.join(dir.dir, 'photo-4000.heic'));
  const roomy = await startWorker({ vars: { HEIC: 'true', DEBUG_HEADERS: 'true', HEIF_MEMORY_BUDGET_MB: '100' } });
  let peak;
  try {
    await putOriginal(roomy, 'big.heic', big, 'image/heic');
    const { status, res, size, text } = await fetchImage(roomy, '/big.heic?w=400');
    assert.equal(status, 200, text());
    assert.deepEqual([size.width, size.height], [400, 300]);
    const m = /wasm=(\d+), webp=(\d+), av1=(\d+), hevc=(\d+)/.exec(res.headers.get('x-memory'));
    const [wasm, hevc] = [Number(m[1]), Number(m[4])];
    const estimate = Number(res.headers.get('x-memory-estimate'));
    console.log(`12 MP HEIC → 400: ours ${(wasm / 2 ** 20).toFixed(1)} MB (estimate ${(estimate / 2 ** 20).toFixed(1)}), libde265 ${(hevc / 2 ** 20).toFixed(1)} MB`);
    assert.ok(wasm <= estimate, `measured ${wasm} > estimate ${estimate}`);
    peak = hevc;
  } finally {
    await roomy.dispose();
  }
  const tight = await startWorker({ vars: { HEIC: 'true', HEIF_MEMORY_BUDGET_MB: String(Math.floor(peak / 2 ** 20) - 1) } });
  try {
    await putOriginal(tight, 'big.heic', big, 'image/heic');
    const { status, text } = await fetchImage(tight, '/big.heic?w=400');
    assert.equal(status, 413, text());
    assert.match(text(), /HEIF_MEMORY_BUDGET_MB/);
  } finally {
    await tight.dispose();
  }
});

const corpusHeics = existsSync(CORPUS) ? walk(CORPUS).filter((f) => f.endsWith('.heic')) : [];

test('the corpus\'s HEICs (a grid, a clean aperture, alpha): sizes and average colour as libheif decodes them', { skip: corpusHeics.length ? false : `no HEIC in ${CORPUS}` }, async () => {
  for (const f of corpusHeics) {
    const key = `corpus/${path.basename(f)}`;
    await putOriginal(on, key, readFileSync(path.join(CORPUS, f)), 'image/heic');
    await matchesLibheif(on, key, path.join(CORPUS, f));
  }
});
