#!/usr/bin/env bash
# Generates the sample originals (the project makes its own; nothing is copied in), with the
# make-samples example; skipped when the folder was written by the same generator.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
dir="${1:-target/samples}"
inputs=$(cat tests/support/fixtures.rs tests/support/make_samples.rs Cargo.lock | sha256sum | cut -d' ' -f1)
if [ "$(cat "$dir/.inputs" 2>/dev/null)" = "$inputs" ]; then
  echo "samples in $dir are up to date"
  exit 0
fi
cargo run --quiet --example make-samples -- "$dir"
echo "$inputs" > "$dir/.inputs"
