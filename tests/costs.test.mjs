// Cost bounds in workerd: a storm of distinct sizes of one original meets RENDER_BUDGET (429 with
// Retry-After) while what was made is still served; WIDTH_STEPS snaps widths up and says so.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startWorker, putOriginal, fetchImage, eventually, readFileSync, path, SAMPLES } from './helpers.mjs';

let mf;
before(async () => {
  mf = await startWorker({ vars: { RENDER_BUDGET: '5', WIDTH_STEPS: '' } });
  await putOriginal(mf, 'alpha.png', readFileSync(path.join(SAMPLES, 'alpha.png')));
});
after(() => mf?.dispose());

test('a storm of sizes is refused with 429 and Retry-After; made variants are still served', async () => {
  const answers = [];
  for (let w = 10; w < 22; w++) answers.push(await fetchImage(mf, `/alpha.png?w=${w}`));
  assert.deepEqual(answers.map((a) => a.status), [200, 200, 200, 200, 200, 429, 429, 429, 429, 429, 429, 429]);
  const refused = answers[5];
  const wait = Number(refused.res.headers.get('retry-after'));
  assert.ok(wait >= 1 && wait <= 60, `Retry-After: ${wait}`);
  assert.match(refused.text(), /RENDER_BUDGET/);
  const hit = await eventually(async () => {
    const r = await fetchImage(mf, '/alpha.png?w=12');
    return r.res.headers.get('x-cache') === 'HIT' && r;
  });
  assert.deepEqual([hit.status, hit.size.width], [200, 12]);
});

test('WIDTH_STEPS: a width-only request is made at the next step, named in x-resize-width', async () => {
  const stepped = await startWorker({ vars: { WIDTH_STEPS: '320,640,1080' } });
  try {
    await putOriginal(stepped, 'alpha.png', readFileSync(path.join(SAMPLES, 'alpha.png')));
    for (const [asked, served] of [[300, 320], [333, 640], [3000, 1080]]) {
      const r = await fetchImage(stepped, `/alpha.png?w=${asked}&fit=contain`);
      assert.deepEqual([r.status, r.size.width, r.res.headers.get('x-resize-width')], [200, served, String(served)], `w=${asked}`);
    }
  } finally {
    await stepped.dispose();
  }
});
