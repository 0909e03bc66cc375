#!/usr/bin/env bash
# `npm run bench`: builds the release worker and the samples, installs the peers (sharp from npm,
# Pillow from PyPI) when missing, then runs scripts/bench/run.mjs, which writes BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
bash scripts/setup.sh
source scripts/env.sh
bash scripts/build.sh
bash scripts/fixtures/samples.sh target/samples
if ! python3 -c 'import PIL' 2>/dev/null; then
  echo "== pip install pillow"
  python3 -m pip install --quiet pillow || echo "Pillow could not be installed: the bench will skip it"
fi
node scripts/bench/run.mjs
