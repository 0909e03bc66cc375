// Cloudflare's Images binding served by our worker: the example consumer Worker
// (examples/binding/worker.mjs, written against Cloudflare's API) bound to our `Images` entrypoint
// through a service binding, as wrangler.toml would bind it. Pixels are checked as for URLs.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import path from 'node:path';
import sharp from 'sharp';
import { ROOT, SAMPLES, startWorker, putOriginal, fetchImage, listKeys, bindingConsumer, postForm } from './helpers.mjs';
import { split } from './support/gainmap.mjs';

const sample = (name) => readFileSync(path.join(SAMPLES, name));

let mf;
let consumer;
before(async () => {
  mf = await startWorker({ consumers: [bindingConsumer] });
  consumer = await mf.getWorker('consumer');
});
after(() => mf?.dispose());

const post = (route, body) => consumer.fetch(`http://consumer${route}`, { method: 'POST', body });

/** `/chain` with images and a recipe (examples/binding/worker.mjs). */
async function chain(recipe, images) {
  const form = new FormData();
  images.forEach((bytes, i) => form.append(`image${i}`, new Blob([bytes])));
  form.append('chain', JSON.stringify(recipe));
  return postForm(consumer, 'http://consumer/chain', form);
}

async function ok(response) {
  assert.equal(response.status, 200, await response.clone().text());
  return Buffer.from(await response.arrayBuffer());
}

describe('the Images binding through a service binding', () => {
  test("OpenNext's next/image call gives the URL's bytes for the same options", async () => {
    const photo = sample('photo.jpg');
    const res = await post('/thumbnail?w=300&format=image/webp&q=75', photo);
    const bytes = await ok(res);
    assert.equal(res.headers.get('content-type'), 'image/webp');
    const meta = await sharp(bytes).metadata();
    assert.equal(meta.format, 'webp');
    assert.equal(meta.width, 300);
    await putOriginal(mf, 'binding/photo.jpg', photo);
    const url = await fetchImage(mf, '/binding/photo.jpg?width=300&fit=scale-down&format=webp&quality=75');
    assert.equal(url.status, 200);
    assert.ok(Buffer.from(url.body).equals(bytes), 'a URL and a binding call with the same options give the same bytes');
  });

  test('a gain-map JPEG made as image/jpeg keeps its map, as through a URL; as WebP it does not', async () => {
    const hdr = readFileSync(path.join(ROOT, 'tests', 'fixtures', 'gainmap', 'seine.jpg'));
    const jpeg = await ok(await post('/thumbnail?w=200&format=image/jpeg&q=80', hdr));
    const parts = split(jpeg);
    assert.ok(parts, 'an MPF index and a second image');
    assert.equal((await sharp(parts.map).metadata()).width, 200, 'the full-size map stays full size');
    await putOriginal(mf, 'binding/seine.jpg', hdr);
    const url = await fetchImage(mf, '/binding/seine.jpg?width=200&fit=scale-down&format=jpeg&quality=80');
    assert.ok(Buffer.from(url.body).equals(jpeg), 'the same bytes as the URL');
    const webp = await ok(await post('/thumbnail?w=200&format=image/webp', hdr));
    assert.equal(split(webp), null);
  });

  test('info() on every input format, and 9412 on what is not an image', async () => {
    const photo = sample('photo.jpg');
    const { width, height } = await sharp(photo).metadata();
    const inputs = [
      ['image/jpeg', photo],
      ['image/png', sample('alpha.png')],
      ['image/gif', sample('animated.gif')],
      ['image/webp', await sharp(photo).webp().toBuffer()],
      ['image/avif', await sharp(photo).resize(64).avif().toBuffer()],
    ];
    for (const [format, bytes] of inputs) {
      const info = await (await post('/info', bytes)).json();
      const meta = await sharp(bytes).metadata();
      assert.deepEqual(info, { format, fileSize: bytes.length, width: meta.width, height: meta.height }, format);
    }
    assert.deepEqual(await (await post('/info', photo)).json(), { format: 'image/jpeg', fileSize: photo.length, width, height });
    assert.deepEqual(await (await post('/info', sample('logo.svg'))).json(), { format: 'image/svg+xml' });
    const refused = await post('/info', Buffer.from('<html>not an image</html>'));
    assert.equal(refused.status, 422);
    const error = await refused.json();
    assert.equal(error.code, 9412);
    assert.match(error.message, /^IMAGES_INFO_ERROR 9412: /);
  });

  test('transforms run in call order', async () => {
    // (Small: a first pass that only rotates is made at full size, as a URL asking for it would be.)
    const photo = await sharp(sample('photo.jpg')).resize(600).jpeg().toBuffer();
    const { width, height } = await sharp(photo).metadata();
    const rotateFirst = await ok(await chain({ input: 0, steps: [{ transform: { rotate: 90 } }, { transform: { width: 100 } }], output: { format: 'image/png' } }, [photo]));
    const widthFirst = await ok(await chain({ input: 0, steps: [{ transform: { width: 100 } }, { transform: { rotate: 90 } }], output: { format: 'image/png' } }, [photo]));
    const size = async (b) => Object.values((({ width, height }) => ({ width, height }))(await sharp(b).metadata()));
    assert.deepEqual(await size(rotateFirst), [100, Math.round((100 * width) / height)]);
    assert.deepEqual(await size(widthFirst), [Math.round((100 * height) / width), 100]);
  });

  test('draw(): centred by default, at an edge with offsets, several in order, a transformer as the image', async () => {
    const base = await sharp({ create: { width: 200, height: 100, channels: 4, background: '#ffffff' } }).png().toBuffer();
    const red = await sharp({ create: { width: 40, height: 40, channels: 4, background: '#ff0000' } }).png().toBuffer();
    const blue = await sharp({ create: { width: 10, height: 10, channels: 4, background: '#0000ff' } }).png().toBuffer();
    const recipe = {
      input: 0,
      steps: [
        // A transformer: the red square made 20 px wide first, drawn centred.
        { draw: { input: 1, steps: [{ transform: { width: 20 } }], options: {} } },
        // A stream, at the bottom-right corner, half opaque.
        { draw: { input: 2, options: { bottom: 0, right: 0, opacity: 0.5 } } },
        // Drawn last, on top of the red square's centre.
        { draw: { input: 2, options: { top: 45, left: 95 } } },
      ],
      output: { format: 'image/png' },
    };
    const out = await ok(await chain(recipe, [base, red, blue]));
    const { data, info } = await sharp(out).raw().toBuffer({ resolveWithObject: true });
    const px = (x, y) => [...data.subarray((y * info.width + x) * info.channels, (y * info.width + x) * info.channels + 3)];
    assert.deepEqual([info.width, info.height], [200, 100], 'the base keeps its size');
    assert.deepEqual(px(92, 50), [255, 0, 0], 'the red square, centred');
    assert.deepEqual(px(85, 50), [255, 255, 255], 'outside it');
    assert.deepEqual(px(100, 50), [0, 0, 255], 'the last draw is on top');
    const corner = px(195, 95);
    assert.ok(corner[2] === 255 && corner[0] > 120 && corner[0] < 136, `half blue over white: ${corner}`);
    const both = await chain({ input: 0, steps: [{ draw: { input: 1, options: { left: 0, right: 0 } } }], output: { format: 'image/png' } }, [base, red]);
    assert.equal(both.status, 422);
    assert.equal((await both.json()).code, 9432, 'left and right together are refused');
  });

  test('output(): formats, quality, anim, raw pixels, and the image type over the caller\'s headers', async () => {
    const photo = sample('photo.jpg');
    for (const format of ['image/jpeg', 'image/png', 'image/webp', 'image/avif', 'image/gif']) {
      const res = await chain({ input: 0, steps: [{ transform: { width: 64 } }], output: { format } }, [photo]);
      const bytes = await ok(res);
      assert.equal(res.headers.get('content-type'), format, 'response() sets the image type');
      assert.equal(res.headers.get('x-kept'), 'yes', "the caller's other headers are kept");
      const meta = await sharp(bytes).metadata();
      assert.equal(meta.format === 'heif' ? 'image/avif' : `image/${meta.format}`, format);
      assert.equal(meta.width, 64);
    }
    const small = await ok(await chain({ input: 0, steps: [{ transform: { width: 300 } }], output: { format: 'image/jpeg', quality: 30 } }, [photo]));
    const large = await ok(await chain({ input: 0, steps: [{ transform: { width: 300 } }], output: { format: 'image/jpeg', quality: 95 } }, [photo]));
    assert.ok(small.length < large.length / 2, `quality 30 ${small.length} B, 95 ${large.length} B`);
    const gif = sample('animated.gif');
    const frames = (await sharp(gif).metadata()).pages;
    assert.ok(frames > 1);
    const animated = await ok(await chain({ input: 0, steps: [{ transform: { width: 32 } }], output: { format: 'image/webp' } }, [gif]));
    assert.equal((await sharp(animated).metadata()).pages, frames, 'animations are kept by default');
    const still = await ok(await chain({ input: 0, steps: [{ transform: { width: 32 } }], output: { format: 'image/webp', anim: false } }, [gif]));
    assert.equal((await sharp(still).metadata()).pages ?? 1, 1, 'anim: false makes a still');
    const raw = await chain({ input: 0, steps: [{ transform: { width: 30 } }], output: { format: 'rgba' }, as: 'image' }, [photo]);
    const pixels = await ok(raw);
    const { height } = await sharp(photo).resize(30).toBuffer({ resolveWithObject: true }).then((r) => r.info);
    assert.equal(pixels.length, 30 * height * 4);
    assert.equal(raw.headers.get('x-content-type'), 'application/octet-stream');
    const missing = await chain({ input: 0, output: {} }, [photo]);
    assert.equal((await missing.json()).code, 9432, 'output() without a format');
    const tiff = await chain({ input: 0, output: { format: 'image/tiff' } }, [photo]);
    assert.equal((await tiff.json()).code, 9520);
  });

  test('text(): a line of text as an image, drawn like any other, in a family or a font fetched by the caller', async () => {
    const base = await sharp({ create: { width: 300, height: 100, channels: 4, background: '#ffffff' } }).png().toBuffer();
    const drawn = (text) => ({ input: 0, steps: [{ draw: { text, options: { top: 0, left: 0 } } }], output: { format: 'image/png' } });
    const pixels = async (res) => sharp(await ok(res)).raw().toBuffer({ resolveWithObject: true });
    const { data, info } = await pixels(await chain(drawn({ content: 'Hello', options: { size: 30, color: '#ff0000' } }), [base]));
    assert.deepEqual([info.width, info.height], [300, 100]);
    let red = 0;
    let inked = [info.width, 0];
    for (let y = 0; y < info.height; y++) {
      for (let x = 0; x < info.width; x++) {
        const i = (y * info.width + x) * info.channels;
        if (data[i] > 200 && data[i + 1] < 60 && data[i + 2] < 60) {
          red++;
          inked = [Math.min(inked[0], x), Math.max(inked[1], x)];
        }
      }
    }
    // 30 pt is 40 px: "Hello" in DejaVu Sans is about 100 px wide, drawn from the corner.
    assert.ok(red > 300, `${red} red pixels`);
    assert.ok(inked[0] <= 6 && inked[1] > 70 && inked[1] < 160, `ink from ${inked[0]} to ${inked[1]}`);
    // On its own, output as an image the size of its ink.
    const alone = await ok(await chain({ text: { content: 'Hello', options: { size: 30 } }, output: { format: 'image/png' } }, []));
    const meta = await sharp(alone).metadata();
    assert.ok(meta.width > 70 && meta.width < 160 && meta.height > 20 && meta.height < 50, `${meta.width}×${meta.height}`);
    assert.equal(meta.hasAlpha, true);
    // A font by URL, fetched by the caller (a loopback server here): other letters than the default.
    const font = readFileSync(path.join(ROOT, 'assets', 'fonts', 'DejaVuSerif.ttf'));
    const server = createServer((req, res) => (req.url === '/serif.ttf' ? res.end(font) : res.writeHead(404).end()));
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${server.address().port}`;
      const serif = await ok(await chain({ text: { content: 'Hello', options: { size: 30, font: { url: `${url}/serif.ttf` } } }, output: { format: 'image/png' } }, []));
      assert.ok(!serif.equals(alone), 'the fetched font draws other letters');
      const missing = await chain({ text: { content: 'Hello', options: { font: { url: `${url}/none.ttf` } } }, output: { format: 'image/png' } }, []);
      assert.equal((await missing.json()).code, 9432);
    } finally {
      server.close();
    }
    const empty = await chain({ text: { content: '' }, output: { format: 'image/png' } }, []);
    assert.equal((await empty.json()).code, 9432);
  });

  test('a transformer used twice is refused with 9525, as Cloudflare does', async () => {
    const codes = await (await post('/consumed', sample('alpha.png'))).json();
    assert.deepEqual(codes, { outputTwice: 9525, drawTwice: 9525, drawAfterOutput: 9525 });
  });

  test('bad options and budgets: the URL\'s refusals with Cloudflare\'s codes; nothing stored', async () => {
    const before = await listKeys(mf, '');
    const photo = sample('photo.jpg');
    const small = await sharp(photo).resize(300).jpeg().toBuffer();
    const cases = [
      [{ input: 0, steps: [{ transform: { width: 0 } }], output: { format: 'image/png' } }, [photo], 9432, /width/],
      [{ input: 0, steps: [{ transform: { segment: 'foreground' } }], output: { format: 'image/png' } }, [photo], 9432, /segment/],
      [{ input: 0, output: { format: 'image/png' } }, [sample('bomb.png')], 9413, /memory|budget|large/],
      [{ input: 0, output: { format: 'image/png' } }, [small.subarray(0, small.length >> 1)], 9516, /./],
    ];
    for (const [recipe, images, code, says] of cases) {
      const res = await chain(recipe, images);
      assert.equal(res.status, 422);
      const error = await res.json();
      assert.equal(error.code, code, error.message);
      assert.match(error.message, says);
      assert.match(error.message, new RegExp(`^IMAGES_TRANSFORM_ERROR ${code}: `));
    }
    // Answers the URL path still gives after those (the isolate survived them).
    assert.equal((await post('/thumbnail?w=50&format=image/png', photo)).status, 200);
    assert.deepEqual(await listKeys(mf, ''), before, 'a binding call writes nothing to R2');
  });
});

describe('text overlays in URLs (OVERLAYS)', () => {
  let worker;
  before(async () => {
    const OVERLAYS = JSON.stringify({ note: { text: 'SHOP', size: 24, color: '#ff0000', bottom: 0, right: 0 } });
    worker = await startWorker({ vars: { OVERLAYS } });
    await putOriginal(worker, 'white.png', await sharp({ create: { width: 400, height: 200, channels: 3, background: '#ffffff' } }).png().toBuffer());
  });
  after(() => worker?.dispose());

  test('draw=note writes the text at the corner, through both grammars, and the same bytes each way', async () => {
    const query = await fetchImage(worker, '/white.png?width=400&draw=note&format=png');
    const path = await fetchImage(worker, '/cdn-cgi/image/width=400,draw=note,format=png/white.png');
    assert.equal(query.status, 200, query.text());
    assert.equal(path.status, 200, path.text());
    assert.ok(Buffer.from(query.body).equals(Buffer.from(path.body)));
    const { data, info } = await sharp(query.body).raw().toBuffer({ resolveWithObject: true });
    const red = (x0, x1, y0, y1) => {
      let n = 0;
      for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) {
        const i = (y * info.width + x) * info.channels;
        if (data[i] > 200 && data[i + 1] < 80) n++;
      }
      return n;
    };
    assert.ok(red(300, 400, 160, 200) > 100, 'the text at the bottom-right corner');
    assert.equal(red(0, 300, 0, 160), 0, 'nowhere else');
    const plain = await fetchImage(worker, '/white.png?width=400&format=png');
    assert.notEqual(query.res.headers.get('etag'), plain.res.headers.get('etag'));
  });
});
