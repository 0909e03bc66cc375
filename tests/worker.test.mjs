// End-to-end behaviour of the built worker in workerd (Miniflare): resize on the same URL,
// Cache API hits, persisted variants, HEAD, and clean 4xx for bad input.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startWorker, openSeeded, closeChecked, fetchImage, putOriginal, listKeys, eventually, sha256,
  tempDir, readFileSync, path, SAMPLES, webpChunks,
} from './helpers.mjs';

let mf;
let expectedOriginals;
const state = tempDir();

before(async () => ({ mf, expected: expectedOriginals } = await openSeeded({ persist: state.dir })));
// Nothing lost: no request in this file may have changed or removed an original.
after(() => closeChecked(mf, expectedOriginals).finally(state.remove));

/** Uploads an original for one test, and expects it unchanged at the end. */
async function upload(key, bytes, contentType) {
  await putOriginal(mf, key, bytes, contentType);
  expectedOriginals[key] = sha256(bytes);
}

test('resizes on the same URL: 200, decoded size, type and headers', async () => {
  const { status, res, size, body } = await fetchImage(mf, '/photo.jpg?w=400');
  assert.equal(status, 200);
  assert.equal(res.headers.get('content-type'), 'image/jpeg');
  assert.deepEqual([size.type, size.width, size.height], ['jpg', 400, 300]);
  assert.equal(Number(res.headers.get('content-length')), body.length);
  assert.equal(res.headers.get('cache-control'), 'public, max-age=31536000');
  assert.match(res.headers.get('etag'), /^"[0-9a-f]{32}"$/);
  assert.equal(res.headers.get('x-cache'), 'MISS');
  assert.match(res.headers.get('server-timing'), /^r2;dur=[\d.]+, decode;dur=[\d.]+, resize;dur=[\d.]+, encode;dur=[\d.]+, total;dur=[\d.]+$/);
});

test('computed sides round to the nearest pixel', async () => {
  // 4000×3000 at h=101 → 134.67 wide → 135.
  const { size } = await fetchImage(mf, '/photo.jpg?h=101');
  assert.deepEqual([size.width, size.height], [135, 101]);
});

test('never upscales by default, and fits inside both sides', async () => {
  const big = await fetchImage(mf, '/alpha.png?w=3000');
  assert.deepEqual([big.size.width, big.size.height], [1200, 800]);
  const boxed = await fetchImage(mf, '/photo.jpg?w=500&h=500');
  assert.deepEqual([boxed.size.width, boxed.size.height], [500, 375]);
});

test('cover fills the box exactly', async () => {
  const { size } = await fetchImage(mf, '/photo.jpg?w=200&h=200&fit=cover');
  assert.deepEqual([size.width, size.height], [200, 200]);
});

test('the second identical request is a cache hit with the same bytes', async () => {
  const first = await fetchImage(mf, '/photo.jpg?w=321');
  assert.equal(first.res.headers.get('x-cache'), 'MISS');
  const second = await eventually(async () => {
    const r = await fetchImage(mf, '/photo.jpg?w=321');
    return r.res.headers.get('x-cache') === 'HIT' && r;
  });
  assert.equal(sha256(second.body), sha256(first.body));
  assert.equal(second.res.headers.get('etag'), first.res.headers.get('etag'));
  assert.equal(second.res.headers.get('content-type'), 'image/jpeg');
  // Its own timings, not the stored ones of the miss that filled the cache.
  assert.match(second.res.headers.get('server-timing'), /^cache;dur=[\d.]+, total;dur=[\d.]+$/);
  // An equivalent URL (alias, other order) is the same cache entry.
  const alias = await fetchImage(mf, '/photo.jpg?width=321');
  assert.equal(alias.res.headers.get('x-cache'), 'HIT');
});

test('the variant is persisted in R2 and served from there after the cache is gone', async () => {
  const first = await fetchImage(mf, '/photo.jpg?w=222&q=70');
  assert.equal(first.status, 200);
  const keys = await eventually(async () => {
    const k = await listKeys(mf, '_variants/photo.jpg/');
    return k.includes('_variants/photo.jpg/w=222,q=70') && k;
  });
  const key = '_variants/photo.jpg/w=222,q=70';
  const stored = await (await mf.getR2Bucket('IMAGES')).get(key);
  assert.equal(stored.httpMetadata.contentType, 'image/jpeg');
  assert.equal(sha256(new Uint8Array(await stored.arrayBuffer())), sha256(first.body));

  // A second worker on the same R2 but an empty cache: served from the variant, not resized.
  const fresh = await startWorker({ persist: state.dir });
  try {
    const again = await fetchImage(fresh, '/photo.jpg?q=70&width=222');
    assert.equal(again.status, 200);
    assert.equal(again.res.headers.get('x-cache'), 'VARIANT');
    assert.equal(sha256(again.body), sha256(first.body));
    assert.equal(again.res.headers.get('etag'), first.res.headers.get('etag'));
    assert.equal(Number(again.res.headers.get('content-length')), first.body.length);
    assert.match(again.res.headers.get('server-timing'), /^r2;dur=[\d.]+, total;dur=[\d.]+$/, 'read, not resized');
  } finally {
    await fresh.dispose();
  }
});

test('no transform streams the original unchanged', async () => {
  const original = readFileSync(path.join(SAMPLES, 'alpha.png'));
  const { status, res, body } = await fetchImage(mf, '/alpha.png');
  assert.equal(status, 200);
  assert.equal(res.headers.get('content-type'), 'image/png');
  assert.equal(sha256(body), sha256(original));
  assert.equal(res.headers.get('x-cache'), null);
});

test('EXIF orientation is applied: a sideways-stored portrait comes out upright', async () => {
  const { size, body } = await fetchImage(mf, '/portrait.jpg?w=300');
  assert.deepEqual([size.width, size.height], [300, 450]);
  assert.equal(size.orientation, undefined, 'metadata is stripped');
  // Stored with the sky on the left (make-samples): turned clockwise, the sky is on top. A turn
  // the wrong way would put it at the bottom, a missed turn on the left.
  const { default: sharp } = await import('sharp');
  const { data, info } = await sharp(Buffer.from(body)).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const at = (x, y) => [...data.subarray((y * info.width + x) * 3, (y * info.width + x) * 3 + 3)];
  const sky = ([r, g, b]) => b > 200 && b > r + 80 && b > g + 40;
  for (const x of [10, 150, 290]) {
    assert.ok(sky(at(x, 20)), `sky at the top (x=${x}): ${at(x, 20)}`);
    assert.ok(!sky(at(x, 430)), `ground at the bottom (x=${x}): ${at(x, 430)}`);
  }
});

test('alpha PNG stays PNG with alpha; JPEG and WebP on request', async () => {
  const png = await fetchImage(mf, '/alpha.png?w=300');
  assert.equal(png.res.headers.get('content-type'), 'image/png');
  assert.deepEqual([png.size.type, png.size.width, png.size.height], ['png', 300, 200]);
  const jpeg = await fetchImage(mf, '/alpha.png?w=300&format=jpeg');
  assert.deepEqual([jpeg.size.type, jpeg.res.headers.get('content-type')], ['jpg', 'image/jpeg']);
  const webp = await fetchImage(mf, '/photo.jpg?w=120&f=webp');
  assert.deepEqual([webp.size.type, webp.size.width, webp.size.height, webp.res.headers.get('content-type')], ['webp', 120, 90, 'image/webp']);
});

test('progressive JPEG and 16-bit grey PNG inputs', async () => {
  const prog = await fetchImage(mf, '/progressive.jpg?w=600');
  assert.deepEqual([prog.status, prog.size.width, prog.size.height], [200, 600, 400]);
  const grey = await fetchImage(mf, '/grey.png?w=320');
  assert.deepEqual([grey.status, grey.size.width, grey.size.height], [200, 320, 240]);
});

test('animated GIF: a still poster by default, every frame with anim=true', async () => {
  const { default: sharp } = await import('sharp');
  const poster = await fetchImage(mf, '/animated.gif?w=200');
  assert.deepEqual([poster.size.type, poster.size.width, poster.size.height], ['png', 200, 150]);
  const anim = await fetchImage(mf, '/animated.gif?w=200&anim=true');
  assert.equal(anim.res.headers.get('content-type'), 'image/gif');
  const meta = await sharp(anim.body, { animated: true }).metadata();
  assert.deepEqual([meta.pages, meta.width, meta.pageHeight, meta.loop], [12, 200, 150, 0]);
  assert.deepEqual(meta.delay, Array(12).fill(80));
  // The same spelling in the Cloudflare grammar is the same variant.
  const cf = await fetchImage(mf, '/cdn-cgi/image/width=200,anim=true/animated.gif');
  assert.equal(cf.res.headers.get('etag'), anim.res.headers.get('etag'));
  // Cloudflare's path keeps animations unless told anim=false, as Cloudflare does.
  const cfDefault = await fetchImage(mf, '/cdn-cgi/image/width=200/animated.gif');
  assert.equal(cfDefault.res.headers.get('etag'), anim.res.headers.get('etag'));
  const cfStill = await fetchImage(mf, '/cdn-cgi/image/width=200,anim=false/animated.gif');
  assert.equal(cfStill.res.headers.get('etag'), poster.res.headers.get('etag'));
  const tooMany = await fetchImage(mf, '/animated.gif?w=200&anim=maybe');
  assert.equal(tooMany.status, 400);
});

test('HEAD answers like GET without a body', async () => {
  const get = await fetchImage(mf, '/photo.jpg?w=150');
  const head = await fetchImage(mf, '/photo.jpg?w=150', { method: 'HEAD' });
  assert.equal(head.status, 200);
  assert.equal(head.body.length, 0);
  for (const h of ['content-type', 'etag', 'cache-control']) assert.equal(head.res.headers.get(h), get.res.headers.get(h), h);
});

test('missing originals are 404, for plain and transformed requests', async () => {
  for (const url of ['/nope.jpg', '/nope.jpg?w=100', '/dir/nope.png?format=webp']) {
    const { status, text } = await fetchImage(mf, url);
    assert.equal(status, 404, url);
    assert.match(text(), /not found/);
  }
});

test('methods other than GET and HEAD are 405 and write nothing', async () => {
  for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
    const init = { method, body: ['POST', 'PUT', 'PATCH'].includes(method) ? 'overwrite' : undefined };
    const { status, res } = await fetchImage(mf, '/photo.jpg', init);
    assert.equal(status, 405, method);
    assert.equal(res.headers.get('allow'), 'GET, HEAD');
  }
  const { body } = await fetchImage(mf, '/photo.jpg');
  assert.equal(sha256(body), sha256(readFileSync(path.join(SAMPLES, 'photo.jpg'))));
});

test('bad options are 400 with a message naming the option', async () => {
  const cases = { '/photo.jpg?w=0': 'width', '/photo.jpg?w=99999': 'width', '/photo.jpg?q=0': 'quality', '/photo.jpg?format=tiff': 'format', '/photo.jpg?fit=fill': 'fit', '/photo.jpg?zoom=2': 'zoom' };
  for (const [url, named] of Object.entries(cases)) {
    const { status, text, res } = await fetchImage(mf, url);
    assert.equal(status, 400, url);
    assert.ok(text().includes(named), `${url}: ${text()}`);
    assert.equal(res.headers.get('cache-control'), 'public, max-age=300', 'a 400 only changes with the URL: cached for ERROR_TTL');
  }
  // Plain `/a/../` is resolved by URL parsing before the worker sees it; encoded slashes are not.
  for (const url of ['/a%2F..%2Fphoto.jpg?w=10', '/a//photo.jpg', '/_variants/photo.jpg/x', '/a%00.jpg', '/a%5Cb.jpg']) {
    assert.equal((await fetchImage(mf, url)).status, 400, url);
  }
});

test('corrupt and truncated images are 422, unknown formats 415', async () => {
  const photo = readFileSync(path.join(SAMPLES, 'photo.jpg'));
  await upload('bad/garbage.jpg', Buffer.from('this is not an image at all'));
  await upload('bad/corrupt.jpg', Buffer.concat([photo.subarray(0, 4), Buffer.alloc(4000, 0x5a)]));
  await upload('bad/truncated.jpg', photo.subarray(0, Math.floor(photo.length * 0.4)));
  await upload('bad/fake.avif', Buffer.from('\0\0\0\x1cftypavif\0\0\0\0avifmif1'), 'image/avif');
  for (const key of ['bad/garbage.jpg', 'bad/corrupt.jpg', 'bad/truncated.jpg']) {
    const { status, text } = await fetchImage(mf, `/${key}?w=100`);
    assert.equal(status, 422, `${key}: ${text()}`);
  }
  const avif = await fetchImage(mf, '/bad/fake.avif?w=100');
  assert.equal(avif.status, 415, avif.text());
});

test('a decompression bomb is refused with 413 before decoding', async () => {
  // A header that claims 65536×65536 RGBA (make-samples writes it: tests/support/fixtures.rs).
  await upload('bad/bomb.png', readFileSync(path.join(SAMPLES, 'bomb.png')));
  const started = Date.now();
  const { status, text } = await fetchImage(mf, '/bad/bomb.png?w=100');
  assert.equal(status, 413, text());
  assert.match(text(), /budget/);
  assert.ok(Date.now() - started < 2000);
});

test('a persisted variant of a replaced original is not served: the miss overwrites it under its key', async () => {
  await upload('swap.png', readFileSync(path.join(SAMPLES, 'alpha.png')));
  const before = await fetchImage(mf, '/swap.png?w=60');
  assert.deepEqual([before.size.width, before.size.height], [60, 40]);
  const variantKey = '_variants/swap.png/w=60';
  const variants = await mf.getR2Bucket('IMAGES');
  await eventually(async () => (await variants.head(variantKey))?.customMetadata.etag === before.res.headers.get('etag'));

  await upload('swap.png', readFileSync(path.join(SAMPLES, 'grey.png')));
  // A fresh cache on the same R2, so only the persisted variant could answer: it is refused.
  const fresh = await startWorker({ persist: state.dir });
  try {
    const after = await fetchImage(fresh, '/swap.png?w=60');
    assert.equal(after.res.headers.get('x-cache'), 'MISS');
    assert.deepEqual([after.size.width, after.size.height], [60, 45], 'the new picture');
    assert.notEqual(after.res.headers.get('etag'), before.res.headers.get('etag'));
    const bucket = await fresh.getR2Bucket('IMAGES');
    await eventually(async () => (await bucket.head(variantKey))?.customMetadata.etag === after.res.headers.get('etag'));
    assert.deepEqual(await listKeys(fresh, '_variants/swap.png/'), [variantKey], 'replaced, not orphaned');
  } finally {
    await fresh.dispose();
  }
});

test('with a VARIANTS bucket bound, variants go there and the originals bucket stays untouched', async () => {
  const two = await startWorker({ extraBuckets: ['VARIANTS'] });
  try {
    await putOriginal(two, 'photo.jpg', readFileSync(path.join(SAMPLES, 'photo.jpg')));
    const first = await fetchImage(two, '/photo.jpg?w=100');
    assert.equal(first.status, 200);
    // The variant, and the 12 MP original's mezzanine beside it.
    const keys = await eventually(async () => {
      const k = await listKeys(two, '', 'VARIANTS');
      return k.length > 1 && k;
    }, { timeoutMs: 20_000 });
    assert.deepEqual(keys, ['_variants/photo.jpg/mezzanine', '_variants/photo.jpg/w=100']);
    assert.deepEqual(await listKeys(two, '', 'IMAGES'), ['photo.jpg']);
  } finally {
    await two.dispose();
  }
});

test('WebP output is lossy libwebp: quality changes the size, alpha is kept', async () => {
  const q30 = await fetchImage(mf, '/photo.jpg?w=600&format=webp&q=30');
  const q90 = await fetchImage(mf, '/photo.jpg?w=600&format=webp&q=90');
  assert.deepEqual(webpChunks(q30.body), ['VP8 '], 'a lossy bitstream');
  assert.deepEqual([q30.size.width, q30.size.height], [600, 450]);
  assert.ok(q30.body.length < q90.body.length * 0.7, `${q30.body.length} vs ${q90.body.length}`);
  const jpeg = await fetchImage(mf, '/photo.jpg?w=600&q=80');
  const webp = await fetchImage(mf, '/photo.jpg?w=600&format=webp&q=80');
  assert.ok(webp.body.length < jpeg.body.length, `WebP ${webp.body.length} B should beat JPEG ${jpeg.body.length} B`);
  const alpha = await fetchImage(mf, '/alpha.png?w=300&format=webp');
  assert.deepEqual(webpChunks(alpha.body), ['VP8X', 'ALPH', 'VP8 '], 'lossy with an alpha channel');
});

// Our libwebp build runs its SSE2 code as wasm SIMD (SIMDe): a wrong lane anywhere would change
// bytes, so they must be sharp's own libwebp's for the same pixels (the worker's PNG of the URL).
test('WebP output is byte for byte sharp\'s libwebp at the same quality, opaque and with alpha', async () => {
  const { default: sharp } = await import('sharp');
  for (const [url, quality] of [['/photo.jpg?w=600', 80], ['/alpha.png?w=300', 85], ['/photo.jpg?w=333&h=222&fit=cover', 40]]) {
    const png = await fetchImage(mf, `${url}&format=png`);
    const webp = await fetchImage(mf, `${url}&format=webp&q=${quality}`);
    assert.equal(webp.status, 200, webp.text());
    const { data, info } = await sharp(png.body).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
    const theirs = await sharp(data, { raw: { width: info.width, height: info.height, channels: 4 } }).webp({ quality }).toBuffer();
    assert.ok(Buffer.from(webp.body).equals(theirs), `${url} q=${quality}: ${webp.body.length} B, sharp ${theirs.length} B`);
  }
});

test('ON_ERROR=original serves an untransformable original as stored, with the reason in a header', async () => {
  const lenient = await startWorker({ vars: { ON_ERROR: 'original' } });
  try {
    const tiff = Buffer.from('II*\0\x08\0\0\0 pretend pixels');
    await putOriginal(lenient, 'pic.tif', tiff, 'image/tiff');
    await putOriginal(lenient, 'mislabelled.jpg', tiff, 'image/jpeg');
    await putOriginal(lenient, 'broken.jpg', Buffer.from('not an image'));
    for (const url of ['/pic.tif?w=100', '/mislabelled.jpg?w=100&format=webp']) {
      const r = await fetchImage(lenient, url);
      assert.equal(r.status, 200, url);
      assert.equal(sha256(r.body), sha256(tiff), url);
      assert.match(r.res.headers.get('x-resize-error'), /TIFF|can be transformed/, url);
      assert.equal(r.res.headers.get('cache-control'), 'public, max-age=300');
    }
    // Like onerror=redirect on every URL: a damaged file is its stored bytes too, with the reason.
    const broken = await fetchImage(lenient, '/broken.jpg?w=100');
    assert.equal(broken.status, 200);
    assert.equal(new TextDecoder().decode(broken.body), 'not an image');
    assert.match(broken.res.headers.get('x-resize-error'), /decode|type/);
    assert.equal((await fetchImage(lenient, '/missing.tif?w=100')).status, 404);
  } finally {
    await lenient.dispose();
  }
});
