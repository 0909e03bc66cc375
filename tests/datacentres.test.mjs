// Two data centres in workerd: two Miniflare instances on one persisted R2 directory, each with
// its own Cache API, as two Cloudflare locations share a bucket and nothing else. What A writes,
// B uses; what A replaces or deletes, A shows at once and B within MAX_STALE_S and one request;
// eager variants and a mezzanine made by A's queue consumer serve B.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { startWorker, fetchImage, tempDir, eventually, readFileSync, path, SAMPLES } from './helpers.mjs';

const TOKEN = 'a-local-upload-token-for-tests';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function twoDataCentres(maxStale, fn) {
  const { dir, remove } = tempDir();
  const vars = { MAX_STALE_S: String(maxStale), UPLOAD_TOKEN: TOKEN };
  const a = await startWorker({ persist: dir, vars });
  const b = await startWorker({ persist: dir, vars });
  try {
    await fn(a, b);
  } finally {
    await a.dispose();
    await b.dispose();
    remove();
  }
}

const upload = (mf, key, body, method = 'PUT') => fetchImage(mf, `/${key}`, { method, body, headers: { authorization: `Bearer ${TOKEN}` } });

/** B's answers to `url` until it shows what `done` recognises; how many came before. */
async function answersBefore(b, url, done) {
  for (let n = 0; n < 4; n++) {
    if (done(await fetchImage(b, url))) return n;
  }
  return Infinity;
}

for (const maxStale of [0, 1]) {
  test(`MAX_STALE_S=${maxStale}: B uses A's variants and sees A's replacement and delete in time`, async () => {
    await twoDataCentres(maxStale, async (a, b) => {
      const url = '/dc/p.png?w=100';
      assert.equal((await upload(a, 'dc/p.png', readFileSync(path.join(SAMPLES, 'alpha.png')))).status, 200);
      const made = await fetchImage(a, url);
      assert.deepEqual([made.status, made.res.headers.get('x-cache'), made.size.height], [200, 'MISS', 67]);
      const used = await fetchImage(b, url);
      assert.deepEqual([used.res.headers.get('x-cache'), used.size.height], ['VARIANT', 67], 'A\'s persisted variant, no resize');
      assert.equal((await fetchImage(b, url)).res.headers.get('x-cache'), 'HIT');

      const square = await sharp({ create: { width: 300, height: 300, channels: 3, background: '#369' } }).png().toBuffer();
      assert.equal((await upload(a, 'dc/p.png', square)).status, 200);
      assert.equal((await fetchImage(a, url)).size.height, 100, 'A shows it at once');
      await sleep(maxStale * 1000 + 100);
      const stale = await answersBefore(b, url, (r) => r.size?.height === 100);
      assert.ok(stale <= (maxStale === 0 ? 0 : 1), `B answered the old picture ${stale} times past the window`);

      assert.equal((await upload(a, 'dc/p.png', undefined, 'DELETE')).status, 200);
      assert.equal((await fetchImage(a, url)).status, 404);
      await sleep(maxStale * 1000 + 100);
      const served = await answersBefore(b, url, (r) => r.status === 404);
      assert.ok(served <= (maxStale === 0 ? 0 : 1), `B served the deleted original ${served} times past the window`);
    });
  });
}

test("eager variants and a mezzanine made in A's queue consumer serve B without a resize of the original", async () => {
  const { dir, remove } = tempDir();
  const QUEUE = 'dc-events';
  const queues = { queueProducers: { EVENTS: QUEUE }, queueConsumers: { [QUEUE]: { maxBatchSize: 1, maxBatchTimeout: 0 } } };
  const vars = { UPLOAD_TOKEN: TOKEN, EAGER_VARIANTS: 'w=320 w=160&format=webp', DEBUG_HEADERS: 'true' };
  const a = await startWorker({ persist: dir, vars, queues });
  const b = await startWorker({ persist: dir, vars: { DEBUG_HEADERS: 'true' } });
  try {
    // The 12 MP sample, uploaded through A; R2 would then notify A's queue, as sent here.
    assert.equal((await upload(a, 'dc/photo.jpg', readFileSync(path.join(SAMPLES, 'photo.jpg')))).status, 200);
    const producer = await a.getQueueProducer('EVENTS');
    await producer.send({ account: 'local', action: 'PutObject', bucket: 'images', object: { key: 'dc/photo.jpg', size: 0, eTag: 'x' }, eventTime: new Date().toISOString() });
    const line = await eventually(
      () => a.logs.map((l) => l.message).find((m) => m.includes(`"queue":"${QUEUE}"`) && m.includes('"key":"dc/photo.jpg"')),
      { timeoutMs: 30_000 },
    );
    assert.equal(JSON.parse(line).eager.rendered.length, 2, line);
    for (const [url, width] of [['/dc/photo.jpg?w=320', 320], ['/dc/photo.jpg?w=160&format=webp', 160]]) {
      const r = await fetchImage(b, url);
      assert.deepEqual([r.status, r.res.headers.get('x-cache'), r.size.width], [200, 'VARIANT', width], url);
    }
    // A size no one rendered yet: B makes it from the mezzanine A stored.
    const other = await fetchImage(b, '/dc/photo.jpg?w=500');
    assert.deepEqual([other.status, other.res.headers.get('x-cache'), other.res.headers.get('x-resize-source')], [200, 'MISS', 'mezzanine']);
  } finally {
    await a.dispose();
    await b.dispose();
    remove();
  }
});
