#!/usr/bin/env bash
# Builds libde265 (HEVC, struktur AG, LGPL-3.0) into a wasm module of its own for HEIC input:
# its C++ compiled with clang for wasm32-wasi against Debian's wasi-libc and libc++, no SIMD
# assembly, one thread. The source is Debian's pristine upstream tarball, checked against its
# SHA-256. Output: target/codecs/de265.wasm (skipped when newer than this folder's files).
set -euo pipefail
cd "$(dirname "$0")"
here=$(pwd)
root=$(cd ../.. && pwd)
version=1.0.15
sha256=00251986c29d34d3af7117ed05874950c875dd9292d016be29d3b3762666511d
url="http://deb.debian.org/debian/pool/main/libd/libde265/libde265_${version}.orig.tar.gz"
work="$root/target/codecs"
out="$work/de265.wasm"
mkdir -p "$work"
if [ -f "$out" ] && [ -z "$(find "$here" "$here/../shim" -newer "$out" -type f)" ]; then exit 0; fi

tarball="$work/libde265_${version}.orig.tar.gz"
if [ ! -f "$tarball" ] || ! echo "$sha256  $tarball" | sha256sum -c --status; then
  curl -sSfL -o "$tarball.part" "$url"
  echo "$sha256  $tarball.part" | sha256sum -c --status || { echo "libde265 tarball: checksum mismatch" >&2; exit 1; }
  mv "$tarball.part" "$tarball"
fi
src="$work/libde265-$version"
[ -d "$src" ] || tar -xzf "$tarball" -C "$work"

flags=(--target=wasm32-wasi --sysroot=/usr -O2 -DNDEBUG -D_GNU_SOURCE -DHAVE_POSIX_MEMALIGN
  -mbulk-memory -msimd128 -ftls-model=local-exec -fno-exceptions -D_WASI_EMULATED_SIGNAL
  -I"$here/../shim" -I"$src" -I"$src/libde265" -include "$here/../shim/mutex_shim.h")
objs="$work/de265-obj"
mkdir -p "$objs"
pids=()
for f in alloc_pool bitstream cabac configparam contextmodel de265 deblock decctx dpb fallback-dct \
         fallback-motion fallback image image-io intrapred md5 motion nal-parser nal pps quality \
         refpic sao scan sei slice sps threads transform util visualize vps vui; do
  clang++ "${flags[@]}" -std=c++11 -c "$src/libde265/$f.cc" -o "$objs/$f.o" & pids+=($!)
  if [ ${#pids[@]} -ge 4 ]; then wait "${pids[0]}"; pids=("${pids[@]:1}"); fi
done
clang++ "${flags[@]}" -std=c++11 -c "$here/glue.cc" -o "$objs/glue.o"
for p in "${pids[@]}"; do wait "$p"; done
clang++ "${flags[@]}" -nostartfiles -Wl,--no-entry -Wl,--strip-all -Wl,--gc-sections -Wl,-z,stack-size=262144 \
  "$objs"/*.o -o "$out.tmp"
mv "$out.tmp" "$out"
printf 'de265.wasm: %s bytes, %s gzip\n' "$(wc -c < "$out")" "$(gzip -9c "$out" | wc -c)"
