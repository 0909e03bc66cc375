#!/usr/bin/env bash
# Builds libwebp's animation encoder (Google, BSD-3) into a wasm module of its own for animated
# WebP output: its C compiled with clang for wasm32-wasi against Debian's wasi-libc, the portable
# code paths (no SSE/NEON), one thread. The source is Debian's pristine upstream tarball, checked
# against its SHA-256. Still WebP images keep using @jsquash/webp. Output: target/codecs/webp_anim.wasm.
set -euo pipefail
cd "$(dirname "$0")"
here=$(pwd)
source ../common.sh
version=1.5.0
out="$work/webp_anim.wasm"
up_to_date "$out" && exit 0
unpack "http://deb.debian.org/debian/pool/main/libw/libwebp/libwebp_${version}.orig.tar.gz" \
  7d6fab70cf844bf6769077bd5d7a74893f8ffd4dfb42861745750c63c2a5c92c "libwebp-$version"
src="$work/libwebp-$version"

cflags=(--target=wasm32-wasi --sysroot=/usr -O2 -DNDEBUG -mbulk-memory -msimd128 -fno-math-errno
  -ftls-model=local-exec -I"$src")
objs="$work/webp-obj"
mkdir -p "$objs"
# Everything but the architecture-specific files (libwebp picks plain C when none is compiled).
for f in "$src"/src/{dec,dsp,enc,utils,mux}/*.c "$src"/sharpyuv/*.c; do
  case "$f" in *_sse2.c | *_sse41.c | *_neon.c | *_mips*.c | *_msa.c) continue ;; esac
  name=$(basename "$(dirname "$f")")_$(basename "$f" .c)
  echo "clang ${cflags[*]} -c $f -o $objs/$name.o"
done | in_parallel
clang "${cflags[@]}" -c "$here/glue.c" -o "$objs/glue.o"
clang "${cflags[@]}" -nostartfiles -Wl,--no-entry -Wl,--strip-all -Wl,--gc-sections -Wl,-z,stack-size=262144 \
  "$objs"/*.o -o "$out.tmp"
mv "$out.tmp" "$out"
printf 'webp_anim.wasm: %s bytes, %s gzip\n' "$(wc -c < "$out")" "$(gzip -9c "$out" | wc -c)"
