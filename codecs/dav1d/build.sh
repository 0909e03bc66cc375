#!/usr/bin/env bash
# Builds dav1d (the AV1 decoder of VideoLAN, BSD-2) into a wasm module of its own for AVIF input:
# its C compiled with clang for wasm32-wasi against Debian's wasi-libc, no assembly, one thread.
# The source is Debian's pristine upstream tarball, checked against its SHA-256. Output:
# target/codecs/dav1d.wasm (skipped when it is newer than this folder's files).
set -euo pipefail
cd "$(dirname "$0")"
here=$(pwd)
source ../common.sh
version=1.5.1
out="$work/dav1d.wasm"
up_to_date "$out" && exit 0
unpack "http://deb.debian.org/debian/pool/main/d/dav1d/dav1d_${version}.orig.tar.xz" \
  401813f1f89fa8fd4295805aa5284d9aed9bc7fc1fdbe554af4292f64cbabe21 "dav1d-$version"
src="$work/dav1d-$version"
mkdir -p "$work/dav1d-gen"
printf '#define DAV1D_VERSION "%s"\n' "$version" > "$work/dav1d-gen/vcs_version.h"

cflags=(--target=wasm32-wasi --sysroot=/usr -O2 -std=c11 -D_GNU_SOURCE -DNDEBUG
  -mbulk-memory -msimd128 -fno-math-errno -ftls-model=local-exec
  -I"$here/../shim" -I"$here" -I"$work/dav1d-gen" -I"$src" -I"$src/include" -I"$src/include/dav1d")
objs="$work/dav1d-obj"
mkdir -p "$objs"
{
  for f in cdf cpu ctx data decode dequant_tables getbits intra_edge itx_1d lf_mask lib log mem msac \
           obu pal picture qm ref refmvs scan tables thread_task warpmv wedge; do
    echo "clang ${cflags[*]} -c $src/src/$f.c -o $objs/$f.o"
  done
  for bpc in 8 16; do
    for f in cdef_apply cdef fg_apply filmgrain ipred_prepare ipred itx lf_apply loopfilter \
             looprestoration lr_apply mc recon; do
      echo "clang ${cflags[*]} -DBITDEPTH=$bpc -c $src/src/${f}_tmpl.c -o $objs/${f}_$bpc.o"
    done
  done
  echo "clang ${cflags[*]} -c $here/glue.c -o $objs/glue.o"
} | in_parallel
clang "${cflags[@]}" -nostartfiles -Wl,--no-entry -Wl,--export=malloc -Wl,--export=free \
  -Wl,--strip-all -Wl,--gc-sections -Wl,-z,stack-size=262144 \
  "$objs"/*.o -o "$out.tmp"
mv "$out.tmp" "$out"
printf 'dav1d.wasm: %s bytes, %s gzip\n' "$(wc -c < "$out")" "$(gzip -9c "$out" | wc -c)"
