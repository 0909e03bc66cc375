// Cloudflare's /cdn-cgi/image vocabulary beyond size and format, through the built worker: each
// option's effect checked on the decoded output (sharp reads it back), metadata in the bytes,
// format=json, onerror=redirect, client hints and the options we refuse with a reason.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { startWorker, seedSamples, fetchImage, putOriginal, eventually, readFileSync, path, SAMPLES } from './helpers.mjs';

const { default: sharp } = await import('sharp');

/** Raw RGB pixels of an encoded image. */
async function pixels(body) {
  const { data, info } = await sharp(body).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

const mean = ({ data }) => data.reduce((s, v) => s + v, 0) / data.length;

/** Sum of absolute differences between horizontal neighbours (green channel): edges and texture. */
function energy({ data, width, height }) {
  let e = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 1; x < width; x++) e += Math.abs(data[(y * width + x) * 3 + 1] - data[(y * width + x - 1) * 3 + 1]);
  }
  return e;
}

async function ok(mf, url, init) {
  const r = await fetchImage(mf, url, init);
  assert.equal(r.status, 200, `${url}: ${new TextDecoder().decode(r.body)}`);
  return r;
}

describe('Cloudflare options', () => {
  let mf;
  before(async () => {
    mf = await startWorker();
    await seedSamples(mf);
    // The photo in a white frame: 40 px left and right, 30 px top and bottom.
    const photo = await sharp(readFileSync(path.join(SAMPLES, 'photo.jpg'))).resize(400, 300).toBuffer();
    const framed = await sharp(photo).extend({ top: 30, bottom: 30, left: 40, right: 40, background: '#ffffff' }).png().toBuffer();
    await putOriginal(mf, 'framed.png', framed);
    const jpeg = readFileSync(path.join(SAMPLES, 'photo.jpg'));
    await putOriginal(mf, 'damaged.jpg', jpeg.subarray(0, 2000));
  });
  after(() => mf.dispose());

  test('saturation=0 is grey (R = G = B) on both grammars', async () => {
    for (const url of ['/cdn-cgi/image/width=200,saturation=0,format=png/photo.jpg', '/photo.jpg?w=200&saturation=0&format=png']) {
      const { data } = await pixels((await ok(mf, url)).body);
      for (let i = 0; i < data.length; i += 3) assert.ok(data[i] === data[i + 1] && data[i + 1] === data[i + 2], `${url} at ${i}`);
    }
  });

  test('blur lowers and sharpen raises high-frequency energy; brightness, contrast and gamma move the tones', async () => {
    const at = async (opts) => pixels((await ok(mf, `/cdn-cgi/image/width=300,format=png${opts}/photo.jpg`)).body);
    const plain = await at('');
    assert.ok(energy(await at(',blur=20')) < energy(plain) * 0.5);
    assert.ok(energy(await at(',sharpen=4')) > energy(plain) * 1.15);
    assert.ok(mean(await at(',brightness=1.5')) > mean(plain) + 10);
    assert.ok(mean(await at(',brightness=0.5')) < mean(plain) - 10);
    assert.ok(mean(await at(',gamma=2')) < mean(plain) - 10, 'gamma above 1 darkens the midtones');
    const sd = (p) => {
      const m = mean(p);
      return Math.sqrt(p.data.reduce((s, v) => s + (v - m) ** 2, 0) / p.data.length);
    };
    assert.ok(sd(await at(',contrast=0.5')) < sd(plain) * 0.7);
  });

  test('trim=border removes exactly the frame; trim in pixels counts before the resize', async () => {
    const border = await ok(mf, '/cdn-cgi/image/trim=border,format=png/framed.png');
    assert.deepEqual([border.size.width, border.size.height], [400, 300]);
    const corner = await pixels(border.body);
    assert.ok(corner.data.slice(0, 3).some((v) => v < 240), 'no white frame left in the corner');
    const kept = await ok(mf, '/framed.png?trim=border&trim.border.keep=5&format=png');
    assert.deepEqual([kept.size.width, kept.size.height], [410, 310]);
    const sides = await ok(mf, '/cdn-cgi/image/trim=30;40;30;40,width=200/framed.png');
    assert.deepEqual([sides.size.width, sides.size.height], [200, 150]);
    const piece = await ok(mf, '/framed.png?trim.left=40&trim.top=30&trim.width=100&trim.height=50');
    assert.deepEqual([piece.size.width, piece.size.height], [100, 50]);
    const nothing = await fetchImage(mf, '/framed.png?trim=0;300;0;300');
    assert.equal(nothing.status, 400);
  });

  test('border frames the resized image with its colour and widths', async () => {
    const r = await ok(mf, '/cdn-cgi/image/width=200,border=red;10,format=png/photo.jpg');
    assert.deepEqual([r.size.width, r.size.height], [220, 170]);
    const { data, width } = await pixels(r.body);
    assert.deepEqual([...data.slice(0, 3)], [255, 0, 0]);
    const inside = (80 * width + 100) * 3;
    assert.notDeepEqual([...data.slice(inside, inside + 3)], [255, 0, 0]);
  });

  test('metadata: the copyright by default, everything with keep (orientation 1), nothing with none', async () => {
    const exif = async (opts) => (await sharp((await ok(mf, `/portrait.jpg?w=100${opts}`)).body).metadata());
    const text = (meta) => (meta.exif ? Buffer.from(meta.exif).toString('latin1') : '');
    const copyright = await exif('');
    assert.match(text(copyright), /the edge image resizer authors, CC0/);
    assert.equal(copyright.orientation, undefined, 'no orientation tag: the pixels are upright');
    assert.deepEqual([copyright.width, copyright.height], [100, 150]);
    const keep = await exif('&metadata=keep');
    assert.equal(keep.orientation, 1, 'never turned twice');
    assert.match(text(keep), /Edge Image Resizer samples/);
    assert.equal((await exif('&metadata=none')).exif, undefined);
    assert.equal((await exif('&format=webp')).exif, undefined, 'WebP never carries EXIF');
  });

  test('format=json: the original and the output size, from the header', async () => {
    const r = await ok(mf, '/cdn-cgi/image/width=300,format=json/portrait.jpg');
    assert.equal(r.res.headers.get('content-type'), 'application/json');
    const info = JSON.parse(new TextDecoder().decode(r.body));
    assert.deepEqual([info.width, info.height], [300, 450]);
    const original = readFileSync(path.join(SAMPLES, 'portrait.jpg'));
    assert.deepEqual(
      [info.original.width, info.original.height, info.original.format, info.original.file_size],
      [1200, 1800, 'image/jpeg', original.length],
    );
    assert.ok(info.original.etag);
    const gif = JSON.parse(new TextDecoder().decode((await ok(mf, '/animated.gif?format=json&w=100')).body));
    assert.equal(gif.original.frames, 12);
    const again = await eventually(async () => {
      const x = await fetchImage(mf, '/cdn-cgi/image/width=300,format=json/portrait.jpg');
      return x.res.headers.get('x-cache') === 'HIT' && x;
    });
    assert.equal(again.res.headers.get('etag'), r.res.headers.get('etag'));
  });

  test('format=blurhash: a placeholder string and a data URI of the output, cached like a variant', async () => {
    const r = await ok(mf, '/cdn-cgi/image/width=400,format=blurhash/photo.jpg');
    assert.equal(r.res.headers.get('content-type'), 'application/json');
    const p = JSON.parse(new TextDecoder().decode(r.body));
    assert.deepEqual([p.width, p.height, p.blurhash.length], [32, 24, 28]);
    const tiny = await sharp(Buffer.from(p.data_uri.replace('data:image/png;base64,', ''), 'base64')).stats();
    const real = await sharp(readFileSync(path.join(SAMPLES, 'photo.jpg'))).stats();
    for (const c of [0, 1, 2]) assert.ok(Math.abs(tiny.channels[c].mean - real.channels[c].mean) < 15, `channel ${c}`);
    const tall = JSON.parse(new TextDecoder().decode((await ok(mf, '/portrait.jpg?format=blurhash')).body));
    assert.deepEqual([tall.width, tall.height], [21, 32], 'upright, as displayed');
    const hit = await eventually(async () => {
      const x = await fetchImage(mf, '/cdn-cgi/image/width=400,format=blurhash/photo.jpg');
      return x.res.headers.get('x-cache') === 'HIT' && x;
    });
    assert.equal(new TextDecoder().decode(hit.body), new TextDecoder().decode(r.body));
  });

  test('onerror=redirect: the original on the same URL when the transform cannot be done', async () => {
    const plain = await fetchImage(mf, '/damaged.jpg?w=100');
    assert.equal(plain.status, 422);
    const fallback = await ok(mf, '/cdn-cgi/image/width=100,onerror=redirect/damaged.jpg');
    assert.equal(fallback.body.length, 2000, 'the stored bytes');
    assert.match(fallback.res.headers.get('x-resize-error'), /decode/);
    assert.match(fallback.res.headers.get('cache-control'), /max-age=300/);
    const bomb = await ok(mf, '/bomb.png?w=100&onerror=redirect');
    assert.match(bomb.res.headers.get('x-resize-error'), /budget|too large/);
    assert.equal((await fetchImage(mf, '/missing.jpg?w=100&onerror=redirect')).status, 404, 'no original, nothing to fall back to');
  });

  test("width=auto is one of Cloudflare's four widths, from the hints or the device, in the cache key and in Vary", async () => {
    const url = '/cdn-cgi/image/width=auto/photo.jpg';
    const at = (headers) => fetchImage(mf, url, { headers });
    const a = await at({ 'Sec-CH-Width': '320' });
    assert.equal(a.size.width, 320);
    assert.match(a.res.headers.get('vary'), /Sec-CH-Width.*Sec-CH-Viewport-Width.*Sec-CH-DPR.*User-Agent/);
    assert.match(a.res.headers.get('accept-ch'), /Sec-CH-Width/);
    assert.doesNotMatch(a.res.headers.get('accept-ch'), /User-Agent/);
    assert.equal((await at({ 'Sec-CH-Width': '480' })).size.width, 768, 'the next of the four up');
    assert.equal((await at({ 'Sec-CH-Viewport-Width': '390', 'Sec-CH-DPR': '3' })).size.width, 1200, 'a 3x phone: 1170 device pixels');
    assert.equal((await at({ 'Sec-CH-Viewport-Width': '800' })).size.width, 960);
    const iphone = 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148';
    assert.equal((await at({ 'User-Agent': iphone })).size.width, 320, 'no hint: a phone');
    assert.equal((await at({ 'User-Agent': 'Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X)' })).size.width, 768, 'a tablet');
    const hit = await eventually(async () => {
      const r = await at({ 'Sec-CH-Width': '320' });
      return r.res.headers.get('x-cache') === 'HIT' && r;
    });
    assert.equal(hit.size.width, 320);
    assert.match(hit.res.headers.get('vary'), /Sec-CH-Width/);
    const none = await at({ 'User-Agent': 'Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0' });
    assert.equal(none.size.width, 960, 'a desktop');
    assert.equal((await fetchImage(mf, '/photo.jpg?width=auto', { headers: { 'Sec-CH-Width': '700' } })).size.width, 768, 'the query grammar');
  });

  test('slow-connection-quality applies on Save-Data and varies on the network hints', async () => {
    const url = '/cdn-cgi/image/width=600,quality=90,scq=20/photo.jpg';
    const fast = await ok(mf, url);
    const slow = await ok(mf, url, { headers: { 'Save-Data': 'on' } });
    assert.ok(slow.body.length < fast.body.length * 0.6, `${slow.body.length} vs ${fast.body.length}`);
    assert.equal(slow.res.headers.get('vary'), 'Save-Data, ECT, RTT, Downlink');
    const same = await ok(mf, '/cdn-cgi/image/width=600,quality=20/photo.jpg');
    assert.equal(same.res.headers.get('etag'), slow.res.headers.get('etag'), 'the same variant as quality=20');
  });

  test('quality levels, compression=fast, baseline-jpeg and gravity=face', async () => {
    const size = async (opts) => (await ok(mf, `/cdn-cgi/image/width=600${opts}/photo.jpg`)).body.length;
    assert.ok((await size(',quality=low')) < (await size(',quality=high')) * 0.8);
    const fast = await ok(mf, '/cdn-cgi/image/width=300,format=auto,compression=fast/photo.jpg', { headers: { Accept: 'image/webp,*/*' } });
    assert.equal(fast.res.headers.get('content-type'), 'image/jpeg');
    const face = await ok(mf, '/cdn-cgi/image/width=200,height=200,fit=cover,gravity=face/photo.jpg');
    assert.deepEqual([face.size.width, face.size.height], [200, 200]);
    assert.match(face.res.headers.get('x-resize-note'), /gravity=face/);
  });

  test('fit=aspect-crop keeps the box\'s shape without enlarging; fit=scale-up enlarges, never shrinks (both grammars)', async () => {
    // alpha.png is 1200×800: a 2000×1000 box is 2:1, larger than the image.
    for (const url of ['/cdn-cgi/image/fit=aspect-crop,width=2000,height=1000,format=png/alpha.png', '/alpha.png?w=2000&h=1000&fit=aspect-crop&format=png']) {
      const r = await ok(mf, url);
      assert.deepEqual([r.size.width, r.size.height], [1200, 600], url);
    }
    const cropped = await ok(mf, '/alpha.png?w=2000&h=1000&fit=crop&format=png');
    assert.deepEqual([cropped.size.width, cropped.size.height], [1200, 800], 'crop gives up the shape there');
    const up = await ok(mf, '/cdn-cgi/image/fit=scale-up,width=1800/alpha.png');
    assert.deepEqual([up.size.width, up.size.height], [1800, 1200]);
    const kept = await ok(mf, '/alpha.png?w=300&fit=scale-up&format=png');
    assert.deepEqual([kept.size.width, kept.size.height], [1200, 800]);
    const info = JSON.parse(new TextDecoder().decode((await ok(mf, '/alpha.png?w=2000&h=1000&fit=aspect-crop&format=json')).body));
    assert.deepEqual([info.width, info.height], [1200, 600]);
  });

  test('options that need a model we cannot run are refused with the reason', async () => {
    for (const url of ['/cdn-cgi/image/segment=foreground/photo.jpg', '/photo.jpg?w=100&upscale=generate']) {
      const r = await fetchImage(mf, url);
      assert.equal(r.status, 400);
      assert.match(new TextDecoder().decode(r.body), /not supported here/);
    }
  });
});

describe('format=baseline-jpeg with JPEG_PROGRESSIVE', () => {
  let mf;
  before(async () => {
    mf = await startWorker({ vars: { JPEG_PROGRESSIVE: 'true' } });
    await seedSamples(mf);
  });
  after(() => mf.dispose());

  // The frame header says how the JPEG is coded: SOF0 (FFC0) baseline, SOF2 (FFC2) progressive.
  const sof = (bytes) => {
    for (let i = 0; i < bytes.length - 1; i++) if (bytes[i] === 0xff && (bytes[i + 1] === 0xc0 || bytes[i + 1] === 0xc2)) return bytes[i + 1];
    return null;
  };

  test('jpeg is progressive here, baseline-jpeg never is', async () => {
    const progressive = (await ok(mf, '/cdn-cgi/image/width=300,format=jpeg/photo.jpg')).body;
    const baseline = (await ok(mf, '/cdn-cgi/image/width=300,format=baseline-jpeg/photo.jpg')).body;
    assert.deepEqual([sof(progressive), sof(baseline)], [0xc2, 0xc0]);
  });
});

describe('draw: overlays from OVERLAYS', () => {
  let mf;
  const overlays = {
    logo: { key: 'brand/logo.png', width: 40, bottom: 10, right: 10 },
    // Cloudflare's fractional form: half the base image's width, at any output size.
    half: { key: 'brand/half.png', width: 0.5, top: 0, left: 0 },
    // Cloudflare's composite modes: `out` shows the overlay only where the image is transparent.
    punch: { key: 'brand/half.png', width: 0.5, top: 0, left: 0, composite: 'out' },
    glow: { key: 'brand/half.png', width: 0.5, top: 0, left: 0, composite: 'lighter' },
    mark: { key: 'brand/mark.png', repeat: true, opacity: 0.5, default_for: ['shop/'] },
  };
  const solid = (w, h, [r, g, b]) => sharp({ create: { width: w, height: h, channels: 4, background: { r, g, b, alpha: 1 } } }).png().toBuffer();
  before(async () => {
    // MAX_STALE_S=0: a replaced logo shows on the next request (otherwise within the window).
    mf = await startWorker({ vars: { OVERLAYS: JSON.stringify(overlays), MAX_STALE_S: '0' } });
    await seedSamples(mf);
    await putOriginal(mf, 'grey.jpg', await sharp({ create: { width: 400, height: 300, channels: 3, background: '#808080' } }).jpeg().toBuffer());
    await putOriginal(mf, 'shop/grey.jpg', await sharp({ create: { width: 400, height: 300, channels: 3, background: '#808080' } }).jpeg().toBuffer());
    await putOriginal(mf, 'brand/logo.png', await solid(80, 40, [255, 0, 0]));
    await putOriginal(mf, 'brand/mark.png', await solid(10, 10, [0, 0, 255]));
    await putOriginal(mf, 'brand/half.png', await solid(20, 10, [255, 0, 0]));
  });
  after(() => mf.dispose());

  const pixel = async (body, x, y) => {
    const { data, width } = await pixels(body);
    return [...data.slice((y * width + x) * 3, (y * width + x) * 3 + 3)];
  };
  const near = (got, want) => got.every((v, i) => Math.abs(v - want[i]) <= 12);

  test('draw=logo puts the logo where its edges say; replacing it refreshes the variant without a purge', async () => {
    const first = await ok(mf, '/cdn-cgi/image/width=200,draw=logo,format=png/grey.jpg');
    assert.deepEqual([first.size.width, first.size.height], [200, 150]);
    // 40×20 logo, its bottom-right corner 10 px from the image's: x 150…189, y 120…139.
    assert.ok(near(await pixel(first.body, 170, 130), [255, 0, 0]), 'logo pixels');
    assert.ok(near(await pixel(first.body, 140, 130), [128, 128, 128]), 'left of the logo');
    assert.ok(near(await pixel(first.body, 195, 145), [128, 128, 128]), 'inside the offset');
    await putOriginal(mf, 'brand/logo.png', await solid(80, 40, [0, 255, 0]));
    const second = await ok(mf, '/cdn-cgi/image/width=200,draw=logo,format=png/grey.jpg');
    assert.notEqual(second.res.headers.get('etag'), first.res.headers.get('etag'));
    assert.equal(second.res.headers.get('x-cache'), 'MISS');
    assert.ok(near(await pixel(second.body, 170, 130), [0, 255, 0]), 'the new logo');
  });

  test("a prefix's default overlay is on every image under it, plain URLs included", async () => {
    const plain = await ok(mf, '/shop/grey.jpg?format=png');
    const [r, g, b] = await pixel(plain.body, 200, 150);
    assert.ok(b > r + 40 && b > g + 40, `half-transparent blue tiles over grey: ${[r, g, b]}`);
    const original = await ok(mf, '/shop/grey.jpg');
    assert.equal(original.res.headers.get('content-type'), 'image/jpeg');
    const [r2, , b2] = await pixel(original.body, 5, 5);
    assert.ok(b2 > r2 + 40, 'no URL gets the original without the watermark');
    const elsewhere = await ok(mf, '/grey.jpg?format=png&w=100');
    assert.ok(near(await pixel(elsewhere.body, 50, 37), [128, 128, 128]), 'not outside the prefix');
  });

  test('an overlay sized as a fraction of the base image keeps its share at every size (both grammars)', async () => {
    for (const [url, w] of [['/cdn-cgi/image/width=200,draw=half,format=png/grey.jpg', 200], ['/grey.jpg?w=400&draw=half&format=png', 400]]) {
      const r = await ok(mf, url);
      // 20×10 red, half the width: w/2 × w/4 from the top-left corner.
      assert.ok(near(await pixel(r.body, w / 2 - 3, w / 4 - 3), [255, 0, 0]), `${url}: inside`);
      assert.ok(near(await pixel(r.body, w / 2 + 3, 2), [128, 128, 128]), `${url}: right of it`);
      assert.ok(near(await pixel(r.body, 2, w / 4 + 3), [128, 128, 128]), `${url}: below it`);
    }
  });

  test('composite modes blend the overlay with the image under it (out, lighter)', async () => {
    // An opaque grey photo: `out` leaves nothing of either under the overlay (the background,
    // white, shows in an opaque output); `lighter` adds red to grey.
    const punched = await ok(mf, '/grey.jpg?w=200&draw=punch&format=png');
    assert.ok(near(await pixel(punched.body, 50, 25), [255, 255, 255]), 'out: the background');
    assert.ok(near(await pixel(punched.body, 150, 25), [128, 128, 128]), 'out: untouched beside it');
    const lit = await ok(mf, '/cdn-cgi/image/width=200,draw=glow,format=png/grey.jpg');
    assert.ok(near(await pixel(lit.body, 50, 25), [255, 128, 128]), 'lighter: red added to grey');
  });

  test('draw must name a configured overlay', async () => {
    const r = await fetchImage(mf, '/grey.jpg?w=100&draw=nope');
    assert.equal(r.status, 400);
    assert.match(new TextDecoder().decode(r.body), /logo/);
  });
});
