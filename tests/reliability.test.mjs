// A worker that survives: R2 failures (injected through wrapped bindings), 50 concurrent
// requests for one uncached variant, a panic, hostile URLs and decompression bombs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startWorker, putOriginal, fetchImage, listKeys, eventually, sha256, tempDir, readFileSync, path, SAMPLES } from './helpers.mjs';

const photo = readFileSync(path.join(SAMPLES, 'photo.jpg'));

async function withWorker(options, fn) {
  const mf = await startWorker(options);
  try {
    await putOriginal(mf, 'photo.jpg', photo);
    await fn(mf);
  } finally {
    await mf.dispose();
  }
}

test('a failing R2 read is a 502 with a message, never cached', async () => {
  for (const op of ['head', 'get']) {
    await withWorker({ faults: { IMAGES: [op] } }, async (mf) => {
      for (const url of ['/photo.jpg?w=100', '/photo.jpg']) {
        const r = await fetchImage(mf, url);
        // A plain GET of an original needs no head; it only fails when get does.
        if (op === 'head' && url === '/photo.jpg') {
          assert.equal(r.status, 200);
          continue;
        }
        assert.equal(r.status, 502, `${op} ${url}`);
        assert.match(r.text(), /storage error: .*injected R2 (head|get) failure/);
        assert.equal(r.res.headers.get('cache-control'), 'no-store');
      }
    });
  }
});

test('a stalled bucket holds no request past R2_TIMEOUT_MS: a stalled variant read is a miss, a stalled original a 502', async () => {
  await withWorker({ extraBuckets: ['VARIANTS'], faults: { VARIANTS: ['stall:get'] }, vars: { R2_TIMEOUT_MS: '400' } }, async (mf) => {
    const started = Date.now();
    const r = await fetchImage(mf, '/photo.jpg?w=122');
    assert.deepEqual([r.status, r.size?.width], [200, 122], r.text());
    assert.ok(Date.now() - started < 5000, `${Date.now() - started} ms`);
  });
  await withWorker({ faults: { IMAGES: ['stall:head', 'stall:get'] }, vars: { R2_TIMEOUT_MS: '400' } }, async (mf) => {
    const started = Date.now();
    const r = await fetchImage(mf, '/photo.jpg?w=123');
    assert.equal(r.status, 502);
    assert.match(r.text(), /R2 did not answer a (head|get) within 400 ms/);
    assert.ok(Date.now() - started < 3000, `${Date.now() - started} ms`);
  });
});

test('a failing variant write still returns the image, and the cache still fills', async () => {
  await withWorker({ extraBuckets: ['VARIANTS'], faults: { VARIANTS: ['put'] } }, async (mf) => {
    const first = await fetchImage(mf, '/photo.jpg?w=120');
    assert.equal(first.status, 200);
    assert.deepEqual([first.size.width, first.size.height], [120, 90]);
    const hit = await eventually(async () => {
      const r = await fetchImage(mf, '/photo.jpg?w=120');
      return r.res.headers.get('x-cache') === 'HIT' && r;
    });
    assert.equal(sha256(hit.body), sha256(first.body));
    assert.deepEqual(await listKeys(mf, '', 'VARIANTS'), [], 'the write failed, and nothing else broke');
    assert.deepEqual(await listKeys(mf, '_variants/'), [], 'no fallback into the originals bucket');
  });
});

test('a failing variant read is a miss, not an error: the image is resized instead', async () => {
  await withWorker({ extraBuckets: ['VARIANTS'], faults: { VARIANTS: ['get'] } }, async (mf) => {
    const r = await fetchImage(mf, '/photo.jpg?w=121');
    assert.equal(r.status, 200, r.text());
    assert.equal(r.res.headers.get('x-cache'), 'MISS');
    assert.deepEqual([r.size.width, r.size.height], [121, 91]);
    assert.ok(mf.logs.some((l) => l.level === 'error' && /persisted variant failed.*injected R2 get failure/.test(l.message)));
  });
});

test('50 concurrent requests for one uncached variant: all 200, identical bytes, one variant key', async () => {
  // They queue for the in-flight budget; on a loaded machine the default 3 s wait can run out
  // (a 503, tested below), which is not what this test is about.
  await withWorker({ vars: { IN_FLIGHT_WAIT_MS: '30000' } }, async (mf) => {
    const all = await Promise.all(Array.from({ length: 50 }, () => fetchImage(mf, '/photo.jpg?w=640&format=webp')));
    assert.deepEqual([...new Set(all.map((r) => r.status))], [200]);
    assert.equal(new Set(all.map((r) => sha256(r.body))).size, 1);
    assert.equal(new Set(all.map((r) => r.res.headers.get('etag'))).size, 1);
    // The variant and the 12 MP original's mezzanine.
    const keys = await eventually(async () => {
      const k = await listKeys(mf, '_variants/');
      return k.length > 1 && k;
    }, { timeoutMs: 20_000 });
    assert.deepEqual(keys.sort(), ['_variants/photo.jpg/mezzanine', '_variants/photo.jpg/w=640,f=webp'], 'each written once, or harmlessly more than once under one key');
  });
});

test('over the in-flight budget, requests wait their turn, or get 503 with Retry-After', async () => {
  // A 1 MB budget: every 2.5 MB photo goes alone (one original is always admitted).
  const burst = (mf) => Promise.all(Array.from({ length: 8 }, (_, i) => fetchImage(mf, `/photo.jpg?w=${300 + i}`)));
  await withWorker({ vars: { IN_FLIGHT_BUDGET_MB: '1' } }, async (mf) => {
    assert.deepEqual([...new Set((await burst(mf)).map((r) => r.status))], [200], 'they waited');
  });
  await withWorker({ vars: { IN_FLIGHT_BUDGET_MB: '1', IN_FLIGHT_WAIT_MS: '0' } }, async (mf) => {
    const all = await burst(mf);
    const statuses = all.map((r) => r.status);
    assert.ok(statuses.includes(200), statuses.join());
    const busy = all.filter((r) => r.status === 503);
    assert.ok(busy.length > 0, `no wait allowed, so some are turned away: ${statuses.join()}`);
    for (const r of busy) {
      assert.equal(r.res.headers.get('retry-after'), '1');
      assert.equal(r.res.headers.get('cache-control'), 'no-store');
      assert.match(r.text(), /busy: .* MB/);
    }
  });
});

test('after a panic the next request succeeds (worker resets the instance)', async () => {
  await withWorker({ vars: { DEBUG_HEADERS: 'true' } }, async (mf) => {
    assert.equal((await fetchImage(mf, '/photo.jpg?w=50')).status, 200);
    const boom = await fetchImage(mf, '/_debug/panic');
    assert.ok(boom.status >= 500, `a panic is a 5xx, got ${boom.status}`);
    for (const w of [51, 52]) {
      const r = await fetchImage(mf, `/photo.jpg?w=${w}`);
      assert.equal(r.status, 200, r.text());
      assert.equal(r.size.width, w);
    }
  });
  await withWorker({}, async (mf) => {
    assert.equal((await fetchImage(mf, '/_debug/panic')).status, 404, 'off without DEBUG_HEADERS');
  });
});

test('hostile URLs are 400 or 404, never 5xx', async () => {
  const long = 'a'.repeat(10_000);
  const many = Array.from({ length: 3000 }, (_, i) => `p${i}=1`).join('&');
  const urls = [
    '/../../etc/passwd', '/%2e%2e/%2e%2e/etc/passwd', '/photo.jpg/..%2f..%2fsecret', '/a%2Fb%2F..%2F..%2Fphoto.jpg?w=10',
    '/photo.jpg%00.png?w=10', '/%00', '/photo.jpg?w=10%00', '/photo.jpg?w=1%0a0', `/photo.jpg?w=${long}`, `/photo.jpg?${long}=1`,
    `/photo.jpg?${many}`, '/photo.jpg?w=10&w=20', '/photo.jpg?w=10&width=20', '/photo.jpg?w=-1', '/photo.jpg?w=1e3', '/photo.jpg?w=0x10',
    '/photo.jpg?format=../../x', '/photo.jpg?background=url(javascript:alert(1))', '/photo.jpg?gravity=1x1x1', '/photo.jpg?dpr=NaN',
    '/photo.jpg?w=99999999999999999999', '/caf%C3%A9.jpg?w=10', '/%F0%9F%90%B1.jpg', '/%C0%AF.jpg', '/%ff%fe.jpg?w=10',
    '/cdn-cgi/image/', '/cdn-cgi/image/width=10', '/cdn-cgi/image/width=10/', '/cdn-cgi/image/width=10,width=20/photo.jpg',
    '/cdn-cgi/image/w=10/..%2fphoto.jpg', '/photo-0x0.jpg', '/photo-99999x99999.jpg', '/_variants/photo.jpg', `/${'d/'.repeat(600)}x.jpg`,
    '/photo.jpg?sig=&exp=', '/photo.jpg?exp=99999999999999999999999',
  ];
  await withWorker({}, async (mf) => {
    for (const url of urls) {
      const r = await fetchImage(mf, url);
      assert.ok([400, 404].includes(r.status), `${url.slice(0, 80)}: ${r.status} ${r.text().slice(0, 100)}`);
    }
  });
});

/** A GIF whose logical screen is 65535×65535, with one 1×1 frame. */
function gifBomb() {
  const header = Buffer.from('GIF89a', 'latin1');
  const screen = Buffer.from([0xff, 0xff, 0xff, 0xff, 0x80, 0, 0]); // 65535², global palette of 2
  const palette = Buffer.from([0, 0, 0, 255, 255, 255]);
  const image = Buffer.from([0x2c, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0x02, 0x02, 0x44, 0x01, 0x00, 0x3b]);
  return Buffer.concat([header, screen, palette, image]);
}

/** A lossless WebP whose header claims 16383×16383, with no pixel data. */
function webpBomb() {
  const bits = 16382 | (16382 << 14);
  const vp8l = Buffer.alloc(5);
  vp8l[0] = 0x2f;
  vp8l.writeUInt32LE(bits >>> 0, 1);
  const chunk = Buffer.concat([Buffer.from('VP8L', 'latin1'), Buffer.from([5, 0, 0, 0]), vp8l, Buffer.alloc(1)]);
  const size = Buffer.alloc(4);
  size.writeUInt32LE(4 + chunk.length);
  return Buffer.concat([Buffer.from('RIFF', 'latin1'), size, Buffer.from('WEBP', 'latin1'), chunk]);
}

test('decompression bombs (GIF screen, WebP header) are 413 without decoding', async () => {
  await withWorker({}, async (mf) => {
    await putOriginal(mf, 'bomb.gif', gifBomb());
    await putOriginal(mf, 'bomb.webp', webpBomb());
    for (const url of ['/bomb.gif?w=100', '/bomb.webp?w=100', '/bomb.gif?w=100&anim=true']) {
      const started = performance.now();
      const r = await fetchImage(mf, url);
      const ms = performance.now() - started;
      assert.equal(r.status, 413, `${url}: ${r.status} ${r.text()}`);
      assert.match(r.text(), /budget/);
      // A hang guard, not a benchmark: refusing from the header takes milliseconds.
      assert.ok(ms < 2000, `${url} took ${ms} ms`);
    }
  });
});

/** The R2 calls the delaying wrapper logged (`r2LatencyMs`), in order. */
const r2Calls = (mf) => mf.logs.map((l) => { try { return JSON.parse(l.message); } catch { return {}; } }).filter((c) => c.r2);

test('a miss asks R2 for the metadata, the persisted variant, the mezzanine and the original at once; a variant hit cancels the original', async () => {
  // Every R2 call takes 50 ms, as from a distant bucket; the log shows which calls overlap.
  const { dir: persist, remove } = tempDir();
  try {
    await withWorker({ r2LatencyMs: 50, persist }, async (mf) => {
      const miss = await fetchImage(mf, '/photo.jpg?w=132');
      assert.equal(miss.status, 200);
      assert.equal(miss.res.headers.get('x-cache'), 'MISS');
      // One wait before the response: the four calls start before any ends (the gets as soon as
      // the local cache has missed). After the response come the variant's put and the mezzanine's
      // making (the original read again, then its put), which the first eight calls do not show.
      const reads = r2Calls(mf).filter((c) => c.op !== 'put').slice(0, 8);
      assert.deepEqual(reads.map((c) => c.r2), ['start', 'start', 'start', 'start', 'end', 'end', 'end', 'end'], JSON.stringify(reads));
      const asked = reads.slice(0, 4).map((c) => `${c.op} ${c.key}`).sort();
      assert.deepEqual(asked, ['get _variants/photo.jpg/mezzanine', 'get _variants/photo.jpg/w=132', 'get photo.jpg', 'head photo.jpg']);
      await eventually(async () => (await listKeys(mf, '_variants/photo.jpg/')).length === 2, { timeoutMs: 20_000 });
    });
    // A fresh cache on the same R2: the variant is served, the original's body is not read.
    await withWorker({ r2LatencyMs: 50, persist }, async (mf) => {
      const again = await fetchImage(mf, '/photo.jpg?w=132');
      assert.equal(again.status, 200);
      assert.equal(again.res.headers.get('x-cache'), 'VARIANT');
      assert.deepEqual([again.size.width, again.size.height], [132, 99]);
      assert.deepEqual(r2Calls(mf).map((c) => c.r2), ['start', 'start', 'start', 'start', 'end', 'end', 'end', 'end'], 'one wait for all four');
      assert.deepEqual(mf.logs.filter((l) => l.level === 'error'), [], 'cancelling the unread body is quiet');
    });
  } finally {
    remove();
  }
});

test("a path-grammar URL looks up the literal file and the grammar's original at once", async () => {
  // Checking the original on every request (MAX_STALE_S=0), so the hit's R2 calls show too.
  await withWorker({ r2LatencyMs: 50, vars: { MAX_STALE_S: '0' } }, async (mf) => {
    const url = '/photo-200x150.jpg';
    const miss = await fetchImage(mf, url);
    assert.equal(miss.status, 200, miss.text());
    assert.deepEqual([miss.size.width, miss.size.height], [200, 150]);
    // (The first ten: then the work after the response, the mezzanine made from the original read again.)
    const reads = r2Calls(mf).filter((c) => c.op !== 'put').slice(0, 10);
    const gets = ['start get', 'start get', 'start get', 'end get', 'end get', 'end get']; // variant, mezzanine, original
    assert.deepEqual(reads.map((c) => `${c.r2} ${c.op}`), ['start head', 'start head', 'end head', 'end head', ...gets]);
    assert.deepEqual(reads.slice(0, 2).map((c) => c.key).sort(), ['photo-200x150.jpg', 'photo.jpg']);
    await eventually(async () => (await fetchImage(mf, url)).res.headers.get('x-cache') === 'HIT');
    // (Once the miss's mezzanine is stored, after its response.)
    await eventually(() => r2Calls(mf).some((c) => c.op === 'put' && c.r2 === 'end' && c.key.endsWith('/mezzanine')), { timeoutMs: 20_000 });
    // A hit: one round trip to R2 (both heads at once), then the cache.
    mf.logs.length = 0;
    const hit = await fetchImage(mf, url);
    assert.equal(hit.res.headers.get('x-cache'), 'HIT');
    assert.deepEqual(r2Calls(mf).map((c) => `${c.r2} ${c.op}`), ['start head', 'start head', 'end head', 'end head']);
  });
});

test('a cache hit asks R2 nothing while the data centre remembers the original (MAX_STALE_S)', async () => {
  await withWorker({ r2LatencyMs: 50 }, async (mf) => {
    const url = '/photo.jpg?w=134';
    const miss = await fetchImage(mf, url);
    assert.equal(miss.res.headers.get('x-cache'), 'MISS');
    await eventually(async () => (await fetchImage(mf, url)).res.headers.get('x-cache') === 'HIT');
    // The miss's writes after the response (the variant, the mezzanine) are done.
    await eventually(() => r2Calls(mf).filter((c) => c.op === 'put' && c.r2 === 'end').length === 2, { timeoutMs: 20_000 });
    mf.logs.length = 0;
    const hit = await fetchImage(mf, url);
    assert.equal(hit.res.headers.get('x-cache'), 'HIT');
    assert.deepEqual(r2Calls(mf), [], 'no R2 call (its time is in BENCHMARKS.md)');
    // Its 304 likewise.
    mf.logs.length = 0;
    const same = await fetchImage(mf, url, { headers: { 'if-none-match': hit.res.headers.get('etag') } });
    assert.equal(same.status, 304);
    assert.deepEqual(r2Calls(mf), []);
    // And a path-grammar URL's: whether a file really has that name is remembered too.
    const named = '/photo-134x100.jpg';
    await fetchImage(mf, named);
    await eventually(async () => (await fetchImage(mf, named)).res.headers.get('x-cache') === 'HIT');
    mf.logs.length = 0;
    assert.equal((await fetchImage(mf, named)).res.headers.get('x-cache'), 'HIT');
    assert.deepEqual(r2Calls(mf), []);
  });
});

test('a conditional GET of an original waits for one R2 call, 304 or 200; a range needs the size first', async () => {
  await withWorker({ r2LatencyMs: 50 }, async (mf) => {
    const etag = (await fetchImage(mf, '/photo.jpg')).res.headers.get('etag');
    const calls = async (headers) => {
      mf.logs.length = 0;
      const r = await fetchImage(mf, '/photo.jpg', { headers });
      return [r, r2Calls(mf).map((c) => `${c.r2} ${c.op}`)];
    };
    const [same, sameCalls] = await calls({ 'if-none-match': etag });
    assert.equal(same.status, 304);
    assert.deepEqual(sameCalls, ['start get', 'end get'], 'the body is cancelled unread');
    const [changed, changedCalls] = await calls({ 'if-none-match': '"other"' });
    assert.equal(changed.status, 200);
    assert.equal(sha256(changed.body), sha256(photo));
    assert.deepEqual(changedCalls, ['start get', 'end get']);
    const [part, partCalls] = await calls({ range: 'bytes=0-99' });
    assert.equal(part.status, 206);
    assert.deepEqual(part.body, new Uint8Array(photo.subarray(0, 100)));
    assert.deepEqual(partCalls, ['start head', 'end head', 'start get', 'end get']);
    assert.deepEqual(mf.logs.filter((l) => l.level === 'error'), []);
  });
});

test("an original whose key is near R2's limit is still resized; its variant is not persisted", async () => {
  await withWorker({}, async (mf) => {
    const key = `${'a/'.repeat(503)}photo.jpg`; // 1,015 bytes: the variant's key would pass R2's 1,024
    await putOriginal(mf, key, photo);
    const r = await fetchImage(mf, `/${key}?w=10`);
    assert.equal(r.status, 200, r.text());
    assert.equal(r.size.width, 10);
    await eventually(async () => (await fetchImage(mf, `/${key}?w=10`)).res.headers.get('x-cache') === 'HIT');
    assert.deepEqual(await listKeys(mf, '_variants/'), []);
  });
});
