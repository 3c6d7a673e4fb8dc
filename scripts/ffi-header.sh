#!/usr/bin/env bash
# Regenerates ffi/include/rfc6455.h from ffi/capi/src with cbindgen (ffi/cbindgen.toml).
#   scripts/ffi-header.sh           rewrite the header
#   scripts/ffi-header.sh --check   fail if the committed header differs from a fresh one
# Installs cbindgen (cargo install --locked) if it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
. "$HOME/.cargo/env" 2>/dev/null || true
command -v cbindgen >/dev/null || cargo install --locked cbindgen
out=ffi/include/rfc6455.h
if [[ ${1:-} == --check ]]; then
  fresh=$(mktemp)
  trap 'rm -f "$fresh"' EXIT
  (cd ffi/capi && cbindgen --quiet --config ../cbindgen.toml --crate rfc6455-capi --output "$fresh")
  if ! diff -u "$out" "$fresh"; then
    echo "ffi/include/rfc6455.h is stale: run scripts/ffi-header.sh and commit it" >&2
    exit 1
  fi
  echo "ffi header up to date"
else
  (cd ffi/capi && cbindgen --quiet --config ../cbindgen.toml --crate rfc6455-capi --output ../include/rfc6455.h)
  echo "wrote $out"
fi
