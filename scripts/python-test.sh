#!/usr/bin/env bash
# The Python package's checks and tests, from a clone with Rust and CPython 3.10+.
# Builds a virtualenv under target/ (kept between runs), installs the pinned
# test requirements, builds the native module into it (maturin develop), then
# runs ruff, mypy --strict and pytest. pytest's summary line comes last.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=target/py-venv
python=${PYTHON:-python3}
if [ ! -x "$venv/bin/python" ]; then
  "$python" -m venv "$venv"
fi
"$venv/bin/pip" install -q --disable-pip-version-check -r python/requirements-test.txt
(cd python && VIRTUAL_ENV="$PWD/../$venv" "../$venv/bin/maturin" develop -q)
"$venv/bin/ruff" check python
"$venv/bin/ruff" format --check python
"$venv/bin/mypy" --config-file python/pyproject.toml python/src python/tests
"$venv/bin/pytest" -q python/tests "$@"
