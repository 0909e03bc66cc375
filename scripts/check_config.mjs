#!/usr/bin/env node
// The configuration checked before it ships: wrangler.toml's [vars] (of `--env NAME` when given),
// and with `--dev` the `.dev.vars` that `wrangler dev` lays over them, read by wrangler itself and
// then parsed by the worker's own `Config::from_lookup`, natively (the `check-config` example:
// no wasm build). Prints `config ok`, or `VARIABLE: what it must be` and exits 1.
//
//   node scripts/check_config.mjs [--dev] [--env NAME] [--config path/to/wrangler.toml]
//   node scripts/check_config.mjs --deploy [wrangler deploy's flags]   (`npm run deploy`)
//
// With `--deploy`, a configuration that passes is deployed: `wrangler deploy` gets every other
// flag, so `npm run deploy -- --env staging` checks and deploys the same environment.
// Secrets (SIGNING_KEY, UPLOAD_TOKEN, …) live in Cloudflare and are not needed here.
import { spawnSync } from 'node:child_process';
import { homedir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { unstable_getVarsForDev, unstable_readConfig } from 'wrangler';

const ROOT = path.resolve(import.meta.dirname, '..');
const argv = process.argv.slice(2);
// Only our flags and wrangler's --env/--config are read; the rest are wrangler deploy's.
const { values } = parseArgs({
  args: argv,
  strict: false,
  allowPositionals: true,
  options: {
    dev: { type: 'boolean' },
    deploy: { type: 'boolean' },
    env: { type: 'string', short: 'e' },
    config: { type: 'string', short: 'c' },
  },
});
const configPath = path.resolve(values.config ?? path.join(ROOT, 'wrangler.toml'));
const env = values.env || undefined;

const vars = readVars();
const shown = path.relative(process.cwd(), configPath);
const where = `${shown && !shown.startsWith('..') ? shown : configPath} [vars]${env ? ` (env ${env})` : ''}${values.dev ? ' + .dev.vars' : ''}`;
console.log(`== checking the configuration: ${where}`);
const status = check(vars);
if (status === 1) {
  console.error(`configuration refused (${where}): fix it before the worker answers every request with a 500`);
  process.exit(1);
} else if (status !== 0) {
  console.error(`the configuration checker did not run (exit ${status}): nothing was checked`);
  process.exit(2);
}
if (values.deploy) {
  const args = argv.filter((a) => a !== '--deploy');
  const r = spawnSync('npx', ['wrangler', 'deploy', ...args], { cwd: ROOT, stdio: 'inherit' });
  process.exit(r.status ?? 1);
}

/** The variables as wrangler binds them: a string, or the JSON value of a TOML number/table. */
function readVars() {
  let config;
  try {
    config = unstable_readConfig({ config: configPath, env }, { hideWarnings: true });
  } catch (e) {
    console.error(`${configPath}: ${e.message}`);
    process.exit(1);
  }
  if (!values.dev) return config.vars;
  // wrangler dev's own reader: `.dev.vars` (or `.dev.vars.<env>`; `.env` files without one) over [vars].
  const bound = unstable_getVarsForDev(configPath, undefined, config.vars, env, true);
  return Object.fromEntries(Object.entries(bound).map(([name, binding]) => [name, binding.value]));
}

/** Runs the native checker (CHECK_CONFIG_BIN: a prebuilt one) with the variables on stdin. */
function check(vars) {
  const [cmd, args] = process.env.CHECK_CONFIG_BIN
    ? [process.env.CHECK_CONFIG_BIN, []]
    : ['cargo', ['run', '--quiet', '--example', 'check-config']];
  // Where scripts/env.sh puts cargo, for `npm run deploy`, which does not source it.
  const PATH = [path.join(process.env.CARGO_HOME ?? path.join(homedir(), '.cargo'), 'bin'), process.env.PATH].join(path.delimiter);
  const r = spawnSync(cmd, args, { cwd: ROOT, input: JSON.stringify(vars), stdio: ['pipe', 'inherit', 'inherit'], env: { ...process.env, PATH } });
  if (r.error) {
    console.error(`could not run ${cmd}: ${r.error.message}`);
    return 2;
  }
  return r.status ?? 2;
}
