// Animated WebP against GIF (part of `npm run bench`): each animation (the sample, and the
// corpus's when it is there) resized with `anim=true` to GIF and to animated WebP (libwebp's
// animation encoder, quality 85): bytes, frames and pipeline time, and libwebp's peak memory.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { startWorker, putOriginal, fetchImage, CORPUS, SAMPLES, FULL_DECODE } from '../../tests/helpers.mjs';

export async function benchAnimations() {
  const files = [path.join(SAMPLES, 'animated.gif')];
  for (const f of ['rotating-squares.gif', 'animated-loop-3.gif', 'animated-loop-3.webp', 'rotating-squares.webp']) {
    if (existsSync(path.join(CORPUS, 'edge-cases', f))) files.push(path.join(CORPUS, 'edge-cases', f));
  }
  const mf = await startWorker({ vars: { ...FULL_DECODE, DEBUG_HEADERS: 'true' } });
  const rows = ['| animation → 200 px, `anim=true` | source | GIF out | WebP out | WebP / GIF | GIF / WebP time (ms) | libwebp animation memory (MB) |', '|---|---|---|---|---|---|---|'];
  try {
    for (const file of files) {
      const key = `anim/${path.basename(file)}`;
      const bytes = readFileSync(file);
      await putOriginal(mf, key, bytes);
      const gif = await fetchImage(mf, `/${key}?w=200&anim=true&format=auto`, { headers: { accept: 'image/png' } });
      const webp = await fetchImage(mf, `/${key}?w=200&anim=true&format=webp`);
      const ms = (r) => Number(/resize;dur=([\d.]+)/.exec(r.res.headers.get('server-timing'))?.[1] ?? NaN).toFixed(0);
      const memory = Number(/webp_anim=(\d+)/.exec(webp.res.headers.get('x-memory'))[1]) / 2 ** 20;
      const kb = (b) => (b.length / 1024).toFixed(1);
      rows.push(`| ${path.basename(file)} | ${kb(bytes)} KB | ${kb(gif.body)} KB | ${kb(webp.body)} KB | ${(webp.body.length / gif.body.length).toFixed(2)} | ${ms(gif)} / ${ms(webp)} | ${memory.toFixed(1)} |`);
    }
  } finally {
    await mf.dispose();
  }
  return rows.join('\n');
}
