# Sourced by the other scripts: tool locations that never need the network.
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
# worker-build would download wasm-bindgen and wasm-opt from GitHub, which is not reachable
# here: point it at the cargo-installed CLI and at binaryen's wasm-opt from npm.
export WASM_BINDGEN_BIN="${WASM_BINDGEN_BIN:-wasm-bindgen}"
export WASM_OPT_BIN="${WASM_OPT_BIN:-$PWD/node_modules/.bin/wasm-opt}"
export WRANGLER_SEND_METRICS=false
