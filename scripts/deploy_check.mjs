#!/usr/bin/env node
// `npm test`'s last step: `wrangler deploy --dry-run`, so packaging errors (a bad wrangler.toml,
// a missing module, a bundle over the platform's limit) surface here before a user's first
// `npm run deploy`. Runs wrangler's own build and bundling, uploads nothing.
import { spawnSync } from 'node:child_process';
import { readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import assert from 'node:assert/strict';

const ROOT = path.resolve(import.meta.dirname, '..');
const out = path.join(ROOT, 'target', 'deploy-dry-run');
// Workers' compressed size limit on the Paid plan, which the CPU time of a resize needs anyway
// (the Free plan's is 3 MB: the face model and the fonts took us past it, docs/deploy.md).
const LIMIT_KIB = 10 * 1024;

rmSync(out, { recursive: true, force: true });
const r = spawnSync('npx', ['wrangler', 'deploy', '--dry-run', '--outdir', out], { cwd: ROOT, encoding: 'utf8', maxBuffer: 1 << 26 });
const log = `${r.stdout}\n${r.stderr}`;
assert.equal(r.status, 0, `wrangler deploy --dry-run failed:\n${log}`);
const files = readdirSync(out);
assert.ok(files.includes('worker.js'), `no worker.js in ${files}`);
assert.ok(files.some((f) => f.endsWith('index_bg.wasm')), `our wasm is not in the bundle: ${files}`);
assert.ok(files.some((f) => f.endsWith('webp.wasm')), `libwebp's wasm is not in the bundle: ${files}`);
const total = /Total Upload: ([\d.]+) KiB \/ gzip: ([\d.]+) KiB/.exec(log);
assert.ok(total, `wrangler printed no upload size:\n${log}`);
const gzip = Number(total[2]);
assert.ok(gzip <= LIMIT_KIB, `the upload is ${gzip} KiB gzip, over the ${LIMIT_KIB} KiB limit`);
console.log(`wrangler deploy --dry-run: ok, ${files.length} files, ${total[1]} KiB, ${gzip} KiB gzip (limit ${LIMIT_KIB})`);

