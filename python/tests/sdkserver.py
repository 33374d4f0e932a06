"""An MCP app under uvicorn in a subprocess, for the SDK integration tests.

The apps (``sdk_apps/``) read the issuer and the resource from the
environment and expose one tool, ``whoami``, returning what
``get_access_token()`` shows as JSON.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.metadata import version
from pathlib import Path
from typing import Any

from fleetkit import Answerer, IntrospectionServer

APPS = Path(__file__).parent / "sdk_apps"

#: A JSON-RPC initialize request, as a client's first POST.
INITIALIZE = json.dumps(
    {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {
            "protocolVersion": "2025-06-18",
            "capabilities": {},
            "clientInfo": {"name": "raw", "version": "0"},
        },
    }
).encode()


def mcp_major() -> int:
    """The installed ``mcp`` SDK's major version."""
    return int(version("mcp").split(".")[0])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serve(module: str, port: int, env: dict[str, str]) -> Iterator[str]:
    """Runs ``sdk_apps/<module>.py``'s ``app``; yields ``http://127.0.0.1:<port>``."""
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", f"sdk_apps.{module}:app", "--port", str(port)],
        cwd=APPS.parent,
        env={**os.environ, **env, "PYTHONPATH": _path_with(str(APPS.parent))},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        process.stderr.read().decode() if process.stderr else "no output"
                    ) from None
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(10)


def _path_with(directory: str) -> str:
    current = os.environ.get("PYTHONPATH")
    return directory + os.pathsep + current if current else directory


def post(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    """POSTs ``INITIALIZE``; (status, lower-cased headers, body)."""
    request = urllib.request.Request(
        url,
        data=INITIALIZE,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "Accept": "application/json, text/event-stream",
            **(headers or {}),
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            status, raw, body = response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        status, raw, body = error.code, error.headers, error.read()
    return status, {k.lower(): v for k, v in raw.items()}, body


def get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def opaque_answers(endpoint: IntrospectionServer, resource: str) -> Answerer:
    """Introspection answers for an app at ``resource``: a token starting with
    ``good-`` is active for user ``user-of-<token>`` with scopes read and write;
    any other is inactive."""

    def answer(token: str) -> dict[str, Any]:
        if token.startswith("good-"):
            return endpoint.active(aud=resource, sub=f"user-of-{token}", scope="read write")
        return {"active": False}

    return answer
