#!/usr/bin/env bash
# The Python package's environment, from a clone with Rust and CPython 3.10+:
# a virtualenv under target/ (kept between runs) with the pinned test
# requirements, and the native module built into it (maturin develop).
# python-test.sh runs this first; the Node conformance table's Python
# adapter (__test__/helpers/adapters.mjs) needs it too.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=target/py-venv
python=${PYTHON:-python3}
if [ ! -x "$venv/bin/python" ]; then
  "$python" -m venv "$venv"
fi
"$venv/bin/pip" install -q --disable-pip-version-check -r python/requirements-test.txt
(cd python && VIRTUAL_ENV="$PWD/../$venv" "../$venv/bin/maturin" develop -q)
