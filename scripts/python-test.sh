#!/usr/bin/env bash
# The Python package's checks and tests, from a clone with Rust and CPython 3.10+
# (3.11+ for the FastMCP environment).
# Builds a virtualenv under target/ (kept between runs), installs the pinned
# test requirements, builds the native module into it (maturin develop), then
# runs ruff and mypy --strict. Two more environments test the SDK integrations
# that cannot share it: target/py-venv-mcp2 (mcp 2.x) and target/py-venv-fastmcp
# (FastMCP 4); they reuse the one build (abi3, in python/src) through a .pth file
# and run only their own test files. The main pytest run comes last, so its
# summary line is the last line of output.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=target/py-venv
python=${PYTHON:-python3}
bash scripts/python-build.sh
demo=examples/python-todo-manager
"$venv/bin/ruff" check python "$demo"
"$venv/bin/ruff" format --check python "$demo"
"$venv/bin/mypy" --config-file python/pyproject.toml python/src python/tests python/install
# The hand-written stubs of the native module against the built module.
(cd python && "../$venv/bin/python" -m mypy.stubtest mcp_auth_rs._native --allowlist stubtest-allowlist.txt)
# With the programs docs/ includes from examples/ (mcp 2.x's and FastMCP 4's below).
"$venv/bin/mypy" --config-file python/pyproject.toml "$demo" examples/python-per-tool/mcp_server.py \
  examples/python-sdks/sdk_mcp1.py examples/python-coming-from-mcpauth/low_level.py \
  examples/quick-start/python_sdk.py examples/python-token-exchange/list_invoices.py

# extra NAME PYTEST_FILE [MYPY_FILES...]: refresh target/py-venv-NAME, type-check, test.
extra() {
  local name=$1 tests=$2 env=target/py-venv-$1
  shift 2
  if [ ! -x "$env/bin/python" ]; then
    "$python" -m venv "$env"
  fi
  "$env/bin/pip" install -q --disable-pip-version-check -r "python/requirements-$name.txt"
  local site
  site=$("$env/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
  echo "$PWD/python/src" >"$site/mcp_auth_rs_dev.pth"
  "$env/bin/mypy" --config-file python/pyproject.toml --python-version 3.11 "$tests" "$@"
  "$env/bin/pytest" -q -p no:cacheprovider "$tests"
}
extra mcp2 python/tests/test_sdk_mcp2.py python/tests/sdk_apps/mcp2_app.py examples/python-sdks/sdk_mcp2.py
extra fastmcp python/tests/test_sdk_fastmcp.py python/tests/sdk_apps/fastmcp_app.py \
  python/src/mcp_auth_rs/fastmcp.py examples/python-per-tool/fastmcp_server.py \
  examples/python-sdks/sdk_fastmcp.py

"$venv/bin/pytest" -q python/tests "$@"
