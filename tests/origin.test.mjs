// ORIGIN_URL in workerd: originals that R2 does not have come from an old origin on loopback
// (a plain HTTP server, and s3s-fs, a real S3-compatible server that checks Signature V4), are
// served resized on the same URL, copied into R2 byte for byte, and then served by R2 alone.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { createServer } from 'node:http';
import { mkdirSync, writeFileSync } from 'node:fs';
import { startWorker, bucketOf, fetchImage, listKeys, sha256, tempDir, readFileSync, path, SAMPLES } from './helpers.mjs';

const photo = readFileSync(path.join(SAMPLES, 'photo.jpg'));
const png = readFileSync(path.join(SAMPLES, 'alpha.png'));

/** An old origin on loopback: `routes` by path, every request counted. */
async function origin(routes) {
  const seen = [];
  const server = createServer((req, res) => {
    seen.push(req.url);
    const route = routes[req.url];
    if (!route) return res.writeHead(404).end('no such key');
    route(req, res);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${server.address().port}`;
  return { base, seen, count: (p) => seen.filter((s) => s === p).length, close: () => new Promise((r) => server.close(r)) };
}

const image = (bytes, type) => (req, res) => res.writeHead(200, { 'content-type': type, 'content-length': bytes.length }).end(bytes);

let old;
let mf;
const ORIGIN_MAX_MB = 4;

before(async () => {
  old = await origin({
    '/old/photo.jpg': image(photo, 'image/jpeg'),
    '/old/alpha.png': image(png, 'image/png'),
    '/old/busy.jpg': image(photo, 'image/jpeg'),
    '/old/slow.jpg': (req, res) => setTimeout(() => image(photo, 'image/jpeg')(req, res), 2500),
    '/old/failing.jpg': (req, res) => res.writeHead(500).end('boom'),
    '/old/page.jpg': (req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><p>Sign in</p>'),
    // Chunked, no Content-Length: refused as the bytes pass ORIGIN_MAX_MB.
    '/old/huge.jpg': (req, res) => {
      res.writeHead(200, { 'content-type': 'image/jpeg' });
      const chunk = Buffer.alloc(256 << 10, 0xff);
      for (let i = 0; i < 20; i++) res.write(chunk);
      res.end();
    },
    '/old/moved.jpg': (req, res) => res.writeHead(301, { location: '/old/photo.jpg' }).end(),
    '/old/away.jpg': (req, res) => res.writeHead(302, { location: 'http://localhost:9/old/photo.jpg' }).end(),
  });
  mf = await startWorker({ vars: { ORIGIN_URL: `${old.base}/old`, ORIGIN_TIMEOUT_S: '1', ORIGIN_MAX_MB: String(ORIGIN_MAX_MB) } });
});

after(async () => {
  await mf?.dispose();
  await old?.close();
});

test('a first read is the origin\'s, resized on the same URL; the copy is byte-identical and the next reads are R2\'s', async () => {
  const first = await fetchImage(mf, '/photo.jpg?w=300');
  assert.equal(first.status, 200, first.text());
  assert.deepEqual([first.size.width, first.size.height], [300, 225]);
  const copy = await (await bucketOf(mf)).get('photo.jpg');
  assert.ok(copy, 'copied into R2');
  assert.equal(sha256(Buffer.from(await copy.arrayBuffer())), sha256(photo));
  assert.equal(copy.httpMetadata.contentType, 'image/jpeg');
  const original = await fetchImage(mf, '/photo.jpg');
  assert.equal(sha256(original.body), sha256(photo));
  assert.equal(original.res.headers.get('etag'), copy.httpEtag, 'ETags are R2\'s');
  const current = await fetchImage(mf, '/photo.jpg', { headers: { 'if-none-match': copy.httpEtag } });
  assert.equal(current.status, 304);
  const other = await fetchImage(mf, '/photo.jpg?w=120');
  assert.equal(other.status, 200);
  assert.equal(old.count('/old/photo.jpg'), 1, `the origin saw one request: ${old.seen}`);
});

test('concurrent first reads of one key make one origin request', async () => {
  const widths = [80, 120, 160, 200, 240, 280, 320, 360];
  const answers = await Promise.all(widths.map((w) => fetchImage(mf, `/busy.jpg?w=${w}`)));
  assert.deepEqual(answers.map((a) => a.status), widths.map(() => 200));
  assert.deepEqual(answers.map((a) => a.size.width), widths);
  assert.equal(old.count('/old/busy.jpg'), 1, `${old.seen}`);
});

test('a key neither side has is a 404, and the origin is asked once', async () => {
  for (let i = 0; i < 4; i++) assert.equal((await fetchImage(mf, '/nowhere.jpg?w=100')).status, 404);
  assert.equal(old.count('/old/nowhere.jpg'), 1, `${old.seen}`);
});

test('bad origins answer 504, 502, 422, 413 and store nothing', async () => {
  const cases = [['slow', 504], ['failing', 502], ['page', 422], ['huge', 413], ['away', 502]];
  for (const [name, want] of cases) {
    const r = await fetchImage(mf, `/${name}.jpg?w=100`);
    assert.equal(r.status, want, `${name}: ${r.text()}`);
    assert.ok(r.text().length < 300, 'a short message');
  }
  const stored = await listKeys(mf, '');
  for (const [name] of cases) assert.ok(!stored.includes(`${name}.jpg`), `${name}.jpg stored: ${stored}`);
  assert.ok(!old.seen.some((s) => s.includes('localhost')), 'the off-origin redirect is not followed');
});

test('a redirect on the same origin is followed, the copy stored under the key asked for', async () => {
  const r = await fetchImage(mf, '/moved.jpg?w=100');
  assert.equal(r.status, 200, r.text());
  const copy = await (await bucketOf(mf)).get('moved.jpg');
  assert.equal(sha256(Buffer.from(await copy.arrayBuffer())), sha256(photo));
});

test('with the old origin switched off, what was copied is still served', async () => {
  assert.equal((await fetchImage(mf, '/alpha.png?w=100')).status, 200);
  await old.close();
  const again = await fetchImage(mf, '/alpha.png?w=90&format=png');
  assert.equal(again.status, 200, again.text());
  assert.deepEqual([again.size.width, again.size.height], [90, 60]);
  const original = await fetchImage(mf, '/alpha.png');
  assert.equal(sha256(original.body), sha256(png));
});

test('absolute-URL sources: only from REMOTE_HOSTS, resized, never stored as originals, revalidated with a 304', async () => {
  let etag = '"v1"';
  const remote = await origin({
    '/pics/a.jpg': (req, res) => {
      if (req.headers['if-none-match'] === etag) return res.writeHead(304, { etag }).end();
      res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': png.length, etag, 'cache-control': 'max-age=0' }).end(png);
    },
  });
  const worker = await startWorker({ vars: { REMOTE_HOSTS: remote.base, REMOTE_MIN_TTL_S: '0', MAX_STALE_S: '0' } });
  try {
    const url = `/cdn-cgi/image/width=120,format=png/${remote.base}/pics/a.jpg`;
    const first = await fetchImage(worker, url);
    assert.equal(first.status, 200, first.text());
    assert.deepEqual([first.size.width, first.size.height], [120, 80]);
    assert.deepEqual((await listKeys(worker, '')).filter((k) => !k.startsWith('_variants/')), [], 'no original stored');
    // A hit revalidates (MAX_STALE_S=0, max-age=0): one conditional request, a 304, the hit stands.
    const hit = await fetchImage(worker, url);
    assert.equal(hit.res.headers.get('x-cache'), 'HIT');
    assert.equal(remote.seen.length, 2, `${remote.seen}`);
    // Next.js's form names the same source.
    const next = await fetchImage(worker, `/_next/image?url=${encodeURIComponent(`${remote.base}/pics/a.jpg`)}&w=64&q=75`, { headers: { accept: 'image/webp' } });
    assert.deepEqual([next.status, next.res.headers.get('content-type'), next.size?.width], [200, 'image/webp', 64]);
    // Off the list: 403, and nothing is fetched.
    const before = remote.seen.length;
    const other = remote.base.replace('127.0.0.1', 'localhost');
    for (const source of [`${other}/pics/a.jpg`, `https://example.com/a.jpg`, `http://169.254.169.254/latest/meta-data`]) {
      const r = await fetchImage(worker, `/cdn-cgi/image/width=100/${source}`);
      assert.equal(r.status, 403, `${source}: ${r.text()}`);
    }
    assert.equal(remote.seen.length, before);
  } finally {
    await worker.dispose();
    await remote.close();
  }
});

/** s3s-fs, installed by scripts/setup.sh, serving `root` with these keys on a free port. */
async function s3Server(root, accessKey, secretKey) {
  const port = await new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
  const bin = execFileSync('bash', ['-c', 'command -v s3s-fs || echo ~/.cargo/bin/s3s-fs']).toString().trim();
  const child = spawn(bin, ['--host', '127.0.0.1', '--port', String(port), '--access-key', accessKey, '--secret-key', secretKey, root], { stdio: 'ignore' });
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    try {
      await fetch(base);
      return { base, stop: () => child.kill() };
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  child.kill();
  throw new Error('s3s-fs did not start');
}

test('a private S3-compatible bucket: requests signed with SigV4 are served, a wrong secret is refused', async () => {
  const { dir, remove } = tempDir();
  mkdirSync(path.join(dir, 'old-bucket', 'photos'), { recursive: true });
  writeFileSync(path.join(dir, 'old-bucket', 'photos', 'a b.jpg'), photo);
  const s3 = await s3Server(dir, 'AKIDEXAMPLE1234', 'the-right-secret-key');
  try {
    // The server checks signatures: unsigned is refused.
    assert.equal((await fetch(`${s3.base}/old-bucket/photos/a%20b.jpg`)).status, 403);
    const vars = (secret) => ({
      ORIGIN_URL: `${s3.base}/old-bucket`,
      ORIGIN_S3_REGION: 'us-east-1',
      ORIGIN_S3_ACCESS_KEY_ID: 'AKIDEXAMPLE1234',
      ORIGIN_S3_SECRET_ACCESS_KEY: secret,
    });
    const wrong = await startWorker({ vars: vars('a-wrong-secret-key') });
    try {
      const refused = await fetchImage(wrong, '/photos/a%20b.jpg?w=100');
      assert.equal(refused.status, 502, refused.text());
      assert.match(refused.text(), /403/);
      assert.deepEqual(await listKeys(wrong, ''), []);
    } finally {
      await wrong.dispose();
    }
    const right = await startWorker({ vars: vars('the-right-secret-key') });
    try {
      const served = await fetchImage(right, '/photos/a%20b.jpg?w=100');
      assert.equal(served.status, 200, served.text());
      assert.deepEqual([served.size.width, served.size.height], [100, 75]);
      const copy = await (await bucketOf(right)).get('photos/a b.jpg');
      assert.equal(sha256(Buffer.from(await copy.arrayBuffer())), sha256(photo));
      assert.equal((await fetchImage(right, '/photos/missing.jpg?w=100')).status, 404);
    } finally {
      await right.dispose();
    }
  } finally {
    s3.stop();
    remove();
  }
});
