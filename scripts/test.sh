#!/usr/bin/env bash
# `npm test`: lints, the core natively, the core in wasm, then the built worker in workerd
# (Miniflare). Each phase prints how long it took (docs/testing.md has cold and warm figures).
set -euo pipefail
cd "$(dirname "$0")/.."
started=$SECONDS
phase_started=$SECONDS
phase() {
  if [ -n "${phase_name:-}" ]; then printf '   (%s: %ss)\n' "$phase_name" $((SECONDS - phase_started)); fi
  phase_name=$1
  phase_started=$SECONDS
  printf '\033[1m== %s\033[0m\n' "$1"
}

phase "setup (installs only what is missing; the cargo tools compile in the background)"
# The three `cargo install`s are most of a fresh machine's setup; they compile beside clippy and
# `cargo test` (niced, so those phases' times stay theirs) and are waited for before the first
# phase that needs them. Chromium is asked for so `npm test` runs the browser test as CI does.
mkdir -p target
rm -f target/setup-build-tools.rc target/setup-build-tools.rc.tmp
# Two background jobs, one after the other: what the wasm build needs, then the tests' S3 server.
(
  # (Written whole, then renamed: the waiting loop below must never read it half made.)
  if nice -n 10 bash scripts/setup.sh --build-tools > target/setup-build-tools.log 2>&1; then echo 0; else echo 1; fi > target/setup-build-tools.rc.tmp
  mv target/setup-build-tools.rc.tmp target/setup-build-tools.rc
  nice -n 10 bash scripts/setup.sh --test-tools > target/setup-test-tools.log 2>&1
) &
cargo_tools=$!
bash scripts/setup.sh --no-cargo-tools --browser
source scripts/env.sh
# Waits for the build's tools (the first job), failing with its log if it failed.
wait_for_build_tools() {
  while [ ! -f target/setup-build-tools.rc ] && kill -0 "$cargo_tools" 2>/dev/null; do sleep 1; done
  if [ "$(cat target/setup-build-tools.rc 2>/dev/null)" != 0 ]; then
    cat target/setup-build-tools.log >&2
    echo "setup.sh --build-tools failed (its log is above)" >&2
    exit 1
  fi
  grep -F '==' target/setup-build-tools.log || true
}
# Waits for both.
wait_for_test_tools() {
  wait_for_build_tools
  if ! wait "$cargo_tools"; then
    cat target/setup-test-tools.log >&2
    echo "setup.sh --test-tools failed (its log is above)" >&2
    exit 1
  fi
  grep -F '==' target/setup-test-tools.log || true
}

phase "rustfmt and clippy (the core natively with its tests; the worker adapter for wasm32)"
cargo fmt --check
cargo clippy --quiet --all-targets -- -D warnings
cargo clippy --quiet --lib --target wasm32-unknown-unknown -- -D warnings

phase "cargo test (core, natively; builds the make-samples example too)"
cargo test --quiet

phase "configuration check (wrangler.toml [vars] through the worker's parser; the example cargo test built)"
node scripts/check_config.mjs

phase "sample images (the example cargo test built)"
bash scripts/fixtures/samples.sh target/samples

phase "core in wasm (Node): the SIMD divide-alpha hazard of Rust 1.95; compiles the worker's crates"
wait_for_build_tools
# With the worker's features and worker-build's environment, so the release build below finds
# every crate compiled (one wasm compile of the crate serves both: docs/testing.md).
WASM_BINDGEN_USE_JS_SYS=1 CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
  cargo test --release --target wasm32-unknown-unknown --test wasm_simd -- --nocapture

phase "build the release worker"
bash scripts/build.sh

phase "miniflare tests"
wait_for_test_tools
# The timeout turns a hung request into a failure instead of a hung CI run. Two files at a time
# (each its own workerd): 138 s against about 245 s one at a time on 2 cores, 170 s three at a time.
node --test --test-timeout=900000 --test-concurrency=2 tests/

phase "deploy dry run (wrangler's own build and bundling)"
node scripts/deploy_check.mjs

phase "done"
printf '   npm test: %ss in all\n' $((SECONDS - started))
