#!/usr/bin/env node
// Prints a signed URL for the worker's SIGNING_KEY:
//   npm run sign -- '/shop/cat.jpg?w=400' [--expires-in SECONDS] [--base https://img.example.com]
// The key comes from $SIGNING_KEY, else from .dev.vars (what `wrangler dev` uses).
import { createHmac } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * Signs a path and query: HMAC-SHA256 over the path and query exactly as the worker sees them
 * (percent-encoded by the URL parser), with `exp` included and `sig` appended, base64url.
 */
export function signUrl(pathAndQuery, key, { expiresAt } = {}) {
  const url = new URL(pathAndQuery, 'http://placeholder');
  let unsigned = url.pathname + url.search;
  if (expiresAt !== undefined) unsigned += `${url.search ? '&' : '?'}exp=${expiresAt}`;
  const sig = createHmac('sha256', key).update(unsigned).digest('base64url');
  return `${unsigned}${unsigned.includes('?') ? '&' : '?'}sig=${sig}`;
}

function keyFromEnvironment() {
  if (process.env.SIGNING_KEY) return process.env.SIGNING_KEY;
  const devVars = path.join(import.meta.dirname, '..', '.dev.vars');
  if (existsSync(devVars)) {
    const line = readFileSync(devVars, 'utf8').split('\n').find((l) => l.startsWith('SIGNING_KEY='));
    if (line) return line.slice('SIGNING_KEY='.length).trim().replace(/^"(.*)"$/, '$1');
  }
  return null;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const option = (name) => {
    const i = args.indexOf(name);
    return i >= 0 ? args.splice(i, 2)[1] : undefined;
  };
  const expiresIn = option('--expires-in');
  const base = option('--base') ?? '';
  const target = args[0];
  const key = keyFromEnvironment();
  if (!target || !key) {
    console.error("usage: SIGNING_KEY=… npm run sign -- '/shop/cat.jpg?w=400' [--expires-in SECONDS] [--base URL]");
    console.error(key ? '' : 'no key: set SIGNING_KEY or put SIGNING_KEY=… in .dev.vars');
    process.exit(2);
  }
  const expiresAt = expiresIn ? Math.floor(Date.now() / 1000) + Number(expiresIn) : undefined;
  console.log(base.replace(/\/$/, '') + signUrl(target, key, { expiresAt }));
}
