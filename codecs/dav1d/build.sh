#!/usr/bin/env bash
# Builds dav1d (the AV1 decoder of VideoLAN, BSD-2) into a wasm module of its own for AVIF input:
# its C compiled with clang for wasm32-wasi against Debian's wasi-libc, no assembly, one thread.
# The source is Debian's pristine upstream tarball, checked against its SHA-256. Output:
# target/codecs/dav1d.wasm (skipped when it is newer than this folder's files).
set -euo pipefail
cd "$(dirname "$0")"
here=$(pwd)
root=$(cd ../.. && pwd)
version=1.5.1
sha256=401813f1f89fa8fd4295805aa5284d9aed9bc7fc1fdbe554af4292f64cbabe21
url="http://deb.debian.org/debian/pool/main/d/dav1d/dav1d_${version}.orig.tar.xz"
work="$root/target/codecs"
out="$work/dav1d.wasm"
mkdir -p "$work"
if [ -f "$out" ] && [ -z "$(find "$here" -newer "$out" -type f)" ]; then exit 0; fi

tarball="$work/dav1d_${version}.orig.tar.xz"
if [ ! -f "$tarball" ] || ! echo "$sha256  $tarball" | sha256sum -c --status; then
  curl -sSfL -o "$tarball.part" "$url"
  echo "$sha256  $tarball.part" | sha256sum -c --status || { echo "dav1d tarball: checksum mismatch" >&2; exit 1; }
  mv "$tarball.part" "$tarball"
fi
src="$work/dav1d-$version"
[ -d "$src" ] || tar -xf "$tarball" -C "$work"
mkdir -p "$work/dav1d-gen"
printf '#define DAV1D_VERSION "%s"\n' "$version" > "$work/dav1d-gen/vcs_version.h"

cflags=(--target=wasm32-wasi --sysroot=/usr -O2 -std=c11 -D_GNU_SOURCE -DNDEBUG
  -mbulk-memory -msimd128 -fno-math-errno -ftls-model=local-exec
  -I"$here/../shim" -I"$here" -I"$work/dav1d-gen" -I"$src" -I"$src/include" -I"$src/include/dav1d")
objs="$work/dav1d-obj"
mkdir -p "$objs"
compile() { # source, object, extra flags...
  local s=$1 o=$2; shift 2
  clang "${cflags[@]}" "$@" -c "$s" -o "$o"
}
pids=()
for f in cdf cpu ctx data decode dequant_tables getbits intra_edge itx_1d lf_mask lib log mem msac \
         obu pal picture qm ref refmvs scan tables thread_task warpmv wedge; do
  compile "$src/src/$f.c" "$objs/$f.o" & pids+=($!)
  if [ ${#pids[@]} -ge 4 ]; then wait "${pids[0]}"; pids=("${pids[@]:1}"); fi
done
for bpc in 8 16; do
  for f in cdef_apply cdef fg_apply filmgrain ipred_prepare ipred itx lf_apply loopfilter \
           looprestoration lr_apply mc recon; do
    compile "$src/src/${f}_tmpl.c" "$objs/${f}_$bpc.o" -DBITDEPTH=$bpc & pids+=($!)
    if [ ${#pids[@]} -ge 4 ]; then wait "${pids[0]}"; pids=("${pids[@]:1}"); fi
  done
done
compile "$here/glue.c" "$objs/glue.o"
for p in "${pids[@]}"; do wait "$p"; done
clang "${cflags[@]}" -nostartfiles -Wl,--no-entry -Wl,--export=malloc -Wl,--export=free \
  -Wl,--strip-all -Wl,--gc-sections -Wl,-z,stack-size=262144 \
  "$objs"/*.o -o "$out.tmp"
mv "$out.tmp" "$out"
printf 'dav1d.wasm: %s bytes, %s gzip\n' "$(wc -c < "$out")" "$(gzip -9c "$out" | wc -c)"
