// Memory, measured rather than assumed: local workerd does not enforce the 128 MB isolate limit,
// so these tests read the wasm memories' high-water marks (`DEBUG_HEADERS=true` → `x-memory`,
// `x-memory-estimate`) and hold admission control's estimate to them.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { startWorker, seededSuite, putOriginal, fetchImage, readFileSync, path, SAMPLES } from './helpers.mjs';

const MiB = 2 ** 20;
const memory = (res) => {
  const m = /wasm=(\d+), webp=(\d+)/.exec(res.headers.get('x-memory'));
  return { wasm: Number(m[1]), webp: Number(m[2]) };
};

describe('admission estimate against the measured high-water mark', () => {
  // Each case on a fresh instance, since linear memory never shrinks.
  const cases = ['/photo.jpg?w=2400', '/photo.jpg?w=1999', '/big.jpg?w=1200', '/big.jpg?w=2400&format=png', '/big-progressive.jpg?w=800', '/photo.jpg?w=1600&format=webp', '/alpha.png?w=1000&h=1000&fit=pad', '/portrait.jpg?w=1200&rotate=90', '/photo.jpg?w=1200&format=avif', '/animated.gif?w=400&anim=true', '/logo.svg?w=2400', '/logo.svg?w=1200&format=webp'];
  for (const url of cases) {
    test(url, async () => {
      const mf = await startWorker({ vars: { DEBUG_HEADERS: 'true', MEMORY_BUDGET_MB: url.includes('svg') ? '120' : '100' } });
      try {
        const key = url.slice(1).split('?')[0];
        await putOriginal(mf, key, readFileSync(path.join(SAMPLES, key)));
        const { status, res, text } = await fetchImage(mf, url);
        assert.equal(status, 200, text());
        const measured = memory(res).wasm;
        const estimate = Number(res.headers.get('x-memory-estimate'));
        console.log(`${url}: measured ${(measured / MiB).toFixed(1)} MB, estimated ${(estimate / MiB).toFixed(1)} MB`);
        assert.ok(measured <= estimate, `measured ${measured} > estimate ${estimate}`);
      } finally {
        await mf.dispose();
      }
    });
  }
});

describe('one instance under load', () => {
  let mf;
  seededSuite({ vars: { DEBUG_HEADERS: 'true' } }, (w) => (mf = w));

  test('8 concurrent transforms of large photos: seven succeed, the 24 MP progressive is refused with 413, and the isolate stays well under 128 MB', async () => {
    const urls = [
      '/big.jpg?w=1200',
      '/big.jpg?w=1800&format=webp',
      '/big.jpg?w=2000&h=2000&fit=cover',
      '/big-progressive.jpg?w=600',
      '/photo.jpg?w=1800',
      '/photo.jpg?w=1600&format=webp&q=70',
      '/progressive.jpg?w=1000&format=png',
      '/big.jpg?w=800&rotate=270',
    ];
    const results = await Promise.all(urls.map((u) => fetchImage(mf, u)));
    const statuses = results.map((r) => r.status);
    // The 24 MP progressive needs its full coefficient buffer (~80 MB): over the default budget,
    // it is refused cleanly; every other one succeeds.
    assert.deepEqual(statuses, [200, 200, 200, 413, 200, 200, 200, 200], results.map((r) => r.status === 200 ? '' : r.text()).join(' | '));
    const last = (await fetchImage(mf, '/photo.jpg?w=10')).res;
    const { wasm, webp } = memory(last);
    console.log(`after the burst: wasm ${(wasm / MiB).toFixed(1)} MB + WebP encoder ${(webp / MiB).toFixed(1)} MB`);
    assert.ok(wasm + webp < 112 * MiB, `wasm ${wasm} + webp ${webp} leaves too little of 128 MB for the JS heap`);
  });
});
