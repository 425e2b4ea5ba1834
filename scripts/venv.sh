# Sourced by run.sh, test.sh and bench.sh (from the project root): make .venv once with
# $PYTHON (default python3) and install the project into it; $1 is what to install,
# "." or ".[test]". pip's own output goes to stderr, so a script's stdout stays its own.
ensure_venv() {
  if [ ! -x .venv/bin/python ]; then
    "${PYTHON:-python3}" -m venv .venv
  fi
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -e "$1" >&2
}
