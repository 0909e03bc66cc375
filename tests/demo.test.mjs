// The demo page in a real browser: Debian's Chromium driven by playwright-core (no browser
// download), against the built worker served by Miniflare on a local port. The page loads
// without console errors, every gallery image decodes, changing the width re-renders the result,
// an upload shows up in the gallery; a screenshot is saved to target/demo.png.
// Skipped when no Chromium is installed, except under `.ci/run`, which installs it and sets
// BROWSER_TEST_REQUIRED.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startWorker, putOriginal, hashOriginals, readFileSync, existsSync, path, SAMPLES, ROOT } from './helpers.mjs';

const CHROMIUM = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => p && existsSync(p));
if (!CHROMIUM && process.env.BROWSER_TEST_REQUIRED) throw new Error('BROWSER_TEST_REQUIRED is set and no Chromium was found');
const skip = CHROMIUM ? false : 'no Chromium (apt-get install chromium, or set CHROMIUM_PATH)';
const TOKEN = 'demo-token-for-the-browser-test';
const SHOWN = ['photo.jpg', 'alpha.png', 'portrait.jpg', 'logo.svg', 'animated.gif'];
// Over the memory budget at every width: the gallery says why instead of a broken image.
const REFUSED = 'bomb.png';

let mf;
let browser;
let page;
let originals;
const problems = [];
// The refused image's 413 is a failed load (and the fetch that reads its reason), which Chromium
// logs as errors: expected; anything else is not.
const unexpected = () => problems.filter((p) => !/status of 413/.test(p));

before(async () => {
  if (skip) return;
  mf = await startWorker({ vars: { DEMO: 'true', UPLOAD_TOKEN: TOKEN } });
  for (const name of [...SHOWN, REFUSED]) await putOriginal(mf, name, readFileSync(path.join(SAMPLES, name)));
  originals = await hashOriginals(mf);
  const { chromium } = await import('playwright-core');
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  page = await browser.newPage({ viewport: { width: 1200, height: 1400 } });
  page.on('console', (m) => m.type() === 'error' && problems.push(`console: ${m.text()}`));
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  const url = await mf.ready;
  await page.goto(new URL('/', url).href);
});

after(async () => {
  await browser?.close();
  if (mf) {
    // The upload added one original; everything else is as it was.
    const now = await hashOriginals(mf);
    delete now['uploads/new-disc.png'];
    await mf.dispose();
    assert.deepEqual(now, originals, 'originals changed');
  }
});

const galleryWidths = () =>
  page.$$eval('#gallery img', (imgs) => imgs.map((i) => ({ key: i.dataset.key, complete: i.complete, width: i.naturalWidth, src: i.currentSrc })));

test('the gallery loads through srcset, every image decodes, one the worker refuses says why, and nothing else is logged as an error', { skip }, async () => {
  await page.waitForFunction((shown) => {
    const imgs = [...document.querySelectorAll('#gallery img')].filter((i) => shown.includes(i.dataset.key));
    return imgs.length === shown.length && imgs.every((i) => i.complete && i.naturalWidth > 0);
  }, SHOWN, { timeout: 30_000 });
  const caption = await page.waitForSelector('#gallery figcaption.error', { timeout: 30_000 });
  assert.match(await caption.textContent(), /^bomb\.png: 413 image too large/);
  const shown = (await galleryWidths()).filter((s) => s.key !== REFUSED);
  assert.deepEqual(shown.map((s) => s.key).sort(), [...SHOWN].sort());
  for (const s of shown) {
    assert.ok(s.width > 0, `${s.key} did not decode`);
    // The browser chose one of our widths from the srcset (240 CSS px → 320 or 640 at DPR 1–2).
    assert.match(s.src, /\?w=(320|640|1280)&format=auto$/, s.key);
  }
  assert.deepEqual(unexpected(), []);
});

test('the options form shows the transformed image with its bytes, size and Server-Timing, and re-renders on a new width', { skip }, async () => {
  await page.selectOption('#key', 'photo.jpg');
  await page.fill('#w', '300');
  await page.click('#try button');
  await page.waitForFunction(() => document.querySelector('#facts').dataset.width === '300', null, { timeout: 30_000 });
  const facts = await page.textContent('#facts');
  assert.match(facts, /^300×225 px, [\d,]+ bytes, image\/webp/, facts);
  assert.match(facts, /server-timing: .*total;dur=/, facts);
  assert.equal(await page.getAttribute('#link', 'href'), '/photo.jpg?w=300&fit=scale-down&format=auto');

  await page.fill('#w', '120');
  await page.fill('#blur', '5');
  await page.waitForFunction(() => document.querySelector('#facts').dataset.width === '120', null, { timeout: 30_000 });
  assert.equal(await page.$eval('#output', (i) => i.naturalWidth), 120);
  assert.match(await page.textContent('#facts'), /^120×90 px/);
  assert.deepEqual(unexpected(), []);
});

test('an upload with the token shows up in the gallery; a wrong token is refused on the page', { skip }, async () => {
  const { default: sharp } = await import('sharp');
  const disc = await sharp({ create: { width: 90, height: 60, channels: 4, background: { r: 200, g: 40, b: 90, alpha: 0.8 } } }).png().toBuffer();
  const file = { name: 'new-disc.png', mimeType: 'image/png', buffer: disc };

  await page.fill('#token', 'wrong-token-wrong-token');
  await page.setInputFiles('#file', file);
  await page.fill('#target', 'uploads/new-disc.png');
  await page.click('#upload button');
  await page.waitForFunction(() => /^403/.test(document.querySelector('#status').textContent), null, { timeout: 30_000 });

  await page.fill('#token', TOKEN);
  await page.click('#upload button');
  await page.waitForFunction(() => document.querySelector('#status').textContent.startsWith('stored uploads/new-disc.png'), null, { timeout: 30_000 });
  await page.waitForFunction(() => {
    const img = document.querySelector('#gallery img[data-key="uploads/new-disc.png"]');
    return img && img.complete && img.naturalWidth > 0;
  }, null, { timeout: 30_000 });
  await page.screenshot({ path: path.join(ROOT, 'target', 'demo.png'), fullPage: true });
  // The wrong token's 403 is a failed fetch, which Chromium logs; nothing else may be.
  assert.deepEqual(unexpected().filter((p) => !/status of 403/.test(p)), []);
});
