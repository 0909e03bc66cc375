// The names Cloudflare's types list and its docs leave unexplained, with the meanings
// docs/options.md gives them: `gravity=entropy`, `gravity.mode` (the binding's `{x, y, mode}`),
// `format=png-force`. Each through both URL grammars and, where the binding has it, the binding.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { startWorker, putOriginal, fetchImage, bindingConsumer, postForm } from './helpers.mjs';

let mf;
let consumer;
before(async () => {
  mf = await startWorker({ consumers: [bindingConsumer] });
  consumer = await mf.getWorker('consumer');
});
after(() => mf?.dispose());

/** Raw RGB pixels of one URL's answer, each grammar's, checked to be the same image. */
async function bothGrammars(key, options) {
  const query = await fetchImage(mf, `/${key}?${options.replaceAll(',', '&')}`);
  const cdn = await fetchImage(mf, `/cdn-cgi/image/${options}/${key}`);
  assert.equal(query.status, 200, query.text());
  assert.equal(cdn.status, 200, cdn.text());
  assert.ok(Buffer.from(query.body).equals(Buffer.from(cdn.body)), `${options}: the grammars agree`);
  return query.body;
}

async function viaBinding(bytes, transform, format = 'image/png') {
  const form = new FormData();
  form.append('image0', new Blob([bytes]));
  form.append('chain', JSON.stringify({ input: 0, steps: [{ transform }], output: { format } }));
  const res = await postForm(consumer, 'http://consumer/chain', form);
  assert.equal(res.status, 200, await res.clone().text());
  return Buffer.from(await res.arrayBuffer());
}

const raw = async (bytes) => sharp(bytes).removeAlpha().raw().toBuffer({ resolveWithObject: true });

describe("Cloudflare's unexplained names", () => {
  test('gravity=entropy keeps the part with the most tones, where auto keeps the edges', async () => {
    // Left third: a two-grey checkerboard (all edges, 1 bit); right third: a slow ramp through every grey.
    const w = 900;
    const h = 300;
    const pixels = Buffer.alloc(w * h * 3);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const v = x < 300 ? (((x / 3) | 0) + ((y / 3) | 0)) % 2 ? 200 : 40 : x < 600 ? 120 : (((x - 600) * 255) / 299) ^ (y % 2);
        pixels.fill(v, (y * w + x) * 3, (y * w + x) * 3 + 3);
      }
    }
    const bytes = await sharp(pixels, { raw: { width: w, height: h, channels: 3 } }).png().toBuffer();
    await putOriginal(mf, 'tones.png', bytes);
    const tones = async (png) => {
      const { data } = await raw(png);
      return new Set(data).size;
    };
    const entropy = await bothGrammars('tones.png', 'width=100,height=100,fit=cover,gravity=entropy,format=png');
    const auto = await bothGrammars('tones.png', 'width=100,height=100,fit=cover,gravity=auto,format=png');
    assert.ok((await tones(entropy)) > 60, `entropy: ${await tones(entropy)} greys`);
    assert.ok((await tones(auto)) < 40, `auto: ${await tones(auto)} greys`);
    const binding = await viaBinding(bytes, { width: 100, height: 100, fit: 'cover', gravity: 'entropy' });
    assert.ok(binding.equals(Buffer.from(entropy)), 'the binding: the same bytes');
  });

  test('gravity.mode: box-center centres the crop on the point, remainder shares out the overflow', async () => {
    // Red = x / 1199 × 255 across 1200 px; the 600 px crop's left edge reads back from the red.
    const w = 1200;
    const pixels = Buffer.alloc(w * 600 * 3);
    for (let y = 0; y < 600; y++) for (let x = 0; x < w; x++) pixels[(y * w + x) * 3] = Math.round((x * 255) / 1199);
    const bytes = await sharp(pixels, { raw: { width: w, height: 600, channels: 3 } }).png().toBuffer();
    await putOriginal(mf, 'ramp.png', bytes);
    const leftEdge = async (png) => {
      const { data, info } = await raw(png);
      return (data[(info.height >> 1) * info.width * 3] * 1199) / 255;
    };
    const centred = await bothGrammars('ramp.png', 'width=300,height=300,fit=cover,gravity=0.6x0.5,format=png');
    const shared = await bothGrammars('ramp.png', 'width=300,height=300,fit=cover,gravity=0.6x0.5,gravity.mode=remainder,format=png');
    assert.ok(Math.abs((await leftEdge(centred)) - 420) < 8, `box-center: from x ${await leftEdge(centred)}, not 420`);
    assert.ok(Math.abs((await leftEdge(shared)) - 360) < 8, `remainder: from x ${await leftEdge(shared)}, not 360`);
    const point = (mode) => ({ width: 300, height: 300, fit: 'cover', gravity: { x: 0.6, y: 0.5, mode } });
    assert.ok((await viaBinding(bytes, point('box-center'))).equals(Buffer.from(centred)));
    assert.ok((await viaBinding(bytes, point('remainder'))).equals(Buffer.from(shared)));
    const refused = await fetchImage(mf, '/ramp.png?width=300&height=300&fit=cover&gravity=left&gravity.mode=remainder');
    assert.equal(refused.status, 400);
    assert.match(refused.text(), /gravity.mode/);
  });

  test('format=png-force: lossless whatever the quality, where format=png with a quality makes a palette', async () => {
    // A gradient of far more than 256 colours: only a lossy palette could index it.
    const w = 300;
    const pixels = Buffer.alloc(w * 200 * 3);
    for (let y = 0; y < 200; y++) for (let x = 0; x < w; x++) pixels.set([x & 255, y, (x * y) & 255], (y * w + x) * 3);
    const bytes = await sharp(pixels, { raw: { width: w, height: 200, channels: 3 } }).png().toBuffer();
    await putOriginal(mf, 'colours.png', bytes);
    const palette = await bothGrammars('colours.png', 'width=150,format=png,quality=40');
    const forced = await bothGrammars('colours.png', 'width=150,format=png-force,quality=40');
    assert.equal((await sharp(palette).metadata()).isPalette, true, 'format=png with a quality: PNG8');
    const meta = await sharp(forced).metadata();
    assert.deepEqual([meta.format, meta.isPalette, meta.width], ['png', false, 150], 'png-force: truecolour, lossless');
    const plain = await bothGrammars('colours.png', 'width=150,format=png');
    assert.ok(Buffer.from(forced).equals(Buffer.from(plain)), "the lossless PNG's bytes");
  });
});
