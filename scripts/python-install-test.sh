#!/usr/bin/env bash
# Issue 22's install test: build the release wheel, install it into a fresh
# virtualenv with only the SDK it pairs with, run a user's server from the
# installed package (not the source tree), and type-check that server with
# mypy --strict against the shipped stubs. Needs the test venv of
# scripts/python-test.sh (for the driver's loopback authorization server).
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-python3}
test_venv=target/py-venv
rm -rf target/wheels
(cd python && VIRTUAL_ENV="$PWD/../$test_venv" "../$test_venv/bin/maturin" build --release -q -o ../target/wheels)
wheel=$(ls target/wheels/mcp_auth_rs-*.whl)
echo "built $(basename "$wheel")"

check() { # <name> <sdk requirement> <server file> [<endpoint>]
  local venv="$PWD/target/py-install-$1"
  rm -rf "$venv"
  "$python" -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check "$wheel" "$2" uvicorn==0.55.0 mypy==2.4.1
  "$test_venv/bin/python" python/install/check.py "$venv/bin/python" "$3" "${4:-/}"
  (cd "$(mktemp -d)" && cp "$OLDPWD/$3" server.py && "$venv/bin/mypy" --strict server.py)
}
check mcp1 "mcp==1.30.0" python/install/server_mcp1.py
check mcp2 "mcp==2.3.0" python/install/server_mcp2.py /mcp
check fastmcp "fastmcp==4.2.3" python/install/server_fastmcp.py /mcp
