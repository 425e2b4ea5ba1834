#!/usr/bin/env bash
# Set up (a local .venv with the test extras) and run every check CI runs:
# content validation, ruff (lint + format), strict mypy and the whole pytest suite.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/venv.sh
ensure_venv '.[test]'
.venv/bin/python -m bot check-content
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy
.venv/bin/python -m pytest -n 2 "$@"
