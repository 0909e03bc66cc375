#!/usr/bin/env node
// `npm run upload -- <file> <key> [--remote]`: PUTs an image to the worker's upload API.
// Locally it uses `wrangler dev` on http://127.0.0.1:8787 and the UPLOAD_TOKEN `npm start` wrote
// into .dev.vars; with --remote, WORKER_URL (e.g. https://images.example.com) and UPLOAD_TOKEN
// from the environment (set the secret with `npx wrangler secret put UPLOAD_TOKEN`).
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const remote = args.includes('--remote');
const [file, key] = args.filter((a) => !a.startsWith('--'));
if (!file || !key) {
  console.error('usage: npm run upload -- <file> <key> [--remote]');
  process.exit(2);
}

function localToken() {
  const vars = path.join(root, '.dev.vars');
  if (!existsSync(vars)) return undefined;
  return /^UPLOAD_TOKEN\s*=\s*"?([^"\n]+)"?/m.exec(readFileSync(vars, 'utf8'))?.[1];
}

const base = remote ? process.env.WORKER_URL : 'http://127.0.0.1:8787';
const token = remote ? process.env.UPLOAD_TOKEN : process.env.UPLOAD_TOKEN ?? localToken();
if (!base || !token) {
  console.error(remote ? 'set WORKER_URL and UPLOAD_TOKEN for --remote' : 'no UPLOAD_TOKEN: run `npm start` once (it writes .dev.vars)');
  process.exit(2);
}
const body = readFileSync(file);
const url = `${base.replace(/\/$/, '')}/${key.split('/').map(encodeURIComponent).join('/')}`;
const res = await fetch(url, { method: 'PUT', body, headers: { authorization: `Bearer ${token}` } });
const text = await res.text();
console.log(`${res.status} ${url}\n${text.trim()}`);
process.exit(res.ok ? 0 : 1);
