#!/usr/bin/env bash
# Builds the release worker into build/ (wasm-bindgen + wasm-opt + JS shim) and prints its size.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
worker-build --release
wasm=build/index_bg.wasm
printf 'worker: %s, %s bytes raw, %s bytes gzip\n' "$wasm" "$(wc -c < "$wasm")" "$(gzip -9c "$wasm" | wc -c)"
