// An independent reader of gain-map JPEGs for the tests (nothing here calls the worker's code):
// the header segments, the MPF index, ISO 21496-1's binary record and Adobe's `hdrgm` XMP parsed
// in JS; the two pictures decoded by sharp (libvips, converted to sRGB as the worker converts);
// the HDR rendition computed with ISO 21496-1's formula (as libultrahdr and Chrome apply it):
//   HDR = (SDR_linear + base_offset) × 2^(log2gain × weight) − alternate_offset,
//   log2gain = min × (1 − g) + max × g,  g = map^(1/gamma),
//   weight = clamp((log2(display boost) − base_headroom) / (alternate_headroom − base_headroom), 0, 1).
import sharp from 'sharp';

const ISO = Buffer.from('urn:iso:std:iso:ts:21496:-1\0', 'latin1');
const XMP = Buffer.from('http://ns.adobe.com/xap/1.0/\0', 'latin1');

const bytes = (b) => (Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength));

/** The header segments of the JPEG at `start`: marker, payload and where the payload starts. */
export function segments(buf, start = 0) {
  buf = bytes(buf);
  const out = [];
  let i = start + 2;
  while (i + 4 <= buf.length && buf[i] === 0xff) {
    const marker = buf[i + 1];
    if (marker === 0xda) break;
    const length = buf.readUInt16BE(i + 2);
    out.push({ marker, at: i + 4, payload: buf.subarray(i + 4, i + 2 + length) });
    i += 2 + length;
  }
  return out;
}

/** The primary image and the second image the MPF index lists (null without one). */
export function split(buf) {
  buf = bytes(buf);
  const mpf = segments(buf).find((s) => s.marker === 0xe2 && s.payload.subarray(0, 4).toString('latin1') === 'MPF\0');
  if (!mpf) return null;
  const tiff = mpf.payload.subarray(4);
  const le = tiff.subarray(0, 2).toString('latin1') === 'II';
  const u16 = (at) => (le ? tiff.readUInt16LE(at) : tiff.readUInt16BE(at));
  const u32 = (at) => (le ? tiff.readUInt32LE(at) : tiff.readUInt32BE(at));
  const ifd = u32(4);
  let entries;
  for (let k = 0; k < u16(ifd); k++) {
    const at = ifd + 2 + k * 12;
    if (u16(at) === 0xb002) entries = u32(at + 8);
  }
  const second = { size: u32(entries + 16 + 4), offset: u32(entries + 16 + 8) };
  const start = mpf.at + 4 + second.offset;
  return { primary: buf.subarray(0, start), map: buf.subarray(start, start + second.size) };
}

/** The payloads of the map image's segments that describe it: its hdrgm XMP and its ISO record. */
export function describing(mapJpeg) {
  return segments(mapJpeg)
    .filter((s) => (s.marker === 0xe1 && s.payload.subarray(0, XMP.length).equals(XMP) && s.payload.includes('hdr-gain-map')) || (s.marker === 0xe2 && s.payload.subarray(0, ISO.length).equals(ISO)))
    .map((s) => Buffer.from(s.payload));
}

/** The map's values: the ISO record when the map image has one, else its hdrgm XMP. */
export function metadata(mapJpeg) {
  const segs = segments(mapJpeg);
  const iso = segs.find((s) => s.marker === 0xe2 && s.payload.subarray(0, ISO.length).equals(ISO));
  if (iso && iso.payload.length > ISO.length + 4) return fromIso(iso.payload.subarray(ISO.length));
  const xmp = segs.find((s) => s.marker === 0xe1 && s.payload.subarray(0, XMP.length).equals(XMP));
  if (xmp) return fromXmp(xmp.payload.subarray(XMP.length).toString('utf8'));
  throw new Error('no gain map metadata');
}

function fromIso(b) {
  const flags = b[4];
  const channels = flags & 0x80 ? 3 : 1;
  let p = 5;
  const u32 = () => ((p += 4), b.readUInt32BE(p - 4));
  const i32 = () => ((p += 4), b.readInt32BE(p - 4));
  const m = { channels, min: [], max: [], gamma: [], baseOffset: [], altOffset: [] };
  if (flags & 0x08) {
    const d = u32();
    [m.baseHeadroom, m.altHeadroom] = [u32() / d, u32() / d];
    for (let c = 0; c < channels; c++) {
      m.min.push(i32() / d); m.max.push(i32() / d); m.gamma.push(u32() / d); m.baseOffset.push(i32() / d); m.altOffset.push(i32() / d);
    }
  } else {
    const frac = (signed) => (signed ? i32() : u32()) / u32();
    [m.baseHeadroom, m.altHeadroom] = [frac(false), frac(false)];
    for (let c = 0; c < channels; c++) {
      m.min.push(frac(true)); m.max.push(frac(true)); m.gamma.push(frac(false)); m.baseOffset.push(frac(true)); m.altOffset.push(frac(true));
    }
  }
  for (const k of ['min', 'max', 'gamma', 'baseOffset', 'altOffset']) while (m[k].length < 3) m[k].push(m[k][0]);
  return m;
}

function fromXmp(xml) {
  const read = (name, fallback) => {
    const attribute = xml.match(new RegExp(`hdrgm:${name}="([^"]*)"`));
    if (attribute) return [Number(attribute[1])];
    const element = xml.match(new RegExp(`<hdrgm:${name}>([\\s\\S]*?)</hdrgm:${name}>`));
    if (!element) return [fallback];
    const items = [...element[1].matchAll(/<rdf:li>([^<]*)<\/rdf:li>/g)].map((x) => Number(x[1]));
    return items.length ? items : [Number(element[1])];
  };
  const three = (v) => (v.length === 3 ? v : [v[0], v[0], v[0]]);
  const capacity = [read('HDRCapacityMin', 0)[0], read('HDRCapacityMax', undefined)[0]];
  const hdrBase = /hdrgm:BaseRenditionIsHDR(="|>)True/i.test(xml);
  const [offSdr, offHdr] = [three(read('OffsetSDR', 1 / 64)), three(read('OffsetHDR', 1 / 64))];
  return {
    channels: read('GainMapMax').length === 3 ? 3 : 1,
    min: three(read('GainMapMin', 0)),
    max: three(read('GainMapMax', undefined)),
    gamma: three(read('Gamma', 1)),
    baseOffset: hdrBase ? offHdr : offSdr,
    altOffset: hdrBase ? offSdr : offHdr,
    baseHeadroom: hdrBase ? capacity[1] : capacity[0],
    altHeadroom: hdrBase ? capacity[0] : capacity[1],
  };
}

const linear = (v) => (v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);

/** A picture's pixels as linear-light sRGB floats: { width, height, data } (3 per pixel). */
export async function linearPixels(jpeg) {
  const { data, info } = await sharp(jpeg).toColourspace('srgb').removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const out = new Float32Array(info.width * info.height * 3);
  const table = Float32Array.from({ length: 256 }, (_, v) => linear(v / 255));
  for (let i = 0; i < out.length; i++) out[i] = table[data[i]];
  return { width: info.width, height: info.height, data: out };
}

/** A `w`×`h` image of `channels` values a pixel (read as `at(index)`) stretched bilinearly to
 *  `W`×`H`, pixel centres aligned (as a GPU samples a gain map stretched over its base): three
 *  values a pixel, a grey image's repeated. */
function stretched(at, [w, h, channels], [W, H]) {
  const out = new Float32Array(W * H * 3);
  for (let y = 0; y < H; y++) {
    const fy = Math.min(Math.max(((y + 0.5) * h) / H - 0.5, 0), h - 1);
    const [y0, ty] = [Math.floor(fy), fy - Math.floor(fy)];
    const y1 = Math.min(y0 + 1, h - 1);
    for (let x = 0; x < W; x++) {
      const fx = Math.min(Math.max(((x + 0.5) * w) / W - 0.5, 0), w - 1);
      const [x0, tx] = [Math.floor(fx), fx - Math.floor(fx)];
      const x1 = Math.min(x0 + 1, w - 1);
      for (let c = 0; c < 3; c++) {
        const band = channels >= 3 ? c : 0;
        const v = (xx, yy) => at((yy * w + xx) * channels + band);
        out[(y * W + x) * 3 + c] = (v(x0, y0) * (1 - tx) + v(x1, y0) * tx) * (1 - ty) + (v(x0, y1) * (1 - tx) + v(x1, y1) * tx) * ty;
      }
    }
  }
  return out;
}

/** The HDR rendition of a gain-map JPEG on a display of `boost` (linear light, 1 = SDR white). */
export async function rendition(file, boost) {
  const { primary, map } = split(file);
  const m = metadata(map);
  const base = await linearPixels(primary);
  const g = await sharp(map).raw().toBuffer({ resolveWithObject: true });
  const [W, H, w, h] = [base.width, base.height, g.info.width, g.info.height];
  const span = m.altHeadroom - m.baseHeadroom;
  const weight = span === 0 ? 0 : Math.min(Math.max((Math.log2(boost) - m.baseHeadroom) / span, 0), 1);
  const values = stretched((i) => g.data[i] / 255, [w, h, g.info.channels], [W, H]);
  const out = new Float32Array(W * H * 3);
  for (let i = 0; i < out.length; i++) {
    const c = i % 3;
    const v = values[i] ** (1 / m.gamma[c]);
    const log2gain = m.min[c] * (1 - v) + m.max[c] * v;
    out[i] = (base.data[i] + m.baseOffset[c]) * 2 ** (log2gain * weight) - m.altOffset[c];
  }
  return { width: W, height: H, data: out, metadata: m, mapSize: [w, h], base };
}

/** The best a map of `w`×`h` can do for an output of `W`×`H`: the log2 gain `rendition` applied
 *  to `base` at full size (`geometry` making the output's region of both), averaged to the map's
 *  size, stretched back bilinearly and applied to the base averaged to the output's size. A map
 *  kept at a quarter of a small crop holds less detail than the original's did; this is that bound. */
export function boundAtMapSize(full, base, m, geometry, [W, H], [w, h]) {
  const gain = { width: full.width, height: full.height, data: new Float32Array(full.data.length) };
  for (let i = 0; i < gain.data.length; i++) {
    // Black with no offset has no gain to speak of (0/0): none.
    const [hdr, sdr] = [full.data[i] + m.altOffset[i % 3], base.data[i] + m.baseOffset[i % 3]];
    gain.data[i] = hdr > 1e-6 && sdr > 1e-6 ? Math.log2(hdr / sdr) : 0;
  }
  const small = areaResize(geometry(gain), w, h);
  const sdr = areaResize(geometry(base), W, H);
  const gains = stretched((i) => small.data[i], [w, h, 3], [W, H]);
  const out = new Float32Array(W * H * 3);
  for (let i = 0; i < out.length; i++) out[i] = (sdr.data[i] + m.baseOffset[i % 3]) * 2 ** gains[i] - m.altOffset[i % 3];
  return { width: W, height: H, data: out };
}

/** `img` reduced to `W`×`H` by area averaging (each output pixel the mean of what it covers). */
export function areaResize(img, W, H) {
  const axis = (n, N) => Array.from({ length: N }, (_, o) => {
    const [a, b] = [(o * n) / N, ((o + 1) * n) / N];
    const taps = [];
    for (let i = Math.floor(a); i < Math.min(Math.ceil(b), n); i++) taps.push([i, (Math.min(b, i + 1) - Math.max(a, i)) / (b - a)]);
    return taps;
  });
  const [xs, ys] = [axis(img.width, W), axis(img.height, H)];
  const rows = new Float32Array(W * img.height * 3);
  for (let y = 0; y < img.height; y++)
    for (let x = 0; x < W; x++)
      for (const [i, wt] of xs[x]) for (let c = 0; c < 3; c++) rows[(y * W + x) * 3 + c] += img.data[(y * img.width + i) * 3 + c] * wt;
  const out = new Float32Array(W * H * 3);
  for (let y = 0; y < H; y++)
    for (const [j, wt] of ys[y]) for (let x = 0; x < W; x++) for (let c = 0; c < 3; c++) out[(y * W + x) * 3 + c] += rows[(j * W + x) * 3 + c] * wt;
  return { width: W, height: H, data: out };
}

/** The `w`×`h` part of `img` at (`left`, `top`). */
export function crop(img, left, top, w, h) {
  const out = new Float32Array(w * h * 3);
  for (let y = 0; y < h; y++) out.set(img.data.subarray(((top + y) * img.width + left) * 3, ((top + y) * img.width + left + w) * 3), y * w * 3);
  return { width: w, height: h, data: out };
}

/** `img` turned a quarter clockwise. */
export function turned(img) {
  const [W, H] = [img.height, img.width];
  const out = new Float32Array(W * H * 3);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) for (let c = 0; c < 3; c++) out[(y * W + x) * 3 + c] = img.data[((img.height - 1 - x) * img.width + y) * 3 + c];
  return { width: W, height: H, data: out };
}

/** PSNR in dB of `a` against `ref`, with `ref`'s brightest value as the peak. */
export function psnr(a, ref) {
  let [sum, peak] = [0, 0];
  for (let i = 0; i < ref.data.length; i++) {
    sum += (a.data[i] - ref.data[i]) ** 2;
    peak = Math.max(peak, ref.data[i]);
  }
  return 10 * Math.log10((peak * peak) / (sum / ref.data.length));
}
