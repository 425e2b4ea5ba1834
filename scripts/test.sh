#!/usr/bin/env bash
# Set up (a local .venv with the test extras) and run every check CI runs:
# content validation, ruff (lint + format), strict mypy and the whole pytest suite.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/venv.sh

# Every storage and end-to-end test also runs on a real PostgreSQL server that the tests start
# themselves (bot/offline/postgres.py): they need its binaries (initdb, pg_ctl). A fresh Debian
# machine may lack them; as root, install Debian's package (it also creates the "postgres"
# user the server runs as when the tests run as root).
ensure_postgres() {
  if [ "${NWFZ_TESTS_SQLITE_ONLY:-}" = 1 ] || command -v initdb >/dev/null \
    || compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null; then
    return
  fi
  if [ "$(id -u)" != 0 ]; then
    echo "PostgreSQL is missing (no initdb): install the postgresql package, or run" \
      "NWFZ_TESTS_SQLITE_ONLY=1 bash scripts/test.sh to skip the PostgreSQL runs" >&2
    exit 1
  fi
  echo "installing PostgreSQL for the tests ..." >&2
  export DEBIAN_FRONTEND=noninteractive
  # The package lists are fetched only when the install cannot find the package without them.
  if ! apt-get install -y -qq postgresql >/dev/null 2>&1; then
    apt-get update -qq >&2
    apt-get install -y -qq postgresql >&2
  fi
}
ensure_venv '.[test]'
.venv/bin/python -m bot check-content
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy
ensure_postgres
# Two workers, handed tests two at a time (xdist's default hands out chunks of a hundred): the
# tests marked slow come first (tests/conftest.py), so both workers share them and neither is
# left alone with a long one at the end.
.venv/bin/python -m pytest -n 2 --maxschedchunk 2 "$@"
