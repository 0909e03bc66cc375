// Mezzanines in workerd: the first miss on a 12 MP photo stores a 2,048 px mezzanine after the
// response; later sizes are made from it (DEBUG_HEADERS says which was read) and match sharp's
// resize of the original; a replaced original is read again, never its old mezzanine.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { startWorker, putOriginal, fetchImage, bucketOf, eventually, readFileSync, path, SAMPLES, UNBOUNDED } from './helpers.mjs';
import { ssim } from '../scripts/bench/ssim.mjs';

const MEZZANINE = '_variants/photo.jpg/mezzanine';
const original = readFileSync(path.join(SAMPLES, 'photo.jpg'));
let mf;

before(async () => {
  // MAX_STALE_S=0: a replaced original is seen at once (the window is tested in http.test.mjs).
  mf = await startWorker({ vars: { ...UNBOUNDED, DEBUG_HEADERS: 'true', MAX_STALE_S: '0' } });
  await putOriginal(mf, 'photo.jpg', original);
});

after(() => mf?.dispose());

const luma = async (bytes) => {
  const { data, info } = await sharp(bytes).greyscale().raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
};

/** SSIM (luma) of our output against sharp's resize of `source` to the same size. */
async function againstSharp(body, source) {
  const { width, height } = await sharp(body).metadata();
  const reference = await sharp(source).resize(width, height, { fit: 'fill' }).png().toBuffer();
  return ssim(await luma(body), await luma(reference));
}

const stored = async () => {
  const object = await (await bucketOf(mf)).get(MEZZANINE);
  return object && { meta: object.customMetadata, bytes: Buffer.from(await object.arrayBuffer()) };
};

test('the first miss stores the mezzanine and later sizes are made from it', async () => {
  const first = await fetchImage(mf, '/photo.jpg?width=400');
  assert.equal(first.status, 200);
  assert.equal(first.res.headers.get('x-resize-source'), 'original');
  const mezzanine = await eventually(stored, { timeoutMs: 20_000 });
  const { etag } = await (await bucketOf(mf)).head('photo.jpg');
  const { width, height } = await sharp(original).metadata();
  assert.equal(mezzanine.meta['source-etag'], etag);
  assert.equal(mezzanine.meta['source-size'], `${width}x${height}`);
  // 4000×3000: the half-size decode (2000×1500) is within a quarter of MEZZANINE_SIDE (2048).
  const own = await sharp(mezzanine.bytes).metadata();
  assert.deepEqual([own.format, own.width, own.height], ['jpeg', width / 2, height / 2]);
  assert.equal(mezzanine.meta.size, `${width / 2}x${height / 2}`);
  assert.ok(mezzanine.bytes.length < original.length / 2, `${mezzanine.bytes.length} of ${original.length} bytes`);

  for (const url of ['/photo.jpg?width=800', '/cdn-cgi/image/width=1200,format=webp/photo.jpg', '/photo.jpg?w=300&h=300&fit=cover']) {
    const res = await fetchImage(mf, url);
    assert.equal(res.status, 200, url);
    assert.equal(res.res.headers.get('x-resize-source'), 'mezzanine', url);
    const score = await againstSharp(res.body, url.includes('fit=cover') ? await sharp(original).resize(300, 300).png().toBuffer() : original);
    assert.ok(score > 0.97, `${url}: SSIM ${score}`);
  }
  // A frame found in the pixels may need more of them than the mezzanine has.
  const trimmed = await fetchImage(mf, '/photo.jpg?width=200&trim=border');
  assert.equal(trimmed.status, 200, trimmed.text());
  assert.equal(trimmed.res.headers.get('x-resize-source'), 'original');
});

test('a replaced original is read again and gets a new mezzanine', async () => {
  await eventually(stored, { timeoutMs: 20_000 });
  const replacement = await sharp(original).negate().jpeg({ quality: 90 }).toBuffer();
  await putOriginal(mf, 'photo.jpg', replacement);
  const { etag } = await (await bucketOf(mf)).head('photo.jpg');
  const res = await fetchImage(mf, '/photo.jpg?width=640');
  assert.equal(res.status, 200);
  assert.equal(res.res.headers.get('x-resize-source'), 'original');
  const score = await againstSharp(res.body, replacement);
  assert.ok(score > 0.97, `the new picture: SSIM ${score}`);
  await eventually(async () => (await stored())?.meta['source-etag'] === etag, { timeoutMs: 20_000 });
});
