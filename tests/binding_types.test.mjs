// js/binding.mjs (the package's `./binding` export) type-checked against Cloudflare's own
// `ImagesBinding`, `ImageTransformer` and `ImageTransformationResult` (@cloudflare/workers-types
// of our compatibility date): the contract docs/binding.md promises, kept by the compiler.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ROOT } from './helpers.mjs';

const tsc = path.join(ROOT, 'node_modules', '.bin', 'tsc');
const check = (project) => {
  try {
    return { ok: true, out: execFileSync(tsc, ['-p', project], { encoding: 'utf8' }) };
  } catch (e) {
    return { ok: false, out: `${e.stdout}${e.stderr}` };
  }
};

test('the shim implements ImagesBinding as @cloudflare/workers-types types it', () => {
  const result = check(path.join(ROOT, 'js', 'tsconfig.json'));
  assert.ok(result.ok, result.out);
});

test('the check would catch a shim that drifted from the types', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'binding-types-'));
  try {
    // The same shim with info() taken away: it no longer implements ImagesBinding.
    const shim = readFileSync(path.join(ROOT, 'js', 'binding.mjs'), 'utf8').replace('  async info(stream, options) {', '  async infoGone(stream, options) {');
    assert.notEqual(shim, readFileSync(path.join(ROOT, 'js', 'binding.mjs'), 'utf8'));
    writeFileSync(path.join(dir, 'binding.mjs'), shim);
    const config = JSON.parse(readFileSync(path.join(ROOT, 'js', 'tsconfig.json'), 'utf8'));
    config.compilerOptions.typeRoots = [path.join(ROOT, 'node_modules', '@cloudflare')];
    config.compilerOptions.types = ['workers-types'];
    writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify(config));
    const result = check(path.join(dir, 'tsconfig.json'));
    assert.equal(result.ok, false);
    assert.match(result.out, /ImagesBinding/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
