"""Install test driver: runs a user's server from an installed wheel (its own
virtualenv, its own working directory outside the repository) against a
loopback authorization server, and checks metadata, a 401, a 403 and a 200.

    python check.py <venv python> <server module file> [<MCP endpoint path, default />]
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from authserver import auth_server

RESOURCE = "http://127.0.0.1/mcp"


def get(
    url: str, token: str | None = None, *, body: bool = True
) -> tuple[int, dict[str, str], bytes]:
    headers = {"Accept": "application/json, text/event-stream"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=5) as r:
            # Past the gate, a GET opens the SDK's event stream: its body never ends.
            return r.status, dict(r.headers), r.read() if body else b""
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def ready(url: str) -> bool:
    try:
        return get(url)[0] == 200
    except (urllib.error.URLError, ConnectionError):
        return False


def main(python: str, server_file: str, endpoint: str = "/") -> None:
    with auth_server() as issuer, tempfile.TemporaryDirectory() as workdir:
        shutil.copy(server_file, Path(workdir) / "server.py")
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
        env.update(ISSUER=issuer.issuer, RESOURCE=RESOURCE)
        command = [
            python,
            "-m",
            "uvicorn",
            "server:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ]
        process = subprocess.Popen(command, cwd=workdir, env=env, stderr=subprocess.PIPE)
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 30
            while not ready(f"{base}/.well-known/oauth-protected-resource/mcp"):
                if process.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(process.stderr.read().decode() if process.stderr else "failed")
                time.sleep(0.2)
            where = subprocess.run(
                [python, "-c", "import mcp_auth_rs, sys; sys.stdout.write(mcp_auth_rs.__file__)"],
                cwd=workdir,
                env=env,
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            assert "site-packages" in where, f"not the installed package: {where}"
            status, _, body = get(f"{base}/.well-known/oauth-protected-resource/mcp")
            assert json.loads(body)["resource"] == RESOURCE
            status, headers, _ = get(f"{base}{endpoint}")
            assert status == 401 and "resource_metadata=" in headers["www-authenticate"], status
            status, _, _ = get(f"{base}{endpoint}", issuer.token(RESOURCE, scope="other"))
            assert status == 403, status
            accepted = issuer.token(RESOURCE, scope="read")
            status, _, _ = get(f"{base}{endpoint}", accepted, body=False)
            # Past the gate: the SDK answers a GET without a session itself (not 401/403).
            assert status not in (401, 403), status
            print(f"install check passed: {Path(server_file).name} from {where}")
        finally:
            process.terminate()
            process.wait(10)


if __name__ == "__main__":
    main(*sys.argv[1:4])
