#!/usr/bin/env bash
# Builds libwebp (Google, BSD-3) into the worker's WebP encoder, still images and animations: its
# C compiled with clang for wasm32-wasi against Debian's wasi-libc, one thread, with its SSE2 code
# paths turned into wasm SIMD128 by SIMDe (x86/ here). The source is Debian's pristine upstream
# tarball, checked against its SHA-256. Output: target/codecs/webp.wasm.
set -euo pipefail
cd "$(dirname "$0")"
here=$(pwd)
source ../common.sh
version=1.5.0
out="$work/webp.wasm"
up_to_date "$out" && exit 0
[ -f /usr/include/simde/x86/sse2.h ] || { echo "SIMDe is missing: apt-get install libsimde-dev (scripts/setup.sh)" >&2; exit 1; }
unpack "http://deb.debian.org/debian/pool/main/libw/libwebp/libwebp_${version}.orig.tar.gz" \
  7d6fab70cf844bf6769077bd5d7a74893f8ffd4dfb42861745750c63c2a5c92c "libwebp-$version"
src="$work/libwebp-$version"

# __SSE2__ makes libwebp's src/dsp/cpu.h compile and install its SSE2 functions; x86/ answers
# their #include <emmintrin.h>. SSE4.1 (measured: no faster) and NEON/MIPS stay out.
cflags=(--target=wasm32-wasi --sysroot=/usr -O2 -DNDEBUG -mbulk-memory -msimd128 -fno-math-errno
  -ftls-model=local-exec -D__SSE2__ -I"$here/x86" -I"$src")
objs="$work/webp-simd-obj"
mkdir -p "$objs"
for f in "$src"/src/{dec,dsp,enc,utils,mux}/*.c "$src"/sharpyuv/*.c; do
  case "$f" in *_sse41.c | *_neon.c | *_mips*.c | *_msa.c) continue ;; esac
  # libwebp's runtime CPU check: its EMSCRIPTEN branch answers from the compile flags (SSE2 yes),
  # the one we want for wasm; the define only reaches the two files holding that check.
  case "$f" in */cpu.c | */sharpyuv_cpu.c) extra=-DEMSCRIPTEN ;; *) extra= ;; esac
  name=$(basename "$(dirname "$f")")_$(basename "$f" .c)
  echo "clang ${cflags[*]} $extra -c $f -o $objs/$name.o"
done | in_parallel
clang "${cflags[@]}" -c "$here/glue.c" -o "$objs/glue.o"
clang "${cflags[@]}" -nostartfiles -Wl,--no-entry -Wl,--strip-all -Wl,--gc-sections -Wl,-z,stack-size=262144 \
  "$objs"/*.o -o "$out.tmp"
mv "$out.tmp" "$out"
printf 'webp.wasm: %s bytes, %s gzip\n' "$(wc -c < "$out")" "$(gzip -9c "$out" | wc -c)"
