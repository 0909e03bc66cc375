// The upload API in workerd: PUT and DELETE of originals with the bearer token, R2's atomic
// preconditions, images only, and the variants of a deleted original gone with it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startWorker, openSeeded, closeChecked, fetchImage, listKeys, eventually, sha256, readFileSync, path, SAMPLES } from './helpers.mjs';

const TOKEN = 'a-local-upload-token-for-tests';
let mf;
let expected;

before(async () => ({ mf, expected } = await openSeeded({ vars: { UPLOAD_TOKEN: TOKEN } })));
after(() => closeChecked(mf, expected));

const send = (method, key, body, headers = {}) =>
  fetchImage(mf, `/${key}`, { method, body, headers: { authorization: `Bearer ${TOKEN}`, ...headers } });

test('PUT stores an image typed by its bytes and answers its key, size, ETag, format and dimensions; GET serves it', async () => {
  const png = readFileSync(path.join(SAMPLES, 'alpha.png'));
  const { status, res, text } = await send('PUT', 'up/disc.jpg', png, { 'content-type': 'text/plain' });
  assert.equal(status, 200, text());
  const answer = JSON.parse(text());
  expected['up/disc.jpg'] = sha256(png);
  assert.equal(res.headers.get('content-type'), 'application/json');
  assert.deepEqual([answer.key, answer.size, answer.format, answer.width, answer.height, answer.content_type], ['up/disc.jpg', png.length, 'png', 1200, 800, 'image/png']);
  const original = await fetchImage(mf, '/up/disc.jpg');
  assert.equal(sha256(original.body), sha256(png));
  assert.equal(original.res.headers.get('etag'), answer.etag);
  const small = await fetchImage(mf, '/up/disc.jpg?w=120');
  assert.deepEqual([small.status, small.size.width, small.size.height], [200, 120, 80]);
});

test('bad uploads are refused and leave the stored original as it was', async () => {
  const photo = readFileSync(path.join(SAMPLES, 'photo.jpg'));
  const cases = [
    [{ body: Buffer.from('<html><script>alert(1)</script></html>') }, 415],
    [{ body: photo.subarray(0, photo.length / 3) }, 422],
    [{ body: readFileSync(path.join(SAMPLES, 'bomb.png')) }, 413],
    [{ body: photo, headers: { 'if-none-match': '*' } }, 412],
    [{ body: photo, headers: { 'if-match': '"not-this-one"' } }, 412],
    // Refused before the body is read (the worker drains one of up to 1 MB with a Content-Length,
    // but Miniflare's dispatch may send it chunked): a small one.
    [{ body: photo.subarray(0, 200), headers: { authorization: 'Bearer wrong-token-wrong-token' } }, 403],
    [{ body: photo.subarray(0, 200), headers: { authorization: '' } }, 401],
  ];
  for (const [{ body, headers }, want] of cases) {
    let r;
    try {
      r = await send('PUT', 'photo.jpg', body, headers);
    } catch (e) {
      throw new Error(`${JSON.stringify(headers)} ${body.length} bytes: ${e.cause ?? e}`);
    }
    const { status, text } = r;
    assert.equal(status, want, `${JSON.stringify(headers)}: ${text()}`);
  }
  assert.equal((await send('PUT', '_variants/photo.jpg/w=1', photo.subarray(0, 200))).status, 400, 'never into the variants');
  // closeChecked (after) proves photo.jpg is byte-identical.
});

test('If-None-Match: * creates only; If-Match replaces only that version', async () => {
  const grey = readFileSync(path.join(SAMPLES, 'grey.png'));
  const created = await send('PUT', 'up/once.png', grey, { 'if-none-match': '*' });
  assert.equal(created.status, 201, created.text());
  const etag = JSON.parse(created.text()).etag;
  assert.equal((await send('PUT', 'up/once.png', grey, { 'if-none-match': '*' })).status, 412);
  const alpha = readFileSync(path.join(SAMPLES, 'alpha.png'));
  assert.equal((await send('PUT', 'up/once.png', alpha, { 'if-match': etag })).status, 200);
  assert.equal((await send('PUT', 'up/once.png', grey, { 'if-match': etag })).status, 412, 'that version was replaced');
  expected['up/once.png'] = sha256(alpha);
});

test('DELETE removes the original and its persisted variants, and the data centre answers 404 at once', async () => {
  const png = readFileSync(path.join(SAMPLES, 'alpha.png'));
  assert.equal((await send('PUT', 'up/gone.png', png)).status, 200);
  await fetchImage(mf, '/up/gone.png?w=60');
  await fetchImage(mf, '/up/gone.png?w=70&format=webp');
  await eventually(async () => (await listKeys(mf, '_variants/up/gone.png/')).length === 2);
  await eventually(async () => (await fetchImage(mf, '/up/gone.png?w=60')).res.headers.get('x-cache') === 'HIT');
  const { status, text } = await send('DELETE', 'up/gone.png');
  assert.equal(status, 200, text());
  assert.equal(JSON.parse(text()).variants_deleted, 2);
  assert.deepEqual(await listKeys(mf, '_variants/up/gone.png/'), []);
  assert.equal((await fetchImage(mf, '/up/gone.png')).status, 404);
  assert.equal((await fetchImage(mf, '/up/gone.png?w=60')).status, 404, 'not the cached copy');
  assert.equal((await send('DELETE', 'up/gone.png')).status, 404);
});

test('without UPLOAD_TOKEN, PUT and DELETE are 405', async () => {
  const plain = await startWorker();
  try {
    for (const method of ['PUT', 'DELETE']) {
      const r = await fetchImage(plain, '/photo.jpg', { method, body: method === 'PUT' ? Buffer.from('x') : undefined, headers: { authorization: `Bearer ${TOKEN}` } });
      assert.equal(r.status, 405, method);
    }
  } finally {
    await plain.dispose();
  }
});

test('a body over UPLOAD_MAX_MB is refused while it is read, without a Content-Length too', async () => {
  const small = await startWorker({ vars: { UPLOAD_TOKEN: TOKEN, UPLOAD_MAX_MB: '1' } });
  try {
    // Miniflare's dispatch hands the worker no Content-Length: the cap applies as it reads.
    const body = Buffer.alloc((1 << 20) + 4096, 0xff);
    const r = await fetchImage(small, '/over.png', { method: 'PUT', body, headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(r.status, 413, r.text());
    assert.equal((await fetchImage(small, '/over.png')).status, 404, 'nothing stored');
  } finally {
    await small.dispose();
  }
});
