"""`npm run demo:python` (examples/python-todo-manager/demo.py) runs and its checks pass.

The demo drives the official client's OAuth flow, RBAC and the 403 step-up
against the embedded authorization server (Node's oidc-provider, from
`npm install`), so CI runs the whole flow through the test suite. Its first
session is per-tool authorization end to end: anonymous initialize,
tools/list (descriptors with `_meta.securitySchemes`) and a call of the
public tool with no authorization-server traffic, then a protected call:
401, OAuth, and the call retried in the same session.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from sdkserver import mcp_major

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "examples" / "python-todo-manager" / "demo.py"

if mcp_major() != 1:
    pytest.skip("the demo's server is on mcp 1.x (target/py-venv)", allow_module_level=True)
if shutil.which("node") is None or not (ROOT / "node_modules" / "oidc-provider").exists():
    pytest.skip(
        "the demo's authorization server needs node and `npm install`", allow_module_level=True
    )


def test_the_demo_passes_every_check() -> None:
    done = subprocess.run(
        [sys.executable, str(DEMO)], capture_output=True, text=True, timeout=180, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert lines[-1].startswith("All 20 checks passed"), done.stdout
    # Per-tool authorization: the public tool answered before any sign-in.
    assert "tools/list without a token; each descriptor has _meta.securitySchemes" in done.stdout
    anonymous = done.stdout.split("about (no token)", 1)
    assert len(anonymous) == 2 and "'signedInAs': None" in anonymous[1].splitlines()[0]
    assert "browser →" not in anonymous[0]
    assert "create-todo without a token: 401 with a resource_metadata challenge" in done.stdout
    assert not any(line.lstrip().startswith("✘") for line in lines)
    # The step-up happened both ways: refused by the account policy, then granted.
    assert 'scope="delete:todos"' in done.stdout
    assert "the step-up was refused (access_denied)" in done.stdout
    assert "the retried call deletes admin's todo" in done.stdout
    assert "Bearer " in done.stdout and "eyJ" not in done.stdout  # challenges shown, no token
