# Shared by codecs/*/build.sh (sourced after `here` is set to the codec's folder): where the
# builds go, whether a module is up to date, and the upstream source fetched and checked.
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# Debian's tools only: clang runs any `wasm-opt` it finds on PATH after linking, and the one
# scripts/env.sh puts there (binaryen, for the Rust worker) rejects these modules' SIMD unless told.
export PATH=/usr/bin:/bin
work="$root/target/codecs"
mkdir -p "$work"

# up_to_date OUT: OUT exists and nothing it is built from here (the codec's folder, the shims,
# this file) is newer.
up_to_date() {
  [ -f "$1" ] && [ -z "$(find "$here" "$root/codecs/shim" "$root/codecs/common.sh" -newer "$1" -type f)" ]
}

# unpack URL SHA256 DIR: downloads the tarball once (Debian's pristine copy of the upstream
# release), refuses it unless its SHA-256 matches, and unpacks it to $work/DIR.
unpack() {
  local url=$1 sha256=$2 dir=$3 tarball="$work/$(basename "$1")"
  if [ ! -f "$tarball" ] || ! echo "$sha256  $tarball" | sha256sum -c --status; then
    curl -sSfL -o "$tarball.part" "$url"
    echo "$sha256  $tarball.part" | sha256sum -c --status || { echo "$(basename "$url"): checksum mismatch" >&2; exit 1; }
    mv "$tarball.part" "$tarball"
  fi
  [ -d "$work/$dir" ] || tar -xf "$tarball" -C "$work"
}

# in_parallel: runs each line of stdin as a command, four at a time (2-core machines; clang
# is CPU-bound), and fails if any does.
in_parallel() {
  xargs -P 4 -I{} bash -c '{}'
}
