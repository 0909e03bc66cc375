#!/usr/bin/env bash
# `npm test`: native Rust tests of the core, then the built worker in workerd (Miniflare).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
source scripts/env.sh

echo "== cargo test (core, natively)"
cargo test --quiet

echo "== core in wasm (Node): the SIMD divide-alpha hazard of Rust 1.95"
CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
  cargo test --release --target wasm32-unknown-unknown --no-default-features --test wasm_simd -- --nocapture

echo "== build the release worker"
bash scripts/build.sh

echo "== sample images"
bash scripts/samples.sh target/samples

echo "== miniflare tests"
# The timeout turns a hung request into a failure instead of a hung CI run.
node --test --test-timeout=900000 tests/

echo "== deploy dry run (packaging, after the tests: it rebuilds the worker)"
node scripts/deploy_check.mjs
