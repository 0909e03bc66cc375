// `gravity=face` and SVG lettering through the built worker: the face model comes from the entry
// module's Data import, the fonts are in the wasm. Pixels are checked against faces marked by hand
// on a photo of two people (tests/fixtures/people/SOURCES.md) and against librsvg (sharp's SVG
// input, generic families: DejaVu there as here, whatever else the machine has), through both
// URL grammars.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { startWorker, putOriginal, fetchImage, hashOriginals, closeChecked, readFileSync, path, ROOT } from './helpers.mjs';

const PEOPLE = readFileSync(path.join(ROOT, 'tests', 'fixtures', 'people', 'two_people.jpg'));
// Brow to chin, marked by hand on the 800×470 photo.
const FACES = [{ top: 30, bottom: 165 }, { top: 30, bottom: 165 }];
const LOGO = `<svg xmlns="http://www.w3.org/2000/svg" width="240" height="90" viewBox="0 0 240 90">
  <rect width="240" height="90" fill="#fff"/>
  <text x="120" y="34" font-family="sans-serif" font-size="28" font-weight="bold" text-anchor="middle">Acme Corp</text>
  <text x="120" y="64" font-family="serif" font-size="18" fill="#036" text-anchor="middle">since 1926</text>
</svg>`;
let mf;
let expected;

before(async () => {
  mf = await startWorker({ vars: { DEBUG_HEADERS: 'true' } });
  await putOriginal(mf, 'people.jpg', PEOPLE);
  await putOriginal(mf, 'logo.svg', Buffer.from(LOGO), 'image/svg+xml');
  expected = await hashOriginals(mf);
});
after(async () => closeChecked(mf, expected));

const raw = async (bytes) => sharp(bytes).removeAlpha().raw().toBuffer({ resolveWithObject: true });

/** Mean absolute difference of two raw RGB buffers. */
function mae(a, b) {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i] - b[i]);
  return sum / a.length;
}

/** Where an unscaled full-width band of the photo starts, found by matching its pixels. */
async function bandTop(band) {
  const photo = await raw(PEOPLE);
  const rowBytes = photo.info.width * 3;
  let best = { top: -1, mae: Infinity };
  for (let top = 0; top + band.info.height <= photo.info.height; top++) {
    const d = mae(band.data, photo.data.subarray(top * rowBytes, (top + band.info.height) * rowBytes));
    if (d < best.mae) best = { top, mae: d };
  }
  return best.top;
}

test('a wide crop with gravity=face keeps both faces where gravity=auto cuts them; both grammars', async () => {
  const face = await fetchImage(mf, '/people.jpg?width=800&height=150&fit=cover&gravity=face&format=png');
  assert.equal(face.status, 200, face.text());
  assert.equal(face.res.headers.get('x-resize-note'), null, 'faces were found');
  const top = await bandTop(await raw(Buffer.from(face.body)));
  for (const f of FACES) assert.ok(top <= f.top && f.bottom <= top + 150, `the band from ${top} cuts a face`);
  const auto = await fetchImage(mf, '/people.jpg?width=800&height=150&fit=cover&gravity=auto&format=png');
  const autoTop = await bandTop(await raw(Buffer.from(auto.body)));
  assert.ok(FACES.some((f) => autoTop > f.top || f.bottom > autoTop + 150), `saliency kept the faces (band from ${autoTop})`);
  const cloudflare = await fetchImage(mf, '/cdn-cgi/image/width=800,height=150,fit=cover,gravity=face,format=png/people.jpg');
  assert.equal(cloudflare.status, 200, cloudflare.text());
  assert.deepEqual(Buffer.from(cloudflare.body), Buffer.from(face.body));
});

test('zoom closes in on a face: its pixels are those of a head, not of the wide crop; face-zoom is its alias', async () => {
  const wide = await fetchImage(mf, '/people.jpg?width=300&height=300&fit=cover&gravity=face&format=png');
  const close = await fetchImage(mf, '/people.jpg?width=300&height=300&fit=cover&gravity=face&zoom=1&format=png');
  assert.equal(close.status, 200, close.text());
  assert.ok(Number(close.res.headers.get('x-memory').match(/wasm=(\d+)/)[1]) <= Number(close.res.headers.get('x-memory-estimate')), 'measured within the estimate');
  // Each marked head (the face and 30% around it) cut from the photo at 300×300.
  const heads = await Promise.all(
    [{ left: 125, top: 0, width: 200, height: 200 }, { left: 515, top: 0, width: 200, height: 200 }].map(async (r) =>
      (await sharp(PEOPLE).extract(r).resize(300, 300).raw().toBuffer()),
    ),
  );
  const nearest = async (body) => Math.min(...heads.map((h) => mae(h, body)));
  const [dClose, dWide] = [await nearest((await raw(Buffer.from(close.body))).data), await nearest((await raw(Buffer.from(wide.body))).data)];
  assert.ok(dClose < 30 && dClose < dWide / 1.5, `zoom=1 is ${dClose.toFixed(1)} from a head, zoom=0 ${dWide.toFixed(1)}`);
  const alias = await fetchImage(mf, '/cdn-cgi/image/width=300,height=300,fit=cover,gravity=face,face-zoom=1,format=png/people.jpg');
  assert.deepEqual(Buffer.from(alias.body), Buffer.from(close.body));
});

test('an SVG logo with lettering is drawn with its lettering, as librsvg draws it, at any size', async () => {
  for (const width of [240, 720]) {
    const { status, body, size, text } = await fetchImage(mf, `/logo.svg?w=${width}&format=png`);
    assert.equal(status, 200, text());
    assert.deepEqual([size.width, size.height], [width, Math.round((90 * width) / 240)]);
    const ours = await sharp(Buffer.from(body)).flatten({ background: '#fff' }).greyscale().raw().toBuffer();
    const theirs = await sharp(Buffer.from(LOGO), { density: (72 * width) / 240 }).resize(size.width, size.height, { fit: 'fill' }).flatten({ background: '#fff' }).greyscale().raw().toBuffer();
    let [both, either, ink] = [0, 0, 0];
    for (let i = 0; i < ours.length; i++) {
      const [a, b] = [ours[i] < 128, theirs[i] < 128];
      both += a && b;
      either += a || b;
      ink += a;
    }
    assert.ok(ink > ours.length * 0.03, `${width} px: the lettering is drawn (${ink} dark pixels)`);
    assert.ok(both / either > 0.6, `${width} px: ${((100 * both) / either).toFixed(0)}% of the ink in common with librsvg`);
  }
});
