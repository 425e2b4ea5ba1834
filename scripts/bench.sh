#!/usr/bin/env bash
# Set up (the same .venv as the tests) and run the benchmarks; prints one table.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/venv.sh
ensure_venv '.[test]'
exec .venv/bin/python -m bench "$@"
