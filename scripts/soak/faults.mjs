// `SOAK_FAULTS=1 npm run soak -- 10000 900 32`: the soak against a bucket that fails and stalls.
// Every R2 call of the worker (get, head, put, list, delete) fails one time in ten and get, head
// and put never answer one time in fifty (R2_TIMEOUT_MS=1000), through the test harness's R2
// wrapper, never a switch in the worker. Uploads join the mix. What must hold, checked after the
// run: no 5xx but 502 (R2 failed) and 503 (busy); every 502 answered on retry; no request waiting
// past BOUND_MS; originals byte-identical to what was put or uploaded; every persisted variant and
// mezzanine decodes and names its original's current version. The figures go into BENCHMARKS.md
// ("Fault soak"), which `npm run bench` carries over.
import { readFileSync, writeFileSync } from 'node:fs';
import sharp from 'sharp';
import { bucketOf, listKeys, sha256, path, ROOT, SAMPLES } from '../../tests/helpers.mjs';

export const TOKEN = 'a-soak-upload-token-of-some-length';
export const BOUND_MS = 10_000;
const RETRIES = 10;
const SECTION = '## Fault soak';

export const options = {
  vars: { R2_TIMEOUT_MS: '1000', UPLOAD_TOKEN: TOKEN },
  faults: { IMAGES: ['get~0.1', 'head~0.1', 'put~0.1', 'list~0.1', 'delete~0.1', 'stall:get~0.02', 'stall:head~0.02', 'stall:put~0.02'] },
};

let portrait;
const uploads = new Map();

/** An upload of a small photo under a key of its own (`n`: the request's number). */
export function upload(n) {
  portrait ??= readFileSync(path.join(SAMPLES, 'portrait.jpg'));
  const key = `up/${n}.jpg`;
  return { kind: 'upload', url: `/${key}`, init: { method: 'PUT', body: portrait, headers: { authorization: `Bearer ${TOKEN}` } }, key };
}

export function uploaded(key, status) {
  uploads.set(key, status);
}

/** A GET answered 502 asked again, as a client would, until it is answered otherwise. */
export async function retried(url, base) {
  for (let i = 1; i <= RETRIES; i++) {
    const res = await fetch(new URL(url, base));
    await res.arrayBuffer();
    if (res.status !== 502) return { status: res.status, tries: i };
  }
  return { status: 502, tries: RETRIES };
}

/** What must hold in the bucket after the run; the failures found. */
export async function checkBucket(mf) {
  const bucket = await bucketOf(mf);
  const failures = [];
  for (const [key, status] of uploads) {
    const stored = await bucket.get(key);
    const bytes = stored && new Uint8Array(await stored.arrayBuffer());
    if (status < 300 && (!bytes || sha256(bytes) !== sha256(portrait))) failures.push(`${key}: answered ${status}, stored ${bytes ? 'other bytes' : 'nothing'}`);
    if (status >= 300 && bytes && sha256(bytes) !== sha256(portrait)) failures.push(`${key}: answered ${status}, stored other bytes`);
  }
  const derived = await listKeys(mf, '_variants/');
  for (const key of derived) {
    const object = await bucket.get(key);
    const bytes = Buffer.from(await object.arrayBuffer());
    const source = object.customMetadata['source-key'] ?? key.slice('_variants/'.length, -'/mezzanine'.length);
    const original = await bucket.head(source);
    try {
      await sharp(bytes).metadata();
    } catch {
      failures.push(`${key}: does not decode`);
    }
    if (!original || original.etag !== object.customMetadata['source-etag']) failures.push(`${key}: not of its original's current version`);
  }
  return { failures, derived: derived.length, uploads: uploads.size };
}

/** Writes a run's figures into BENCHMARKS.md under `section`, replacing the previous ones. */
export function record(lines, section = SECTION) {
  const file = path.join(ROOT, 'BENCHMARKS.md');
  const doc = readFileSync(file, 'utf8');
  const start = doc.indexOf(section);
  const before = start < 0 ? doc.trimEnd() : doc.slice(0, start).trimEnd();
  const rest = start < 0 ? '' : doc.slice(start + section.length).replace(/^[\s\S]*?(?=\n## |$)/, '');
  writeFileSync(file, `${before}\n\n${section}\n\n${lines.join('\n')}\n${rest}`);
}

/** A soak's section of BENCHMARKS.md as it stands ("Fault soak" unless named), for `npm run bench` to carry over. */
export function carried(section = SECTION) {
  const doc = readFileSync(path.join(ROOT, 'BENCHMARKS.md'), 'utf8');
  const start = doc.indexOf(section);
  if (start < 0) return '';
  const end = doc.indexOf('\n## ', start + section.length);
  return `${doc.slice(start, end < 0 ? undefined : end).trimEnd()}\n`;
}
