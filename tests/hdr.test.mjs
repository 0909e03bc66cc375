// HDR gain maps through the built worker: gain-map JPEGs of four writers (tests/fixtures/gainmap,
// and the corpus's Android Ultra HDR photo when ../shared is there) resized, cropped and turned
// through both URL grammars. Read back by an independent reader (tests/support/gainmap.mjs: JS
// parsing, sharp's decodes, ISO 21496-1's formula): the map is there with the original's
// metadata byte for byte and its scale kept, and the HDR rendition of our output matches the
// original's, made at the same size in linear light, within what a plain resize of the SDR base
// loses; without the map it would not.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { startWorker, putOriginal, fetchImage, tempDir, existsSync, readFileSync, path, ROOT, CORPUS, SAMPLES } from './helpers.mjs';
import { split, describing, metadata, rendition, linearPixels, areaResize, crop, turned, psnr, boundAtMapSize } from './support/gainmap.mjs';

const FIXTURES = path.join(ROOT, 'tests', 'fixtures', 'gainmap');
const files = Object.fromEntries(['seine.jpg', 'paris.jpg', 'memorial.jpg', 'iso-only.jpg', 'apple.jpg'].map((f) => [f, readFileSync(path.join(FIXTURES, f))]));
const corpus = path.join(CORPUS, 'photos', 'gain-map.jpg');
if (existsSync(corpus)) files['ultra-hdr.jpg'] = readFileSync(corpus);
const HDR = Object.keys(files).filter((f) => f !== 'apple.jpg');

let mf;
before(async () => {
  mf = await startWorker({ vars: { DEBUG_HEADERS: 'true' } });
  for (const [name, bytes] of Object.entries(files)) await putOriginal(mf, name, bytes, 'image/jpeg');
});
after(async () => mf?.dispose());

async function jpegOf(url) {
  const { status, body, text, res } = await fetchImage(mf, url);
  assert.equal(status, 200, `${url}: ${text()}`);
  assert.equal(res.headers.get('content-type'), 'image/jpeg', url);
  return { body: Buffer.from(body), res };
}

/** The original's and our output's HDR renditions at the original's full boost, the original's
 *  taken through `geometry` (full-size pixels → the output's region, upright) and averaged to our
 *  size, as PSNR in linear light (`hdr`); beside it what the SDR bases lose the same way (`sdr`),
 *  what our base alone would give (`flat`: the map dropped), and the best any map of our map's
 *  size could give (`bound`). Ours must be within 1.5 dB of the lesser of `sdr` and `bound`. */
async function compared(original, ours, geometry) {
  const boost = 2 ** metadata(split(original).map).altHeadroom;
  const [theirs, mine] = [await rendition(original, boost), await rendition(ours, boost)];
  const at = (img) => areaResize(geometry(img), mine.width, mine.height);
  const sdrOurs = await linearPixels(split(ours).primary);
  const reference = at(theirs);
  const bound = boundAtMapSize(theirs, theirs.base, theirs.metadata, geometry, [mine.width, mine.height], mine.mapSize);
  const result = { hdr: psnr(mine, reference), sdr: psnr(sdrOurs, at(theirs.base)), flat: psnr(sdrOurs, reference), bound: psnr(bound, reference) };
  result.within = result.hdr >= Math.min(result.sdr, result.bound) - 1.5 && result.hdr >= result.flat + 3;
  result.say = `HDR PSNR ${result.hdr.toFixed(1)} dB; SDR base ${result.sdr.toFixed(1)}, best map of this size ${result.bound.toFixed(1)}, map dropped ${result.flat.toFixed(1)}`;
  return result;
}

for (const name of HDR) {
  test(`${name}: resized, it keeps its gain map, its metadata and the HDR rendition`, async () => {
    const original = files[name];
    const source = split(original);
    const { width } = await sharp(source.primary).metadata();
    const w = Math.round(width / 2);
    const { body } = await jpegOf(`/${name}?width=${w}`);
    const ours = split(body);
    assert.ok(ours, `${name}: the output has an MPF index and a second image`);
    // The map image's own metadata segments, byte for byte, and the same values.
    const kept = describing(source.map);
    const now = describing(ours.map);
    for (const segment of kept) assert.ok(now.some((s) => s.equals(segment)), `${name}: a metadata segment of the original's map is not in ours`);
    assert.deepEqual(metadata(ours.map), metadata(source.map));
    // The map's scale: its ratio to the base as in the original, to the pixel.
    const [b0, m0, b1, m1] = await Promise.all([source.primary, source.map, ours.primary, ours.map].map((x) => sharp(x).metadata()));
    assert.ok(Math.abs(m1.width - (b1.width * m0.width) / b0.width) <= 0.5 + 1e-9, `${name}: map ${m1.width} wide for a ${b1.width} base`);
    assert.ok(Math.abs(m1.height - (b1.height * m0.height) / b0.height) <= 0.5 + 1e-9, `${name}: map ${m1.height} high`);
    const c = await compared(original, body, (img) => img);
    console.log(`# ${name} → ${b1.width}×${b1.height} (map ${m1.width}×${m1.height}): ${c.say}`);
    assert.ok(c.within, `${name}: ${c.say}`);
  });
}

test('a crop turned a quarter, through both grammars, keeps the map in register with the base', async () => {
  for (const name of HDR.filter((n) => n !== 'iso-only.jpg')) {
    const original = files[name];
    const { width, height } = await sharp(split(original).primary).metadata();
    const side = Math.min(width, height);
    const urls = [`/${name}?width=160&height=160&fit=cover&rotate=90`, `/cdn-cgi/image/width=160,height=160,fit=cover,rotate=90/${name}`];
    const [query, cloudflare] = await Promise.all(urls.map(jpegOf));
    assert.ok(query.body.equals(cloudflare.body), `${name}: both grammars give the same bytes`);
    // Cover on the turned image: the centred square, turned clockwise.
    const square = (img) => turned(crop(img, Math.round((width - side) / 2), Math.round((height - side) / 2), side, side));
    const c = await compared(original, query.body, square);
    console.log(`# ${name} → 160×160 crop, rotate=90: ${c.say}`);
    assert.ok(c.within, `${name}: ${c.say}`);
  }
});

test('hdr=false, WebP and AVIF outputs drop the map; format=auto makes a JPEG to keep it', async () => {
  const sdr = await jpegOf('/seine.jpg?width=200&hdr=false');
  assert.equal(split(sdr.body), null, 'no second image');
  assert.equal(sdr.res.headers.get('x-resize-note'), null);
  const webp = await fetchImage(mf, '/seine.jpg?width=200&format=webp');
  assert.equal(webp.res.headers.get('content-type'), 'image/webp');
  assert.match(webp.res.headers.get('x-resize-note') ?? '', /gain map is dropped/);
  const auto = await fetchImage(mf, '/seine.jpg?width=200&format=auto', { headers: { accept: 'image/avif,image/webp,*/*' } });
  assert.equal(auto.res.headers.get('content-type'), 'image/jpeg');
  assert.match(auto.res.headers.get('vary') ?? '', /accept/i);
  assert.ok(split(auto.body), 'the JPEG carries the map');
  const autoSdr = await fetchImage(mf, '/seine.jpg?width=200&format=auto&hdr=false', { headers: { accept: 'image/avif,image/webp,*/*' } });
  assert.notEqual(autoSdr.res.headers.get('content-type'), 'image/jpeg', 'as negotiated');
  // A second request is the stored variant: still the JPEG with its map, typed as one.
  const again = await fetchImage(mf, '/seine.jpg?width=200&format=auto', { headers: { accept: 'image/avif,image/webp,*/*' } });
  assert.equal(again.res.headers.get('content-type'), 'image/jpeg');
  assert.ok(Buffer.from(again.body).equals(Buffer.from(auto.body)));
});

test('format=json says how much an HDR photo brightens, and nothing for an SDR one', async () => {
  const hdr = await fetchImage(mf, '/seine.jpg?format=json');
  const capacity = metadata(split(files['seine.jpg']).map).altHeadroom;
  assert.ok(Math.abs(JSON.parse(hdr.text()).original.gain_map.max_boost - 2 ** capacity) < 0.01, hdr.text());
  const sdr = await fetchImage(mf, '/apple.jpg?format=json');
  assert.equal(JSON.parse(sdr.text()).original.gain_map, undefined);
});

test("Apple's pre-ISO gain map is not read: the photo is served as SDR, whole", async () => {
  const { body } = await jpegOf('/apple.jpg?width=100');
  assert.equal(split(body), null);
  const { width } = await sharp(body).metadata();
  assert.equal(width, 100);
});

test("an AVIF's tmap gain map is carried into JPEG output; a map readers must ignore is ignored", async () => {
  const avif = readFileSync(path.join(FIXTURES, 'seine.avif'));
  await putOriginal(mf, 'seine.avif', avif, 'image/avif');
  const { body } = await jpegOf('/seine.avif?width=200&format=jpeg');
  const ours = split(body);
  assert.ok(ours, 'the JPEG carries a map');
  const [base, map] = await Promise.all([sharp(ours.primary).metadata(), sharp(ours.map).metadata()]);
  assert.deepEqual([base.width, base.height, map.width, map.height, map.channels], [200, 150, 200, 150, 3], 'a full-size colour map stays full size');
  // The tmap's values (ISO 21496-1 after its version byte: per channel, the base's colour space),
  // written as both forms.
  const m = metadata(ours.map);
  assert.equal(m.channels, 3);
  assert.ok(describing(ours.map).length === 2, 'hdrgm XMP and the ISO record');
  // libavif's JPEG of the same photo with the same map: the two HDR renditions agree.
  const jpeg = await jpegOf('/seine.jpg?width=200');
  const boost = 2 ** m.altHeadroom;
  const [fromAvif, fromJpeg] = [await rendition(body, boost), await rendition(jpeg.body, boost)];
  const [sdrA, sdrJ] = [await linearPixels(ours.primary), await linearPixels(split(jpeg.body).primary)];
  const [hdr, sdr] = [psnr(fromAvif, fromJpeg), psnr(sdrA, sdrJ)];
  console.log(`# seine.avif → JPEG against seine.jpg → JPEG: HDR renditions agree to ${hdr.toFixed(1)} dB PSNR, SDR bases to ${sdr.toFixed(1)} dB`);
  assert.ok(hdr >= sdr - 3, `HDR ${hdr.toFixed(1)} dB against SDR ${sdr.toFixed(1)} dB`);
  // `format=auto` keeps it as for a JPEG; WebP drops it with a note.
  const auto = await fetchImage(mf, '/seine.avif?width=200&format=auto', { headers: { accept: 'image/avif,image/webp,*/*' } });
  assert.equal(auto.res.headers.get('content-type'), 'image/jpeg');
  const webp = await fetchImage(mf, '/seine.avif?width=200&format=webp');
  assert.match(webp.res.headers.get('x-resize-note') ?? '', /gain map is dropped/);
  // Ignored: a tmap of an unknown version, and the same file without the `tmap` brand.
  const unbranded = Buffer.from(avif);
  const at = unbranded.indexOf('tmap', 0, 'latin1');
  assert.ok(at > 0 && at < 64, 'the brand is in ftyp');
  unbranded.write('xxxx', at, 'latin1');
  await putOriginal(mf, 'unbranded.avif', unbranded, 'image/avif');
  await putOriginal(mf, 'unsupported.avif', readFileSync(path.join(FIXTURES, 'unsupported-version.avif')), 'image/avif');
  for (const key of ['unbranded.avif', 'unsupported.avif']) {
    const r = await fetchImage(mf, `/${key}?width=50&format=jpeg`);
    assert.equal(r.status, 200, `${key}: ${r.text()}`);
    assert.equal(split(Buffer.from(r.body)), null, `${key}: no map`);
    assert.equal(r.res.headers.get('x-resize-note'), null, key);
  }
});

test('exiftool, a second reader, finds our map where the MPF index says, with the original values', async () => {
  const dir = tempDir();
  try {
    for (const name of ['seine.jpg', 'iso-only.jpg']) {
      const { body } = await jpegOf(`/${name}?width=120`);
      const file = path.join(dir.dir, name);
      writeFileSync(file, body);
      const [info] = JSON.parse(execFileSync('exiftool', ['-j', '-G1', '-struct', '-MPF:all', '-XMP-hdrgm:Version', '-XMP-Container:all', file], { encoding: 'utf8' }));
      assert.equal(info['MPF0:NumberOfImages'], 2, `${name}: ${JSON.stringify(info)}`);
      assert.equal(Number(info['XMP-hdrgm:Version']), 1, name);
      const items = info['XMP-Container:Directory'].map((d) => d.Item);
      assert.deepEqual(items.map((i) => i.Semantic), ['Primary', 'GainMap'], name);
      assert.equal(items[1].Length, split(body).map.length, `${name}: the directory's length is the map's`);
      // The image exiftool extracts as the second is our map, and it reads the map's hdrgm values.
      const second = execFileSync('exiftool', ['-b', '-MPImage2', file]);
      assert.ok(second.equals(split(body).map), `${name}: exiftool's second image is our map`);
      writeFileSync(`${file}.map.jpg`, second);
      const [map] = JSON.parse(execFileSync('exiftool', ['-j', '-n', '-XMP-hdrgm:all', `${file}.map.jpg`], { encoding: 'utf8' }));
      const m = metadata(split(files[name]).map);
      const max = [map.GainMapMax].flat().map(Number);
      assert.ok(max.every((v, c) => Math.abs(v - m.max[c]) < 1e-5), `${name}: GainMapMax ${max} against ${m.max}`);
      assert.ok(Math.abs(Number(map.HDRCapacityMax) - m.altHeadroom) < 1e-5, `${name}: HDRCapacityMax`);
    }
  } finally {
    dir.remove();
  }
});

test("a HEIC's tmap gain map is carried into JPEG output, at its own scale, in register", async () => {
  // No public HEIC has one and libheif writes none: scripts/fixtures/heic_gainmap.py puts the
  // container together around two x265 pictures (a 480×360 photo; a half-size map, left half white).
  const dir = tempDir();
  const heic = startWorker({ vars: { HEIC: 'true' } });
  try {
    const file = path.join(dir.dir, 'gain-map.heic');
    execFileSync('python3', [path.join(ROOT, 'scripts', 'fixtures', 'heic_gainmap.py'), path.join(SAMPLES, 'photo.jpg'), file]);
    const worker = await heic;
    await putOriginal(worker, 'gain-map.heic', readFileSync(file), 'image/heic');
    const r = await fetchImage(worker, '/gain-map.heic?width=240&format=jpeg');
    assert.equal(r.status, 200, r.text());
    const ours = split(Buffer.from(r.body));
    assert.ok(ours, 'the JPEG carries the map');
    const m = metadata(ours.map);
    assert.deepEqual([m.max[0], m.altHeadroom, m.gamma[0]], [2, 2, 1]);
    const { data, info } = await sharp(ours.map).greyscale().raw().toBuffer({ resolveWithObject: true });
    assert.deepEqual([info.width, info.height], [120, 90], 'half the output, as the map was half the photo');
    const at = (x, y) => data[y * info.width + x];
    assert.ok(at(20, 45) > 200 && at(100, 45) < 50, `white on the left, black on the right: ${at(20, 45)}, ${at(100, 45)}`);
    const turned = await fetchImage(worker, '/gain-map.heic?width=90&rotate=90&format=jpeg');
    const map = await sharp(split(Buffer.from(turned.body)).map).greyscale().raw().toBuffer({ resolveWithObject: true });
    const top = map.data[2 * map.info.width + Math.floor(map.info.width / 2)];
    const bottom = map.data[(map.info.height - 3) * map.info.width + Math.floor(map.info.width / 2)];
    assert.ok(top > 200 && bottom < 50, `turned a quarter clockwise, the left half is on top: ${top}, ${bottom}`);
  } finally {
    await (await heic).dispose();
    dir.remove();
  }
});
