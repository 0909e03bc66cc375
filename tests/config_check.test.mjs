// The configuration check that runs before `npm run deploy` and `npm start`
// (scripts/check_config.mjs, then the worker's own parser natively): temporary wrangler.toml and
// .dev.vars files, each good or bad in one way, and what the check says and how it exits.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '..');
const SCRIPT = path.join(ROOT, 'scripts', 'check_config.mjs');
const OURS = readFileSync(path.join(ROOT, 'wrangler.toml'), 'utf8');
let dir;
let n = 0;

before(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'config-check-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** Our wrangler.toml with `edit` applied, and a .dev.vars beside it when given; runs the check. */
function check({ edit = (t) => t, devVars, args = [] } = {}) {
  const here = path.join(dir, String(n++));
  const toml = edit(OURS);
  mkdirSync(here);
  writeFileSync(path.join(here, 'wrangler.toml'), toml);
  if (devVars !== undefined) writeFileSync(path.join(here, '.dev.vars'), devVars);
  const r = spawnSync(process.execPath, [SCRIPT, '--config', path.join(here, 'wrangler.toml'), ...args], { cwd: here, encoding: 'utf8' });
  return { status: r.status, out: r.stdout, err: r.stderr };
}

/** Replaces one `[vars]` line of ours, failing if it is not there. */
function setVar(name, line) {
  return (t) => {
    const re = new RegExp(`^${name} = .*$`, 'm');
    assert.match(t, re, `wrangler.toml has no ${name}`);
    return t.replace(re, line);
  };
}

/** Appends to the last table of ours, which is `[vars]`. */
const addVar = (line) => (t) => {
  assert.match(t, /\[vars\][^[]*$/, '[vars] is the last table of wrangler.toml');
  return `${t.trimEnd()}\n${line}\n`;
};

function refused(r, variable) {
  assert.equal(r.status, 1, `exit ${r.status}\n${r.out}\n${r.err}`);
  assert.match(r.err, new RegExp(`^${variable}[.:]`, 'm'), `names ${variable}:\n${r.err}`);
  assert.doesNotMatch(r.out, /config ok/);
}

test("the repository's own wrangler.toml passes, with no secret set", () => {
  const r = check();
  assert.equal(r.status, 0, r.err);
  assert.match(r.out, /config ok/);
});

test('an OVERLAYS composite mode we do not know is refused, naming OVERLAYS', () => {
  const r = check({ edit: addVar(`OVERLAYS = '{"logo": {"key": "brand/logo.png", "composite": "multiply"}}'`) });
  refused(r, 'OVERLAYS');
  assert.match(r.err, /over, in, atop, out, xor, lighter/);
  assert.equal(check({ edit: addVar(`OVERLAYS = '{"logo": {"key": "brand/logo.png", "composite": "xor"}}'`) }).status, 0);
});

test('QUALITY_JPEG="101" is refused, naming QUALITY_JPEG and its range', () => {
  const r = check({ edit: setVar('QUALITY_JPEG', 'QUALITY_JPEG = "101"') });
  refused(r, 'QUALITY_JPEG');
  assert.match(r.err, /1 to 100/);
});

test('a number where the worker reads a string is refused (env.var would ignore it)', () => {
  refused(check({ edit: setVar('MAX_WIDTH', 'MAX_WIDTH = 2000') }), 'MAX_WIDTH');
});

test('.dev.vars over a good value: checked with --dev (npm start), not for a deploy', () => {
  for (const devVars of ['QUALITY_JPEG=101\n', 'DEMO="true"\nQUALITY_JPEG="101"\n']) {
    refused(check({ devVars, args: ['--dev'] }), 'QUALITY_JPEG');
    assert.equal(check({ devVars }).status, 0, 'wrangler deploy never reads .dev.vars');
  }
  // What npm start writes passes; a token it did not write, too short, does not.
  assert.equal(check({ devVars: 'UPLOAD_TOKEN="local-0123456789abcdefghij"\nDEMO="true"\n', args: ['--dev'] }).status, 0);
  refused(check({ devVars: 'UPLOAD_TOKEN=short\n', args: ['--dev'] }), 'UPLOAD_TOKEN');
});

test('secrets are not required: an S3 origin with its region and no keys passes', () => {
  const r = check({ edit: addVar('ORIGIN_URL = "https://old-bucket.s3.eu-west-1.amazonaws.com"\nORIGIN_S3_REGION = "eu-west-1"\nREQUIRE_SIGNATURE = "false"') });
  assert.equal(r.status, 0, r.err);
  // REQUIRE_SIGNATURE is read only with SIGNING_KEY, a secret: checked as if it were set.
  refused(check({ edit: addVar('REQUIRE_SIGNATURE = "no"') }), 'REQUIRE_SIGNATURE');
});

test('--env NAME checks that environment, whose vars wrangler does not inherit', () => {
  const edit = (t) => `${t.trimEnd()}\n\n[env.staging.vars]\nQUALITY_JPEG = "0"\n`;
  assert.equal(check({ edit }).status, 0);
  refused(check({ edit, args: ['--env', 'staging'] }), 'QUALITY_JPEG');
});

test('--deploy (npm run deploy) does not reach wrangler deploy with a bad value', () => {
  const out = path.join(dir, 'deploy-out');
  refused(check({ edit: setVar('QUALITY_JPEG', 'QUALITY_JPEG = "101"'), args: ['--deploy', '--dry-run', '--outdir', out] }), 'QUALITY_JPEG');
  assert.ok(!existsSync(out), 'wrangler deploy ran');
});
