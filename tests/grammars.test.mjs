// Every URL style through the built worker: decoded size and type of the answer, one cache entry
// for equivalent URLs, a real file winning over a path grammar, and the policy modes (size
// allow-list, presets only, signed URLs) with their configuration.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { startWorker, seedSamples, seededSuite, fetchImage, putOriginal, listKeys, eventually, sha256, readFileSync, path, SAMPLES } from './helpers.mjs';
import { signUrl } from '../scripts/sign.mjs';

const photo = () => readFileSync(path.join(SAMPLES, 'photo.jpg'));

describe('URL grammars', () => {
  let mf;
  before(async () => {
    mf = await startWorker();
    await seedSamples(mf);
    await putOriginal(mf, 'shop/photo.jpg', photo());
    await putOriginal(mf, 'produs_227613/img.jpg', photo());
  });
  after(() => mf.dispose());

  // [url, content type, width, height]; photo.jpg is 4000×3000, portrait.jpg shows 1200×1800.
  const table = [
    ['/photo.jpg?width=400&height=300&fit=cover&quality=75&format=webp&dpr=2', 'image/webp', 800, 600],
    ['/photo.jpg?w=300&h=300&fit=pad&background=000', 'image/jpeg', 300, 300],
    ['/photo.jpg?w=300&rotate=90', 'image/jpeg', 300, 400],
    ['/cdn-cgi/image/width=400,fit=cover,height=100/shop/photo.jpg', 'image/jpeg', 400, 100],
    ['/cdn-cgi/image/w=320,format=png/photo.jpg', 'image/png', 320, 240],
    ['/shop/photo-200x200.jpg', 'image/jpeg', 200, 200],
    ['/shop/photo-640w.jpg', 'image/jpeg', 640, 480],
    ['/shop/photo-480h.jpg', 'image/jpeg', 640, 480],
    ['/produs_227613/360x270/img.jpg', 'image/jpeg', 360, 270],
    ['/100x100/photo.jpg', 'image/jpeg', 100, 100],
    ['/shop/640w/photo.jpg', 'image/jpeg', 640, 480],
    ['/shop/480h/photo.jpg', 'image/jpeg', 640, 480],
    ['/photo-md.jpg', 'image/jpeg', 640, 480],
    ['/alpha-sm.png', 'image/png', 320, 213],
    ['/photo.jpg?size=S&to_webp=1', 'image/webp', 640, 480],
    ['/portrait.jpg?size=S', 'image/jpeg', 480, 720],
    ['/portrait.jpg?size=SXS', 'image/jpeg', 120, 180],
  ];
  for (const [url, type, width, height] of table) {
    test(url, async () => {
      const { status, res, size, text } = await fetchImage(mf, url);
      assert.equal(status, 200, text());
      assert.equal(res.headers.get('content-type'), type);
      assert.deepEqual([size.width, size.height], [width, height]);
    });
  }

  test('equivalent URLs in different grammars share one cache entry', async () => {
    const first = await fetchImage(mf, '/photo-lg.jpg');
    assert.equal(first.res.headers.get('x-cache'), 'MISS');
    for (const url of ['/photo.jpg?w=1280', '/photo-1280w.jpg', '/1280w/photo.jpg', '/cdn-cgi/image/width=1280/photo.jpg', '/photo.jpg?w=640&dpr=2']) {
      const again = await eventually(async () => {
        const r = await fetchImage(mf, url);
        return r.res.headers.get('x-cache') === 'HIT' && r;
      });
      assert.equal(sha256(again.body), sha256(first.body), url);
    }
  });

  test('a file really named like a path-grammar URL is served as it is', async () => {
    const literal = readFileSync(path.join(SAMPLES, 'alpha.png'));
    await putOriginal(mf, 'photo-50x50.jpg', literal, 'image/png');
    const real = await fetchImage(mf, '/photo-50x50.jpg');
    assert.equal(sha256(real.body), sha256(literal));
    const grammar = await fetchImage(mf, '/photo-60x60.jpg');
    assert.deepEqual([grammar.size.width, grammar.size.height], [60, 60]);
  });

  test('format=auto negotiates from Accept and varies on it', async () => {
    const url = '/alpha.png?w=200&format=auto';
    const webp = await fetchImage(mf, url, { headers: { accept: 'image/avif,image/webp,*/*' } });
    assert.equal(webp.res.headers.get('content-type'), 'image/webp');
    assert.equal(webp.res.headers.get('vary'), 'Accept');
    const legacy = await fetchImage(mf, url, { headers: { accept: 'image/png,*/*' } });
    assert.equal(legacy.res.headers.get('content-type'), 'image/png');
    assert.equal(legacy.res.headers.get('vary'), 'Accept');
    // Each class has its own cache entry: the second WebP client gets WebP from the cache.
    const again = await eventually(async () => {
      const r = await fetchImage(mf, url, { headers: { accept: 'image/webp' } });
      return r.res.headers.get('x-cache') === 'HIT' && r;
    });
    assert.equal(again.res.headers.get('content-type'), 'image/webp');
    const fixed = await fetchImage(mf, '/alpha.png?w=200&format=png');
    assert.equal(fixed.res.headers.get('vary'), null, 'fixed formats do not vary');
  });

  test('AVIF output, its size limit, and non-image extensions', async () => {
    const avif = await fetchImage(mf, '/photo.jpg?w=100&format=avif');
    assert.equal(avif.status, 200, avif.text());
    assert.equal(avif.res.headers.get('content-type'), 'image/avif');
    assert.deepEqual([avif.size.type, avif.size.width, avif.size.height], ['avif', 100, 75]);
    // Past AVIF_MAX_SIDE, Cloudflare's best effort: WebP at the size asked, saying so; stored
    // and cached as the variant of this URL.
    const big = await fetchImage(mf, '/photo.jpg?w=1600&format=avif');
    assert.equal(big.status, 200, big.text());
    assert.equal(big.res.headers.get('content-type'), 'image/webp');
    assert.deepEqual([big.size.type, big.size.width, big.size.height], ['webp', 1600, 1200]);
    assert.match(big.res.headers.get('x-resize-note'), /served WEBP instead of AVIF: AVIF output is limited to 1200 px/);
    // A transform no format fits (2400 px of a 12 MP photo is over the memory budget as any
    // format) is still a 413, and says so rather than blaming AVIF.
    const huge = await fetchImage(mf, '/photo.jpg?w=2400&format=avif');
    assert.equal(huge.status, 413);
    assert.match(huge.text(), /budget/);
    assert.doesNotMatch(huge.text(), /AVIF/);
    // A 6 MP photo at 2400 px: AVIF is over its side, WebP fits, and it is served.
    const sixMp = await sharp({ create: { width: 3000, height: 2000, channels: 3, background: '#4a7' } }).jpeg().toBuffer();
    await putOriginal(mf, 'six.jpg', sixMp, 'image/jpeg');
    const wide = await fetchImage(mf, '/six.jpg?w=2400&format=avif');
    assert.deepEqual([wide.status, wide.res.headers.get('content-type'), wide.size?.width, wide.size?.height], [200, 'image/webp', 2400, 1600]);
    const again = await eventually(async () => {
      const r = await fetchImage(mf, '/photo.jpg?w=1600&format=avif');
      return r.res.headers.get('x-cache') === 'HIT' && r;
    });
    assert.equal(again.res.headers.get('content-type'), 'image/webp');
    assert.equal(again.res.headers.get('etag'), big.res.headers.get('etag'));
    await putOriginal(mf, 'doc.pdf', Buffer.from('%PDF-1.4'), 'application/pdf');
    assert.equal((await fetchImage(mf, '/doc.pdf?w=100')).status, 415);
  });
});

describe('SIZE_POLICY=allow-list', () => {
  let mf;
  seededSuite({ vars: { SIZE_POLICY: 'allow-list', ALLOWED_SIZES: '360x270,480h,640w' } }, (w) => (mf = w));

  test('allowed sizes and presets resize; any other size is a 400 before anything is written', async () => {
    for (const url of ['/photo-360x270.jpg', '/photo.jpg?w=640', '/photo-480h.jpg', '/photo-md.jpg', '/photo.jpg?size=XS', '/photo.jpg?w=320&dpr=2']) {
      assert.equal((await fetchImage(mf, url)).status, 200, url);
    }
    const refused = await fetchImage(mf, '/photo.jpg?w=641');
    assert.equal(refused.status, 400);
    assert.match(refused.text(), /size 641w is not allowed here \(allowed: 360x270, 480h, 640w/);
    await new Promise((r) => setTimeout(r, 200));
    assert.ok(!(await listKeys(mf, '_variants/')).some((k) => k.includes('w=641')));
  });
});

describe('SIZE_POLICY=presets', () => {
  let mf;
  seededSuite({ vars: { SIZE_POLICY: 'presets', PRESETS: 'thumb=150x150,md=640' } }, (w) => (mf = w));

  test('only named presets', async () => {
    const thumb = await fetchImage(mf, '/photo-thumb.jpg');
    assert.deepEqual([thumb.status, thumb.size.width, thumb.size.height], [200, 150, 150]);
    assert.equal((await fetchImage(mf, '/photo-md.jpg')).status, 200);
    assert.equal((await fetchImage(mf, '/photo.jpg?w=500')).status, 400);
    assert.equal((await fetchImage(mf, '/photo-lg.jpg')).status, 404, 'lg is not a preset here, so it is just a missing key');
  });
});

describe('signed URLs', () => {
  let mf;
  // Keys of at least 32 bytes: the worker refuses shorter ones (docs/configuration.md).
  const key = 'a-test-signing-key-of-32-bytes!!';
  const oldKey = 'the-previous-signing-key-32-byte';
  seededSuite({ vars: { SIGNING_KEY: key, SIGNING_KEY_PREVIOUS: oldKey } }, (w) => (mf = w));

  test('signed, tampered, unsigned, expired and rotated-key URLs', async () => {
    const signed = signUrl('/photo.jpg?w=120', key);
    const ok = await fetchImage(mf, signed);
    assert.deepEqual([ok.status, ok.size.width], [200, 120]);
    for (const bad of [signed.replace('w=120', 'w=121'), '/photo.jpg?w=120', signed.replace(/sig=./, 'sig=A'), signUrl('/photo.jpg?w=120', 'wrong')]) {
      const r = await fetchImage(mf, bad);
      assert.equal(r.status, 403, bad);
    }
    const now = Math.floor(Date.now() / 1000);
    assert.equal((await fetchImage(mf, signUrl('/photo.jpg?w=130', key, { expiresAt: now + 3600 }))).status, 200);
    const expired = await fetchImage(mf, signUrl('/photo.jpg?w=130', key, { expiresAt: now - 10 }));
    assert.equal(expired.status, 403);
    assert.match(expired.text(), /expired/);
    assert.equal((await fetchImage(mf, signUrl('/photo.jpg?w=140', oldKey))).status, 200, 'previous key during rotation');
    assert.equal((await fetchImage(mf, signUrl('/cdn-cgi/image/width=90/photo.jpg', key))).status, 200);
  });

  test('originals need a signature too by default', async () => {
    assert.equal((await fetchImage(mf, '/photo.jpg')).status, 403);
    assert.equal((await fetchImage(mf, signUrl('/photo.jpg', key))).status, 200);
  });
});

describe('REQUIRE_SIGNATURE=false', () => {
  let mf;
  seededSuite({ vars: { SIGNING_KEY: 'another-test-signing-key-32-byte', REQUIRE_SIGNATURE: 'false' } }, (w) => (mf = w));

  test('unsigned originals pass, unsigned transforms do not', async () => {
    assert.equal((await fetchImage(mf, '/photo.jpg')).status, 200);
    assert.equal((await fetchImage(mf, '/photo.jpg?w=100')).status, 403);
    assert.equal((await fetchImage(mf, '/photo-100w.jpg')).status, 403);
  });
});

describe('AUTO_AVIF=true', () => {
  let mf;
  seededSuite({ vars: { AUTO_AVIF: 'true' } }, (w) => (mf = w));

  test('format=auto picks AVIF for clients that accept it, WebP for the others', async () => {
    const avif = await fetchImage(mf, '/photo.jpg?w=200&format=auto', { headers: { accept: 'image/avif,image/webp,*/*' } });
    assert.deepEqual([avif.res.headers.get('content-type'), avif.res.headers.get('vary'), avif.size.width], ['image/avif', 'Accept', 200]);
    const webp = await fetchImage(mf, '/photo.jpg?w=200&format=auto', { headers: { accept: 'image/webp,*/*' } });
    assert.equal(webp.res.headers.get('content-type'), 'image/webp');
  });
});

describe('AUTO_FORMAT=true', () => {
  let mf;
  seededSuite({ vars: { AUTO_FORMAT: 'true' } }, (w) => (mf = w));

  test('transforms that name no format are negotiated; named formats and originals are not', async () => {
    const webp = await fetchImage(mf, '/photo.jpg?w=200', { headers: { accept: 'image/webp,*/*' } });
    assert.deepEqual([webp.res.headers.get('content-type'), webp.res.headers.get('vary')], ['image/webp', 'Accept']);
    const legacy = await fetchImage(mf, '/photo.jpg?w=200', { headers: { accept: 'image/jpeg' } });
    assert.deepEqual([legacy.res.headers.get('content-type'), legacy.res.headers.get('vary')], ['image/jpeg', 'Accept']);
    const named = await fetchImage(mf, '/photo.jpg?w=200&format=jpeg', { headers: { accept: 'image/webp,*/*' } });
    assert.deepEqual([named.res.headers.get('content-type'), named.res.headers.get('vary')], ['image/jpeg', null]);
    const original = await fetchImage(mf, '/photo.jpg', { headers: { accept: 'image/webp,*/*' } });
    assert.equal(original.res.headers.get('content-type'), 'image/jpeg');
  });
});
