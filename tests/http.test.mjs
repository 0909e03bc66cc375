// The HTTP contract of the built worker: conditional requests (304 from metadata alone),
// Last-Modified, invalidation when an original is replaced, error caching, ranges on originals,
// Content-Disposition, and /_health.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openSeeded, closeChecked, fetchImage, putOriginal, listKeys, bucketOf, eventually, sha256, readFileSync, path, SAMPLES } from './helpers.mjs';

let mf;
let expectedOriginals;

before(async () => ({ mf, expected: expectedOriginals } = await openSeeded()));
after(() => closeChecked(mf, expectedOriginals));

async function solid(colour) {
  const { default: sharp } = await import('sharp');
  return sharp({ create: { width: 64, height: 48, channels: 3, background: colour } }).png().toBuffer();
}

async function centre(body) {
  const { default: sharp } = await import('sharp');
  const { data, info } = await sharp(body).raw().toBuffer({ resolveWithObject: true });
  const i = (Math.floor(info.height / 2) * info.width + Math.floor(info.width / 2)) * info.channels;
  return [...data.subarray(i, i + 3)];
}

test('If-None-Match and If-Modified-Since get a 304 without a resize', async () => {
  const first = await fetchImage(mf, '/photo.jpg?w=333');
  const etag = first.res.headers.get('etag');
  const lastModified = first.res.headers.get('last-modified');
  assert.match(lastModified, /^\w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} GMT$/);

  for (const headers of [{ 'if-none-match': etag }, { 'if-none-match': `"other", W/${etag}` }, { 'if-modified-since': lastModified }]) {
    const r = await fetchImage(mf, '/photo.jpg?w=333', { headers });
    assert.equal(r.status, 304, JSON.stringify(headers));
    assert.equal(r.body.length, 0);
    assert.equal(r.res.headers.get('etag'), etag);
    assert.equal(r.res.headers.get('server-timing'), null, 'nothing was decoded');
  }
  const stale = await fetchImage(mf, '/photo.jpg?w=333', { headers: { 'if-none-match': '"nope"' } });
  assert.equal(stale.status, 200);
  const before1970 = await fetchImage(mf, '/photo.jpg?w=333', { headers: { 'if-modified-since': 'Thu, 01 Jan 1970 00:00:01 GMT' } });
  assert.equal(before1970.status, 200);
});

test('a 304 for a transform never requested: R2 metadata alone decides, nothing is resized', async () => {
  // The documented ETag: sha256(original's R2 etag, canonical transform, pipeline version).
  const { createHash } = await import('node:crypto');
  const r2 = await (await mf.getR2Bucket('IMAGES')).head('progressive.jpg');
  const canonical = 'w=123,q=85,f=jpeg';
  const etag = `"${createHash('sha256').update(`${r2.etag}\n${canonical}\n5`).digest('hex').slice(0, 32)}"`;
  const r = await fetchImage(mf, '/progressive.jpg?width=123', { headers: { 'if-none-match': etag } });
  assert.equal(r.status, 304);
  assert.equal(r.res.headers.get('etag'), etag);
  await new Promise((res) => setTimeout(res, 300));
  const written = (await listKeys(mf, '_variants/progressive.jpg/')).filter((k) => k === '_variants/progressive.jpg/w=123');
  assert.deepEqual(written, [], 'no variant was made: the image was never decoded');
  // Without the validator the same URL resizes, with that very ETag.
  const full = await fetchImage(mf, '/progressive.jpg?width=123');
  assert.equal(full.res.headers.get('etag'), etag);
});

test('with MAX_STALE_S=0, replacing an original shows the new picture at once: new ETag, no purge', async () => {
  const { mf, expected } = await openSeeded({ vars: { MAX_STALE_S: '0' } });
  try {
    await putOriginal(mf, 'swap/colour.png', await solid('#ff0000'));
    const red = await fetchImage(mf, '/swap/colour.png?w=32');
    assert.deepEqual(await centre(red.body), [255, 0, 0]);
    await new Promise((r) => setTimeout(r, 300)); // let the cache fill
    assert.equal((await fetchImage(mf, '/swap/colour.png?w=32')).res.headers.get('x-cache'), 'HIT');

    const blue = await solid('#0000ff');
    await putOriginal(mf, 'swap/colour.png', blue);
    expected['swap/colour.png'] = sha256(blue);
    const after = await fetchImage(mf, '/swap/colour.png?w=32');
    assert.equal(after.res.headers.get('x-cache'), 'MISS');
    assert.notEqual(after.res.headers.get('etag'), red.res.headers.get('etag'));
    assert.deepEqual(await centre(after.body), [0, 0, 255]);
    // The cache key names the URL's transform, not the version: the stale red entry was refused
    // above, and the blue one has replaced it.
    await new Promise((r) => setTimeout(r, 300));
    const again = await fetchImage(mf, '/swap/colour.png?w=32');
    assert.equal(again.res.headers.get('x-cache'), 'HIT');
    assert.equal(again.res.headers.get('etag'), after.res.headers.get('etag'));
    assert.deepEqual(await centre(again.body), [0, 0, 255]);
    // The old ETag no longer validates.
    const old = await fetchImage(mf, '/swap/colour.png?w=32', { headers: { 'if-none-match': red.res.headers.get('etag') } });
    assert.equal(old.status, 200);
  } finally {
    await closeChecked(mf, expected);
  }
});


test('within MAX_STALE_S a replaced original is served from the cache without R2; after it, the next request is still at once and the one after shows the new picture', async () => {
  const { mf, expected } = await openSeeded({ vars: { MAX_STALE_S: '1' } });
  try {
    await putOriginal(mf, 'swap/window.png', await solid('#ff0000'));
    const red = await fetchImage(mf, '/swap/window.png?w=32');
    assert.equal(red.res.headers.get('x-cache'), 'MISS');
    await eventually(async () => (await fetchImage(mf, '/swap/window.png?w=32')).res.headers.get('x-cache') === 'HIT');
    const blue = await solid('#0000ff');
    await putOriginal(mf, 'swap/window.png', blue);
    expected['swap/window.png'] = sha256(blue);
    // Within the window: the red copy, as the contract allows.
    const within = await fetchImage(mf, '/swap/window.png?w=32');
    assert.deepEqual([within.res.headers.get('x-cache'), await centre(within.body)], ['HIT', [255, 0, 0]]);
    // After it: the red copy once more, at once, while the original is checked; then blue.
    await new Promise((r) => setTimeout(r, 1100));
    const checking = await fetchImage(mf, '/swap/window.png?w=32');
    assert.deepEqual([checking.res.headers.get('x-cache'), await centre(checking.body)], ['HIT', [255, 0, 0]]);
    const shown = await eventually(async () => {
      const r = await fetchImage(mf, '/swap/window.png?w=32');
      return r.res.headers.get('x-cache') === 'MISS' && r;
    });
    assert.deepEqual(await centre(shown.body), [0, 0, 255]);
    assert.notEqual(shown.res.headers.get('etag'), red.res.headers.get('etag'));
  } finally {
    await closeChecked(mf, expected);
  }
});

test('errors are cached by kind: 404 briefly, 4xx for ERROR_TTL, others never', async () => {
  const cases = [
    ['/missing.jpg?w=10', {}, 404, 'public, max-age=60'],
    ['/missing.jpg', {}, 404, 'public, max-age=60'],
    ['/photo.jpg?w=abc', {}, 400, 'public, max-age=300'],
    ['/photo.jpg?w=10', { method: 'POST' }, 405, 'no-store'],
  ];
  for (const [url, init, status, cacheControl] of cases) {
    const r = await fetchImage(mf, url, init);
    assert.equal(r.status, status, url);
    assert.equal(r.res.headers.get('cache-control'), cacheControl, url);
  }
});

test('originals: Range gives 206 / 416, validators give 304, Accept-Ranges is announced', async () => {
  const whole = readFileSync(path.join(SAMPLES, 'photo.jpg'));
  const plain = await fetchImage(mf, '/photo.jpg');
  assert.equal(plain.res.headers.get('accept-ranges'), 'bytes');
  assert.ok(plain.res.headers.get('last-modified'));
  const first = await fetchImage(mf, '/photo.jpg', { headers: { range: 'bytes=0-99' } });
  assert.equal(first.status, 206);
  assert.equal(first.res.headers.get('content-range'), `bytes 0-99/${whole.length}`);
  assert.ok(Buffer.from(first.body).equals(whole.subarray(0, 100)));
  const tail = await fetchImage(mf, '/photo.jpg', { headers: { range: 'bytes=-10' } });
  assert.equal(tail.status, 206);
  assert.ok(Buffer.from(tail.body).equals(whole.subarray(whole.length - 10)));
  const past = await fetchImage(mf, '/photo.jpg', { headers: { range: `bytes=${whole.length}-` } });
  assert.equal(past.status, 416);
  assert.equal(past.res.headers.get('content-range'), `bytes */${whole.length}`);
  const multi = await fetchImage(mf, '/photo.jpg', { headers: { range: 'bytes=0-1,5-6' } });
  assert.equal(multi.status, 200);
  const cached = await fetchImage(mf, '/photo.jpg', { headers: { 'if-none-match': plain.res.headers.get('etag') } });
  assert.equal(cached.status, 304);
});

test('Content-Disposition is inline, named after the original with the sent extension', async () => {
  const webp = await fetchImage(mf, '/photo.jpg?w=50&format=webp');
  assert.equal(webp.res.headers.get('content-disposition'), 'inline; filename="photo.webp"');
  const orig = await fetchImage(mf, '/alpha.png');
  assert.equal(orig.res.headers.get('content-disposition'), 'inline; filename="alpha.png"');
  assert.equal(webp.res.headers.get('x-content-type-options'), 'nosniff');
  assert.equal(webp.res.headers.get('vary'), null, 'a named format does not vary');
});

test('one JSON log line per request, with the key, transform, cache status, bytes and timings', async () => {
  // The 12 MP photo's mezzanine, made by its first miss: what later sizes read.
  await fetchImage(mf, '/photo.jpg?w=76');
  const mezzanine = await eventually(async () => (await bucketOf(mf)).head('_variants/photo.jpg/mezzanine'), { timeoutMs: 20_000 });
  const r = await fetchImage(mf, '/photo.jpg?w=77');
  const line = await eventually(async () => mf.logs.map((l) => l.message).find((m) => m.includes('"path":"/photo.jpg?w=77"')));
  const entry = JSON.parse(line);
  assert.equal(entry.status, 200);
  assert.equal(entry.cache, 'MISS');
  assert.equal(entry.key, 'photo.jpg');
  assert.equal(entry.transform, 'w=77,q=85,f=jpeg');
  assert.equal(entry.bytes_out, r.body.length);
  assert.deepEqual([entry.source, entry.bytes_in], ['mezzanine', mezzanine.size]);
  assert.equal(typeof entry.timings.decode, 'number');
  assert.ok(!mf.logs.some((l) => l.message.includes('"path":"/nope.jpg?w=5"')), 'not requested yet');
  await fetchImage(mf, '/nope.jpg?w=5');
  const notFound = JSON.parse(await eventually(async () => mf.logs.map((l) => l.message).find((m) => m.includes('"path":"/nope.jpg?w=5"'))));
  assert.equal(notFound.status, 404);
  assert.match(notFound.error, /not found|no such/i);
});

test('/_health answers JSON with the version and build', async () => {
  const r = await fetchImage(mf, '/_health');
  assert.equal(r.status, 200);
  assert.equal(r.res.headers.get('content-type'), 'application/json');
  const doc = JSON.parse(r.text());
  assert.equal(doc.status, 'ok');
  assert.match(doc.version, /^\d+\.\d+\.\d+$/);
  assert.ok(doc.build.length > 0);
});
