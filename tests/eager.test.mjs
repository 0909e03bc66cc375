// Eager variants in workerd: R2-event-notification-shaped messages sent to the queue this worker
// consumes (as R2 sends them when an original is created) leave the EAGER_VARIANTS stored, and the
// first request for each is a persisted-variant hit. Redelivery, deletions and malformed
// messages do no harm; originals are never written.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startWorker, putOriginal, fetchImage, listKeys, hashOriginals, eventually, readFileSync, path, SAMPLES } from './helpers.mjs';

const QUEUE = 'image-events';
let mf;
let producer;
let originals;

const event = (action, key, size = 0) => ({
  account: 'local',
  action,
  bucket: 'images',
  object: { key, size, eTag: 'unused' },
  eventTime: new Date().toISOString(),
});
// The consumer's log line for a message about `key`, the `n`th (1-based) one.
const handled = (key, n = 1) =>
  eventually(
    () => {
      const lines = mf.logs.map((l) => l.message).filter((m) => m.includes(`"queue":"${QUEUE}"`) && m.includes(`"key":"${key}"`));
      return lines.length >= n ? JSON.parse(lines[n - 1]) : null;
    },
    { timeoutMs: 20_000 },
  );

before(async () => {
  mf = await startWorker({
    vars: { EAGER_VARIANTS: 'w=320 w=160&format=webp w=100&format=auto' },
    queues: {
      queueProducers: { EVENTS: QUEUE },
      queueConsumers: { [QUEUE]: { maxBatchSize: 1, maxBatchTimeout: 0, maxRetries: 1, deadLetterQueue: `${QUEUE}-dlq` } },
    },
  });
  producer = await mf.getQueueProducer('EVENTS');
  for (const name of ['photo.jpg', 'alpha.png']) await putOriginal(mf, name, readFileSync(path.join(SAMPLES, name)));
  originals = await hashOriginals(mf);
});

after(async () => {
  try {
    assert.deepEqual(await hashOriginals(mf), originals, 'originals changed');
  } finally {
    await mf?.dispose();
  }
});

test('a new original gets its eager variants, and the first request for each is served from them', async () => {
  await producer.send(event('PutObject', 'photo.jpg'));
  const line = await handled('photo.jpg');
  // format=auto is made for both classes of client (AVIF is off by default).
  assert.equal(line.eager.rendered.length, 4, JSON.stringify(line));
  // And the 12 MP original's mezzanine, made with the first variant: the others were made from it.
  const keys = await listKeys(mf, '_variants/photo.jpg/');
  assert.equal(keys.length, 5, keys.join());
  assert.ok(keys.includes('_variants/photo.jpg/mezzanine'), keys.join());
  for (const [url, accept, width, type] of [
    ['/photo.jpg?w=320', undefined, 320, 'image/jpeg'],
    ['/photo.jpg?format=webp&width=160', undefined, 160, 'image/webp'],
    ['/photo.jpg?w=100&format=auto', 'image/avif,image/webp,*/*', 100, 'image/webp'],
    ['/photo.jpg?w=100&format=auto', 'image/jpeg', 100, 'image/jpeg'],
  ]) {
    const { status, res, size } = await fetchImage(mf, url, { headers: accept ? { accept } : {} });
    assert.equal(status, 200, url);
    assert.equal(res.headers.get('x-cache'), 'VARIANT', `${url} ${accept}`);
    assert.equal(res.headers.get('content-type'), type, url);
    assert.equal(size.width, width, url);
  }
});

test('a message delivered again does nothing twice; deletions, variants and malformed messages are acknowledged and skipped', async () => {
  await producer.send(event('PutObject', 'photo.jpg'));
  const again = await handled('photo.jpg', 2);
  assert.deepEqual([again.eager.rendered.length, again.eager.fresh.length], [0, 4], JSON.stringify(again));

  await producer.send(event('DeleteObject', 'alpha.png'));
  assert.equal((await handled('alpha.png')).eager.skipped, 'not an object created');
  await producer.send(event('PutObject', '_variants/photo.jpg/w=320'));
  assert.equal((await handled('_variants/photo.jpg/w=320')).eager.skipped, 'a persisted variant');
  await producer.send('not an event');
  await eventually(() => mf.logs.some((l) => l.level === 'error' && l.message.includes('not an R2 event notification')), { timeoutMs: 20_000 });
  assert.deepEqual(await listKeys(mf, '_variants/alpha.png/'), [], 'a deletion renders nothing');

  // And a PNG with transparency: its WebP keeps the alpha channel.
  await producer.send(event('PutObject', 'alpha.png'));
  assert.equal((await handled('alpha.png', 2)).eager.rendered.length, 4);
  const { res, body } = await fetchImage(mf, '/alpha.png?w=160&format=webp');
  assert.equal(res.headers.get('x-cache'), 'VARIANT');
  const { default: sharp } = await import('sharp');
  assert.equal((await sharp(Buffer.from(body)).metadata()).hasAlpha, true);
});
