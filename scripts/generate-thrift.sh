#!/usr/bin/env bash
# Regenerates the Java sources of the Thrift IDL with Debian's thrift-compiler 0.17 (apt-get install
# thrift-compiler). With --check, regenerates into a temporary folder and fails if the committed sources differ.
set -euo pipefail
cd "$(dirname "$0")/.."
IDL=migration-plugin/src/main/thrift/migration.thrift
OUT=migration-plugin/src/generated/java
command -v thrift >/dev/null || { echo "thrift compiler not found: apt-get install thrift-compiler" >&2; exit 2; }
version=$(thrift --version | awk '{print $3}')
[ "$version" = "0.17.0" ] || { echo "thrift $version found; the sources are generated with 0.17.0 (libthrift 0.17.0)" >&2; exit 2; }
gen() { rm -rf "$1"; mkdir -p "$1"; thrift --gen java:generated_annotations=suppress -out "$1" "$IDL"; }
if [ "${1:-}" = "--check" ]; then
    tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
    gen "$tmp"
    if ! diff -r -q "$tmp" "$OUT" >/dev/null; then
        diff -r "$tmp" "$OUT" | head -40 >&2
        echo "generated Thrift sources are stale: run scripts/generate-thrift.sh and commit" >&2
        exit 1
    fi
    echo "generated Thrift sources are current"
else
    gen "$OUT"
    echo "regenerated $OUT"
fi
