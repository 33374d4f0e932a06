#!/usr/bin/env bash
# The Python benchmarks in one command: sets up target/py-venv-bench (kept
# between runs; Python >= 3.11 for FastMCP 4) with python/requirements-bench.txt,
# installs mcp-auth-rs from a release wheel, then runs verify.py and asgi.mjs
# (unpinned, then --pin). Markdown tables on stdout, progress on stderr.
#
#   bash bench/python/run.sh [--wheel PATH] [--check] [--smoke]
#
# --wheel PATH: install this wheel instead of building one (maturin build --release).
# --check: ruff and mypy --strict on bench/python, then stop.
# --smoke: one short round of each, to see that everything runs (no figures).
# Extra arguments for the programs: VERIFY_ARGS="--rounds 7" ASGI_ARGS="--rounds 5".
set -euo pipefail
cd "$(dirname "$0")/../.."
venv=target/py-venv-bench
python=${PYTHON:-python3}
wheel=
check=0
smoke=0
while [ $# -gt 0 ]; do
  case $1 in
    --wheel) wheel=$2; shift 2 ;;
    --check) check=1; shift ;;
    --smoke) smoke=1; shift ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done

if [ ! -x "$venv/bin/python" ]; then
  "$python" -m venv "$venv"
fi
"$venv/bin/pip" install -q --disable-pip-version-check -r python/requirements-bench.txt

if [ "$check" = 1 ]; then
  "$venv/bin/ruff" check bench/python
  "$venv/bin/ruff" format --check bench/python
  # From the directory, so `common` resolves as the programs import it; MYPYPATH
  # for the tests' authserver.py, which common.py puts on sys.path at run time.
  (cd bench/python && MYPYPATH=../../python/tests "../../$venv/bin/mypy" \
    --config-file ../../python/pyproject.toml --python-version 3.11 .)
  exit 0
fi

# The package from a release build: a debug native module would measure nothing useful.
if [ -z "$wheel" ]; then
  rm -rf target/wheels-bench
  (cd python && VIRTUAL_ENV="$PWD/../$venv" nice "../$venv/bin/maturin" build --release -q \
    -o ../target/wheels-bench)
  wheel=$(ls target/wheels-bench/mcp_auth_rs-*.whl)
fi
"$venv/bin/pip" install -q --disable-pip-version-check --no-deps --force-reinstall "$wheel"
# The source tree must not shadow the installed package (a .pth from a test setup).
"$venv/bin/python" - <<'PY'
import mcp_auth_rs, sys
if "site-packages" not in mcp_auth_rs.__file__:
    sys.exit(f"mcp_auth_rs resolves to {mcp_auth_rs.__file__}, not the installed wheel")
PY

if [ "$smoke" = 1 ]; then
  VERIFY_ARGS=${VERIFY_ARGS:---rounds 1 --ops 100 --pool 4200}
  ASGI_ARGS=${ASGI_ARGS:---rounds 1 --duration 1 --warmup 0 --pool 4200}
fi
# shellcheck disable=SC2086 # word splitting of the extra arguments is intended
"$venv/bin/python" bench/python/verify.py ${VERIFY_ARGS:-}
echo
# shellcheck disable=SC2086
node bench/python/asgi.mjs --python "$venv/bin/python" ${ASGI_ARGS:-}
echo
# shellcheck disable=SC2086
node bench/python/asgi.mjs --python "$venv/bin/python" --pin ${ASGI_ARGS:-}
