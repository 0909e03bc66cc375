// Mean SSIM of two equal-size raw images (8-bit, `channels` interleaved) over 8×8 windows at a
// step of 4, with the usual constants, averaged over the channels. `undefined` when the sizes
// differ. `luma`: an encoded image's luma at its own size, through sharp (flattened onto white,
// so an image with alpha is scored as a page shows it). Shared by every bench table.
export function ssim(a, b, channels = 1) {
  if (a.width !== b.width || a.height !== b.height) return undefined;
  const [c1, c2] = [(0.01 * 255) ** 2, (0.03 * 255) ** 2];
  const at = (x, y, c) => (y * a.width + x) * channels + c;
  let [sum, n] = [0, 0];
  for (let c = 0; c < channels; c++) {
    for (let y = 0; y + 8 <= a.height; y += 4) {
      for (let x = 0; x + 8 <= a.width; x += 4) {
        let [ma, mb, va, vb, cov] = [0, 0, 0, 0, 0];
        for (let j = 0; j < 8; j++) for (let i = 0; i < 8; i++) { const k = at(x + i, y + j, c); ma += a.data[k]; mb += b.data[k]; }
        ma /= 64; mb /= 64;
        for (let j = 0; j < 8; j++) for (let i = 0; i < 8; i++) {
          const k = at(x + i, y + j, c);
          const [da, db] = [a.data[k] - ma, b.data[k] - mb];
          va += da * da; vb += db * db; cov += da * db;
        }
        [va, vb, cov] = [va / 63, vb / 63, cov / 63];
        sum += ((2 * ma * mb + c1) * (2 * cov + c2)) / ((ma * ma + mb * mb + c1) * (va + vb + c2));
        n++;
      }
    }
  }
  return sum / n;
}

export async function luma(sharp, encoded) {
  const { data, info } = await sharp(encoded).flatten({ background: '#ffffff' }).greyscale().raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}
