#!/usr/bin/env bash
# Set up (a local .venv) and run the bot: the real bot when BOT_TOKEN is set (in the environment
# or in .env), otherwise the offline terminal demo. Extra arguments go to `python -m bot`.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/venv.sh
ensure_venv .
if [ "$#" -gt 0 ]; then
  exec .venv/bin/python -m bot "$@"
fi
if [ -n "${BOT_TOKEN:-}" ] || grep -qs '^BOT_TOKEN=.\+' .env; then
  mkdir -p data
  exec .venv/bin/python -m bot run
fi
echo "BOT_TOKEN is not set: starting the offline demo (python -m bot demo)." >&2
exec .venv/bin/python -m bot demo
