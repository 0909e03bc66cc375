#!/usr/bin/env bash
# Generates the sample originals (the project makes its own; nothing is copied in).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
cargo run --quiet --example make-samples -- "${1:-target/samples}"
