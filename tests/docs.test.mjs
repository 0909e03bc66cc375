// The README and docs/ name files, folders and each other's sections: every relative link, every
// `#anchor` into a Markdown page, and every repository path written in backticks must exist, so
// a moved file or a renamed heading fails here instead of misleading the next reader.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const PAGES = ['README.md', 'BENCHMARKS.md', ...readdirSync(path.join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
// Generated or installed, never committed: a path into them names what a build makes.
const GENERATED = new Set(['target', 'build', 'node_modules', 'pkg']);
const TOP = new Set(readdirSync(ROOT).filter((f) => !f.startsWith('.') && !GENERATED.has(f) && statSync(path.join(ROOT, f)).isDirectory()));
const SRC = new Set(readdirSync(path.join(ROOT, 'src')).filter((f) => statSync(path.join(ROOT, 'src', f)).isDirectory()));

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
export function slug(heading) {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, '')
    .replace(/ /g, '-');
}

function anchors(file) {
  const text = readFileSync(file, 'utf8').replace(/```[\s\S]*?```/g, '');
  return new Set([...text.matchAll(/^#{1,6} (.+)$/gm)].map((m) => slug(m[1])));
}

/** Relative links `[text](target)` outside code blocks. */
export function links(markdown) {
  const text = markdown.replace(/```[\s\S]*?```/g, '');
  return [...text.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]).filter((t) => !/^[a-z]+:/i.test(t));
}

/** Backticked tokens that read as a path in this repository: its first segment is a top-level
 * folder, or a folder of `src/` written without the `src/` (as `flow/upload.rs`). */
export function repoPaths(markdown) {
  const found = [];
  for (const [, token] of markdown.matchAll(/`([A-Za-z0-9_.\-/]+)`/g)) {
    const first = token.split('/')[0];
    if (!token.includes('/') || token.includes('..')) continue;
    if (TOP.has(first)) found.push(token);
    else if (SRC.has(first) && /\.rs$|\/$|^[a-z_]+\/[a-z_]+$/.test(token)) found.push(`src/${token}`);
  }
  return found;
}

function exists(relative) {
  const target = path.join(ROOT, relative.replace(/\/$/, ''));
  // A module written without its extension (`pipeline/progressive`, `flow/upload`).
  return existsSync(target) || existsSync(`${target}.rs`);
}

for (const page of PAGES) {
  test(`${page}: every relative link and anchor exists`, () => {
    const markdown = readFileSync(path.join(ROOT, page), 'utf8');
    const broken = [];
    for (const link of links(markdown)) {
      const [file, anchor] = link.split('#');
      const target = file ? path.resolve(path.dirname(path.join(ROOT, page)), file) : path.join(ROOT, page);
      if (!existsSync(target)) broken.push(link);
      else if (anchor && target.endsWith('.md') && !anchors(target).has(anchor)) broken.push(`${link} (no such heading)`);
    }
    assert.deepEqual(broken, [], `${page} links to what does not exist`);
  });

  test(`${page}: every repository path in backticks exists`, () => {
    const missing = repoPaths(readFileSync(path.join(ROOT, page), 'utf8')).filter((p) => !exists(p));
    assert.deepEqual(missing, [], `${page} names paths that do not exist`);
  });
}

test('the checks themselves catch a broken link, a missing anchor and a moved path', () => {
  assert.deepEqual(links('see [a](docs/nope.md#x) and [b](https://example.com) ```[c](d.md)```'), ['docs/nope.md#x']);
  assert.deepEqual(repoPaths('`src/flow/gone.rs`, `flow/upload.rs`, `image/svg+xml`, `shop/cat.jpg`'), ['src/flow/gone.rs', 'src/flow/upload.rs']);
  assert.equal(exists('src/flow/gone.rs'), false);
  assert.equal(exists('src/flow/upload.rs'), true);
  assert.equal(slug('How the tables are made'), 'how-the-tables-are-made');
  assert.equal(slug("Cloudflare's effects against sharp"), 'cloudflares-effects-against-sharp');
});

/** Backticked Rust test names (snake case, four words or more) a page cites as its proof. */
export function testNames(markdown) {
  return [...markdown.matchAll(/`([a-z0-9]+(?:_[a-z0-9]+){3,})`/g)].map((m) => m[1]);
}

/** Every `fn name` in the crate's sources and Rust tests. */
function rustFunctions() {
  const names = new Set();
  const visit = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) visit(full);
      else if (entry.name.endsWith('.rs')) for (const [, name] of readFileSync(full, 'utf8').matchAll(/\bfn ([a-z0-9_]+)/g)) names.add(name);
    }
  };
  visit(path.join(ROOT, 'src'));
  visit(path.join(ROOT, 'tests'));
  return names;
}

test('docs/threat-model.md: every test it names as a proof exists', () => {
  const cited = testNames(readFileSync(path.join(ROOT, 'docs', 'threat-model.md'), 'utf8'));
  assert.ok(cited.length >= 10, `only ${cited.length} tests cited`);
  const defined = rustFunctions();
  assert.deepEqual(cited.filter((name) => !defined.has(name)), [], 'named in the threat model, defined nowhere');
  assert.deepEqual(testNames('`a_test_that_is_named` `not_one` `MAX_WIDTH`'), ['a_test_that_is_named']);
});
