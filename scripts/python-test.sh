#!/usr/bin/env bash
# The Python package's checks and tests, from a clone with Rust and CPython 3.10+.
# Builds (or refreshes) the virtualenv and native module (python-build.sh),
# then runs ruff, mypy --strict and pytest. pytest's summary line comes last.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=target/py-venv
bash scripts/python-build.sh
"$venv/bin/ruff" check python
"$venv/bin/ruff" format --check python
"$venv/bin/mypy" --config-file python/pyproject.toml python/src python/tests python/install
"$venv/bin/pytest" -q python/tests "$@"
