#!/usr/bin/env bash
# Runs the three cargo-fuzz targets for SECONDS each (default 600), seeding the pipeline fuzzer
# from ../shared/corpus when it exists. Needs nightly and cargo-fuzz (`cargo install cargo-fuzz`).
# A crash is written to fuzz/artifacts/; once fixed, copy it to fuzz/regressions/<target>/ so
# `cargo test` replays it for ever.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-600}"
mkdir -p fuzz/corpus/url fuzz/corpus/pipeline fuzz/corpus/svg_use
cp fuzz/regressions/svg_use/* fuzz/corpus/svg_use/
for url in '/shop/cat.jpg?width=400&height=300&fit=cover&quality=75&format=webp&dpr=2' \
  '/cdn-cgi/image/width=400,fit=cover,format=auto/shop/cat.jpg' '/shop/cat-200x200.jpg' \
  '/prefix/360x270/img.jpg' '/img-md.png?size=L&to_webp=1' '/a.gif?anim=true&gravity=0.3x0.6&background=red'; do
  printf '%s' "$url" > "fuzz/corpus/url/seed-$(printf '%s' "$url" | sha1sum | cut -c1-12)"
done
if [ -d ../shared/corpus ]; then
  # Two leading bytes choose the transform (fuzz/checks.rs): 0x50 0x00 is 201 px wide, scale-down, JPEG.
  find ../shared/corpus -type f -size -2M \( -name '*.jpg' -o -name '*.png' -o -name '*.gif' -o -name '*.webp' -o -name '*.bmp' \) |
    while read -r f; do { printf '\x50\x00'; cat "$f"; } > "fuzz/corpus/pipeline/$(basename "$f")"; done
fi
cargo +nightly fuzz run url fuzz/corpus/url -- -max_total_time="$seconds"
cargo +nightly fuzz run pipeline fuzz/corpus/pipeline -- -max_total_time="$seconds" -rss_limit_mb=1024 -timeout=10
# usvg's tree against our count of what <use>, <tref> and markers expand to (fuzz/checks.rs).
cargo +nightly fuzz run svg_use fuzz/corpus/svg_use -- -max_total_time="$seconds" -rss_limit_mb=1024 -timeout=10
