#!/usr/bin/env bash
# Installs whatever the build and tests need and is missing, from package registries only.
# Safe to run every time: each step is skipped when its tool is already there at the right
# version (a cold `cargo install` takes minutes on 2 cores).
#
#   scripts/setup.sh                  everything `npm start` and `npm run build` need
#   scripts/setup.sh --browser        … and Debian's Chromium, for the demo page's browser test
#   scripts/setup.sh --cargo-tools    only the three `cargo install`s (--build-tools: the two the
#                                     build needs; --test-tools: the S3 server the tests need)
#   scripts/setup.sh --no-cargo-tools everything but them
# `npm test` runs the last in the foreground and the cargo tools in the background, so they
# compile while the tests' own first compile runs (scripts/test.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
cargo_tools=1 build_tools=1 test_tools=1 others=1 browser=0
for arg in "$@"; do
  case "$arg" in
    --cargo-tools) others=0 ;;
    --build-tools) others=0 test_tools=0 ;;
    --test-tools) others=0 build_tools=0 ;;
    --no-cargo-tools) cargo_tools=0 ;;
    --browser) browser=1 ;;
    *) echo "setup.sh: unknown option $arg" >&2; exit 2 ;;
  esac
done

WORKER_BUILD_VERSION=0.8.7
# The CLI must match the wasm-bindgen library in Cargo.lock exactly.
WASM_BINDGEN_VERSION=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/"/, "", $3); print $3 }' Cargo.lock)

step() { printf '\033[1m== %s\033[0m\n' "$*"; }
has_version() { command -v "$1" >/dev/null 2>&1 && "$1" --version 2>/dev/null | grep -qF "$2"; }

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  step "rustup target add wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi

if [ "$cargo_tools" = 1 ]; then
  # The two tools are built at opt-level 1: 238 s instead of 330 s on 2 cores, and wasm-bindgen
  # still takes about a second on the worker (docs/testing.md).
  export CARGO_PROFILE_RELEASE_OPT_LEVEL=1
  # Each in a temporary target directory of its own: a shared one would lock out the tests' build.
  unset CARGO_TARGET_DIR

  if [ "$build_tools" = 1 ] && ! has_version wasm-bindgen "$WASM_BINDGEN_VERSION"; then
    step "cargo install wasm-bindgen-cli $WASM_BINDGEN_VERSION (a few minutes, once)"
    # Not --locked: its lockfile pins a yanked webpki-roots.
    cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
  fi

  if [ "$build_tools" = 1 ] && ! has_version worker-build "$WORKER_BUILD_VERSION"; then
    step "cargo install worker-build $WORKER_BUILD_VERSION (a few minutes, once)"
    cargo install --locked worker-build --version "$WORKER_BUILD_VERSION"
  fi
  # A real S3-compatible server for the ORIGIN_URL tests (tests/origin.test.mjs): it checks
  # Signature V4 and refuses a wrong one. 0.14.1 is the newest that builds with Rust 1.95.
  S3S_FS_VERSION=0.14.1
  if [ "$test_tools" = 1 ] && ! has_version s3s-fs "$S3S_FS_VERSION"; then
    step "cargo install s3s-fs $S3S_FS_VERSION (about two minutes, once)"
    cargo install --locked s3s-fs --version "$S3S_FS_VERSION" --features binary
  fi
  unset CARGO_PROFILE_RELEASE_OPT_LEVEL
fi
[ "$others" = 1 ] || exit 0

# npm packages (wrangler/miniflare/workerd, binaryen's wasm-opt, test helpers), from the lockfile.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  step "npm ci"
  npm ci --no-audit --no-fund
fi

# clang, lld, wasi-libc and the wasm32 libc++ compile dav1d (AVIF), libde265 (HEIC) and libwebp to
# wasm; SIMDe (header-only) turns libwebp's SSE2 code into wasm SIMD. Debian's packages.
WASM_C_PACKAGES="clang lld wasi-libc libclang-rt-14-dev-wasm32 libc++-14-dev-wasm32 libc++abi-14-dev-wasm32 libsimde-dev"
if ! command -v clang >/dev/null 2>&1 || ! command -v wasm-ld >/dev/null 2>&1 || [ ! -f /usr/lib/wasm32-wasi/libc.a ] \
  || [ ! -f /usr/lib/llvm-14/lib/clang/14.0.6/lib/wasi/libclang_rt.builtins-wasm32.a ] || [ ! -f /usr/lib/wasm32-wasi/libc++.a ] \
  || [ ! -f /usr/include/simde/x86/sse2.h ]; then
  step "apt-get install $WASM_C_PACKAGES (to compile the C codecs to wasm)"
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $WASM_C_PACKAGES >/dev/null
  else
    echo "install $WASM_C_PACKAGES (Debian 12 package names), then run this again" >&2
    exit 1
  fi
fi

# The tests' reference for SVG lettering: librsvg's rsvg-convert (Debian's librsvg2-bin).
if ! command -v rsvg-convert >/dev/null 2>&1; then
  step "apt-get install librsvg2-bin (the reference the SVG lettering tests compare with)"
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq librsvg2-bin >/dev/null \
      || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq librsvg2-bin >/dev/null; }
  else
    echo "install librsvg2-bin (Debian 12), then run this again" >&2
    exit 1
  fi
fi

# A second reader of the gain-map JPEGs we write (its MPF and XMP parsers): Debian's exiftool.
if ! command -v exiftool >/dev/null 2>&1; then
  step "apt-get install libimage-exiftool-perl (reads back the gain-map JPEGs the HDR tests make)"
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libimage-exiftool-perl >/dev/null \
      || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libimage-exiftool-perl >/dev/null; }
  else
    echo "install libimage-exiftool-perl (Debian 12), then run this again" >&2
    exit 1
  fi
fi

# The tests' reference decoder for HEIF files (AVIF, HEIC): libheif through pillow-heif (PyPI).
if ! python3 -c 'import pillow_heif' >/dev/null 2>&1; then
  step "pip install pillow-heif (reference decodes for the AVIF tests)"
  python3 -m pip install --quiet --disable-pip-version-check 'pillow-heif==1.8.1'
fi

# The demo page's browser test drives Debian's Chromium through playwright-core (no browser
# download); `npm test` asks for it so it runs everything CI runs.
if [ "$browser" = 1 ] && ! command -v chromium >/dev/null 2>&1; then
  step "apt-get install chromium (the demo page's browser test)"
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null \
      || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }
  else
    echo "install chromium (Debian 12), then run this again; without it the browser test is skipped" >&2
  fi
fi
