#!/usr/bin/env bash
# Builds libde265 (HEVC, struktur AG, LGPL-3.0) into a wasm module of its own for HEIC input:
# its C++ compiled with clang for wasm32-wasi against Debian's wasi-libc and libc++, no SIMD
# assembly, one thread. The source is Debian's pristine upstream tarball, checked against its
# SHA-256. Output: target/codecs/de265.wasm (skipped when newer than this folder's files).
set -euo pipefail
cd "$(dirname "$0")"
here=$(pwd)
source ../common.sh
version=1.0.15
out="$work/de265.wasm"
up_to_date "$out" && exit 0
unpack "http://deb.debian.org/debian/pool/main/libd/libde265/libde265_${version}.orig.tar.gz" \
  00251986c29d34d3af7117ed05874950c875dd9292d016be29d3b3762666511d "libde265-$version"
src="$work/libde265-$version"

flags=(--target=wasm32-wasi --sysroot=/usr -O2 -DNDEBUG -D_GNU_SOURCE -DHAVE_POSIX_MEMALIGN
  -mbulk-memory -msimd128 -ftls-model=local-exec -fno-exceptions -D_WASI_EMULATED_SIGNAL
  -I"$here/../shim" -I"$src" -I"$src/libde265" -include "$here/../shim/mutex_shim.h")
objs="$work/de265-obj"
mkdir -p "$objs"
{
  for f in alloc_pool bitstream cabac configparam contextmodel de265 deblock decctx dpb fallback-dct \
           fallback-motion fallback image image-io intrapred md5 motion nal-parser nal pps quality \
           refpic sao scan sei slice sps threads transform util visualize vps vui; do
    echo "clang++ ${flags[*]} -std=c++11 -c $src/libde265/$f.cc -o $objs/$f.o"
  done
  echo "clang++ ${flags[*]} -std=c++11 -c $here/glue.cc -o $objs/glue.o"
} | in_parallel
clang++ "${flags[@]}" -nostartfiles -Wl,--no-entry -Wl,--strip-all -Wl,--gc-sections -Wl,-z,stack-size=262144 \
  "$objs"/*.o -o "$out.tmp"
mv "$out.tmp" "$out"
printf 'de265.wasm: %s bytes, %s gzip\n' "$(wc -c < "$out")" "$(gzip -9c "$out" | wc -c)"
