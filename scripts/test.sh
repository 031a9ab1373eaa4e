#!/usr/bin/env bash
# The full test suite: unit, integration and slow tests of every module.
set -euo pipefail
cd "$(dirname "$0")/.."
exec mvn -B -ntp verify "$@"
