// Cold start, A against B: a fresh workerd (a fresh isolate) per round, alternating the two
// builds, timing the start (the worker's modules loaded and compiled), its first request
// (`/_health`: the Rust wasm instantiated) and its first transform (photo.jpg → 400 px WebP: the
// pipeline's code and libwebp on first use). Medians of the rounds. COLD_FORMATS=jpeg,webp,png,avif
// makes the first transform each of those output formats in turn (a fresh workerd for each).
//   node scripts/bench/cold_start.mjs <buildDirA> <buildDirB> [rounds]
import { startWorker, putOriginal, fetchImage, readFileSync, path, SAMPLES, FULL_DECODE } from '../../tests/helpers.mjs';

const [a, b, rounds = '7'] = process.argv.slice(2);
if (!a || !b) throw new Error('usage: node scripts/bench/cold_start.mjs <buildDirA> <buildDirB> [rounds]');
const photo = readFileSync(path.join(SAMPLES, 'photo.jpg'));
const median = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];

const formats = (process.env.COLD_FORMATS ?? 'webp').split(',');

async function once(buildDir, format) {
  const t0 = performance.now();
  const mf = await startWorker({ buildDir, vars: FULL_DECODE });
  await mf.ready;
  const t1 = performance.now();
  await fetchImage(mf, '/_health');
  const t2 = performance.now();
  await putOriginal(mf, 'photo.jpg', photo);
  const t3 = performance.now();
  const { status } = await fetchImage(mf, `/photo.jpg?w=400&format=${format}`);
  const t4 = performance.now();
  await mf.dispose();
  if (status !== 200) throw new Error(`${buildDir}: ${status}`);
  return { start: t1 - t0, health: t2 - t1, transform: t4 - t3 };
}

for (const format of formats) {
  const runs = { [a]: [], [b]: [] };
  for (let i = 0; i < Number(rounds); i++) {
    for (const dir of i % 2 ? [b, a] : [a, b]) runs[dir].push(await once(dir, format));
  }
  for (const [dir, rs] of Object.entries(runs)) {
    const m = (k) => median(rs.map((r) => r[k])).toFixed(0);
    console.log(`${dir} (${format}): start ${m('start')} ms, first /_health ${m('health')} ms, first transform ${m('transform')} ms`);
  }
}
