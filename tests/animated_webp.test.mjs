// Animated WebP output (`anim=true` with `format=webp`, or `format=auto` for clients that accept
// WebP): libwebp's animation encoder, a wasm module of its own (codecs/libwebp). Frames, timing
// and pixels read back with sharp; bytes against our GIF output of the same animation.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { startWorker, putOriginal, fetchImage, readFileSync, path, SAMPLES } from './helpers.mjs';

let mf;
let gif;

before(async () => {
  gif = readFileSync(path.join(SAMPLES, 'animated.gif'));
  mf = await startWorker({ vars: { DEBUG_HEADERS: 'true' } });
  await putOriginal(mf, 'animated.gif', gif);
  await putOriginal(mf, 'animated.webp', await sharp(gif, { animated: true }).webp({ quality: 90 }).toBuffer());
});

after(() => mf?.dispose());

/** Frames of an animation as RGBA, with its size and delays. */
async function frames(bytes) {
  const meta = await sharp(bytes, { animated: true }).metadata();
  const { data } = await sharp(bytes, { animated: true }).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  const frame = meta.width * meta.pageHeight * 4;
  return { meta, at: (n, x, y) => data.subarray(n * frame + (y * meta.width + x) * 4, n * frame + (y * meta.width + x) * 4 + 4) };
}

test('anim=true with format=webp: every frame resized, its timing kept, smaller than our GIF of it', async () => {
  const webp = await fetchImage(mf, '/animated.gif?w=200&anim=true&format=webp');
  const asGif = await fetchImage(mf, '/animated.gif?w=200&anim=true');
  assert.equal(webp.status, 200);
  assert.equal(webp.res.headers.get('content-type'), 'image/webp');
  const [ours, source] = [await frames(webp.body), await frames(gif)];
  assert.deepEqual([ours.meta.width, ours.meta.pageHeight, ours.meta.pages], [200, 150, source.meta.pages]);
  assert.deepEqual(ours.meta.delay, source.meta.delay);
  assert.equal(ours.meta.loop, source.meta.loop);
  // Each frame is its source frame: the mean colour of the middle quarter, frame by frame (the
  // sample's frames differ there).
  const middle = (anim, n, w, h) => {
    const sum = [0, 0, 0];
    const [x0, x1, y0, y1] = [Math.floor((w * 3) / 8), Math.floor((w * 5) / 8), Math.floor((h * 3) / 8), Math.floor((h * 5) / 8)];
    for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) anim.at(n, x, y).slice(0, 3).forEach((v, c) => (sum[c] += v));
    return sum.map((v) => v / ((x1 - x0) * (y1 - y0)));
  };
  for (let n = 0; n < source.meta.pages; n++) {
    const [a, b] = [middle(ours, n, 200, 150), middle(source, n, 400, 300)];
    for (let c = 0; c < 3; c++) assert.ok(Math.abs(a[c] - b[c]) <= 6, `frame ${n}: ${a.map(Math.round)} against ${b.map(Math.round)}`);
  }
  console.log(`animated.gif → 200 px: WebP ${webp.body.length} B, GIF ${asGif.body.length} B`);
  assert.ok(webp.body.length < asGif.body.length * 0.8, `WebP ${webp.body.length} B, GIF ${asGif.body.length} B`);
});

test('format=auto keeps an animation animated: WebP where it is accepted, GIF where not, varying on Accept', async () => {
  const url = '/animated.gif?w=120&anim=true&format=auto';
  const webp = await fetchImage(mf, url, { headers: { accept: 'image/avif,image/webp,*/*' } });
  const old = await fetchImage(mf, url, { headers: { accept: 'image/png,*/*' } });
  assert.deepEqual([webp.res.headers.get('content-type'), old.res.headers.get('content-type')], ['image/webp', 'image/gif']);
  assert.match(webp.res.headers.get('vary') ?? '', /accept/i);
  assert.equal((await frames(webp.body)).meta.pages, (await frames(old.body)).meta.pages);
});

test('an animated WebP original is resized frame by frame, not served unchanged', async () => {
  const { status, res, body } = await fetchImage(mf, '/animated.webp?w=100&anim=true');
  assert.equal(status, 200);
  assert.equal(res.headers.get('x-resize-note'), null);
  const out = await frames(body);
  assert.deepEqual([out.meta.width, out.meta.pageHeight, out.meta.pages], [100, 75, 12]);
});

test('libwebp\'s animation memory: an animation admitted under WEBP_MEMORY_BUDGET_MB stays under it; one over it is served unchanged', { timeout: 120_000 }, async () => {
  const colours = Array.from({ length: 20 }, (_, i) => sharp(path.join(SAMPLES, 'photo.jpg')).resize(1200, 900, { fit: 'fill' }).modulate({ hue: i * 18 }).png().toBuffer());
  const big = await sharp(await Promise.all(colours), { join: { animated: true } }).gif({ delay: 100 }).toBuffer();
  const tight = await startWorker({ vars: { DEBUG_HEADERS: 'true', WEBP_MEMORY_BUDGET_MB: '16' } });
  try {
    await putOriginal(tight, 'big.gif', big);
    const fits = await fetchImage(tight, '/big.gif?w=800&anim=true&format=webp');
    assert.equal(fits.status, 200);
    assert.equal(fits.res.headers.get('content-type'), 'image/webp');
    const used = Number(/webp_anim=(\d+)/.exec(fits.res.headers.get('x-memory'))[1]);
    console.log(`20 frames of 800×600 as WebP: libwebp's animation encoder peaked at ${(used / 2 ** 20).toFixed(1)} MB`);
    assert.ok(used > 4 * 2 ** 20 && used <= 16 * 2 ** 20, `${used}`);
    const over = await fetchImage(tight, '/big.gif?w=1000&anim=true&format=webp');
    assert.equal(over.status, 200);
    assert.match(over.res.headers.get('x-resize-note'), /WebP encoder's budget/);
    assert.equal(over.res.headers.get('content-type'), 'image/gif');
  } finally {
    await tight.dispose();
  }
});
