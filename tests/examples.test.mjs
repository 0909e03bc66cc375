// The examples users copy: the next/image loader and the plain <img srcset>, through the built
// worker. Every URL they produce answers an image of exactly the width it names (up to the
// original's own, as scale-down never enlarges), in the format the client accepts.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startWorker, putOriginal, fetchImage, readFileSync, path, SAMPLES, ROOT } from './helpers.mjs';
import loader from '../examples/nextjs/image-loader.js';

// next/image's default imageSizes and deviceSizes up to 1920, as the loader's comment recommends:
// Next's 2048 and 3840 from a 12 MP photo need about 75 MB, over the default 64 MB budget (413).
const NEXT_WIDTHS = [640, 750, 828, 1080, 1200, 1920, 16, 32, 48, 64, 96, 128, 256, 384];
const ORIGINAL_WIDTH = 4000;
let mf;

before(async () => {
  mf = await startWorker();
  await putOriginal(mf, 'photo.jpg', readFileSync(path.join(SAMPLES, 'photo.jpg')));
});
after(() => mf?.dispose());

test('next/image loader: every default width is served at that width, negotiated, with quality when given', async () => {
  assert.equal(loader({ src: '/photo.jpg', width: 640 }), '/photo.jpg?w=640&format=auto');
  assert.equal(loader({ src: '/photo.jpg?v=2', width: 96, quality: 60 }), '/photo.jpg?v=2&w=96&format=auto&q=60');
  assert.equal(loader({ src: 'https://cdn.example/a.jpg', width: 16 }), 'https://cdn.example/a.jpg?w=16&format=auto');
  for (const width of NEXT_WIDTHS) {
    const url = loader({ src: '/photo.jpg', width, quality: width < 100 ? 50 : undefined });
    const { status, res, size, text } = await fetchImage(mf, url, { headers: { accept: 'image/avif,image/webp,*/*' } });
    assert.equal(status, 200, `${url}: ${text()}`);
    assert.equal(res.headers.get('content-type'), 'image/webp', url);
    assert.equal(size.width, Math.min(width, ORIGINAL_WIDTH), url);
    assert.match(res.headers.get('vary'), /Accept/, url);
  }
});

test('<img srcset> example: each candidate URL is an image of the width its descriptor says', async () => {
  const html = readFileSync(path.join(ROOT, 'examples', 'html', 'srcset.html'), 'utf8');
  const srcset = /srcset="([^"]+)"/.exec(html)[1];
  const candidates = srcset.split(',').map((c) => c.trim().split(/\s+/));
  assert.ok(candidates.length >= 4);
  for (const [url, descriptor] of candidates) {
    const width = Number(descriptor.replace(/w$/, ''));
    for (const [accept, type] of [['image/webp,*/*', 'image/webp'], ['image/jpeg', 'image/jpeg']]) {
      const { status, res, size } = await fetchImage(mf, url, { headers: { accept } });
      assert.equal(status, 200, url);
      assert.equal(res.headers.get('content-type'), type, `${url} for ${accept}`);
      assert.equal(size.width, width, url);
    }
  }
  const src = /\ssrc="([^"]+)"/.exec(html)[1];
  assert.ok(candidates.some(([url]) => url === src), 'src is one of the candidates');
});
