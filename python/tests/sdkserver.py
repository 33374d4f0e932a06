"""What the SDK integration tests share: an MCP app under uvicorn in a
subprocess, raw HTTP requests to it, a tool call through the installed
official client (1.x or 2.x), and the cases both official SDKs must pass.

The apps (``sdk_apps/``) read the issuer and the resource from the
environment and expose one tool, ``whoami``, returning what
``get_access_token()`` shows as JSON. Each SDK test file runs in its own
virtualenv (scripts/python-test.sh), so nothing here imports an SDK at
module level: the client is imported when a call is made.
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
from contextlib import AbstractContextManager, contextmanager
from importlib import import_module
from importlib.metadata import version
from pathlib import Path
from typing import Any

import anyio
from authserver import Answerer, AuthServer

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
def run_uvicorn(app: str, port: int, env: dict[str, str], cwd: Path) -> Iterator[str]:
    """Runs ``uvicorn app`` from ``cwd`` (put on ``PYTHONPATH``) with ``env``
    added; yields ``http://127.0.0.1:<port>`` once it accepts connections."""
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", app, "--host", "127.0.0.1", "--port", str(port)],
        cwd=cwd,
        env={**os.environ, **env, "PYTHONPATH": _path_with(str(cwd))},
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


def serve(module: str, port: int, env: dict[str, str]) -> AbstractContextManager[str]:
    """Runs ``sdk_apps/<module>.py``'s ``app``; yields ``http://127.0.0.1:<port>``."""
    return run_uvicorn(f"sdk_apps.{module}:app", port, env, APPS.parent)


@contextmanager
def serve_app(module: str, issuer: str, mode: str = "jwt") -> Iterator[tuple[str, str]]:
    """``serve`` on a free port, protecting ``<url>/mcp`` for ``issuer`` with
    token mode ``mode`` (``sdk_apps/common.py``): (url, resource)."""
    port = free_port()
    resource = f"http://127.0.0.1:{port}/mcp"
    with serve(module, port, {"ISSUER": issuer, "RESOURCE": resource, "MODE": mode}) as url:
        yield url, resource


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


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def call_tool(
    url: str, token: str, tool: str, arguments: dict[str, Any] | None = None
) -> tuple[bool, str]:
    """One ``tools/call`` through the installed official client (1.x: httpx,
    2.x: httpx2) with ``token``: (whether the result is an error, its first
    text content or "")."""
    from mcp import ClientSession
    from mcp.client.streamable_http import streamable_http_client
    from mcp.types import TextContent

    http = import_module("httpx" if mcp_major() == 1 else "httpx2")
    client = http.AsyncClient(headers=bearer(token))
    # 1.x yields (read, write, session id getter), 2.x (read, write).
    async with client, streamable_http_client(url, http_client=client) as streams:
        async with ClientSession(streams[0], streams[1]) as session:
            await session.initialize()
            result = await session.call_tool(tool, arguments or {})
    first = result.content[0] if result.content else None
    failed = getattr(result, "isError" if mcp_major() == 1 else "is_error")  # renamed in 2.x
    return bool(failed), first.text if isinstance(first, TextContent) else ""


def whoami(url: str, token: str) -> Any:
    """The ``whoami`` tool's answer at ``<url>/mcp``, through the official client."""
    failed, text = anyio.run(call_tool, f"{url}/mcp", token, "whoami")
    assert not failed
    return json.loads(text)


def assert_caller(seen: dict[str, Any], kind: str, issuer: str, resource: str) -> None:
    """``whoami``'s answer for alice's token (scopes read and write) at ``resource``."""
    assert seen == {
        "type": kind,
        "client_id": "test-client",
        "subject": "alice",
        "scopes": ["read", "write"],
        "resource": resource,
        "expires_at": seen["expires_at"],
        "iss": issuer,
        "aud": resource,
        "same_token": True,
    }
    assert isinstance(seen["expires_at"], int)


def opaque_answers(endpoint: AuthServer, resource: str) -> Answerer:
    """Introspection answers for an app at ``resource``: a token starting with
    ``good-`` is active for user ``user-of-<token>`` with scopes read and write;
    any other is inactive."""

    def answer(token: str) -> dict[str, Any]:
        if token.startswith("good-"):
            return endpoint.active(aud=resource, sub=f"user-of-{token}", scope="read write")
        return {"active": False}

    return answer


def assert_opaque_caller(
    seen: dict[str, Any], kind: str, endpoint: AuthServer, resource: str
) -> None:
    """``whoami``'s answer for the opaque token ``good-alice`` (``opaque_answers``)."""
    assert seen["type"] == kind
    assert seen["subject"] == "user-of-good-alice"
    assert seen["client_id"] == "app"
    assert seen["scopes"] == ["read", "write"]
    assert seen["resource"] == resource
    assert seen["iss"] == endpoint.issuer
    # Every request of the session carried the token; the core's cache answered after the first.
    assert endpoint.tokens.count("good-alice") == 1


def assert_inactive_is_refused(url: str, endpoint: AuthServer) -> None:
    """An inactive opaque token at ``<url>/mcp`` is a 401, after asking the endpoint."""
    status, headers, _ = post(f"{url}/mcp", bearer("revoked-1"))
    assert status == 401
    assert headers["www-authenticate"].startswith('Bearer error="invalid_token"')
    assert "revoked-1" in endpoint.tokens, "the endpoint was asked"


def sdk_challenge(url: str) -> str:
    """The official SDK's challenge for a request without a token."""
    return (
        'Bearer error="invalid_token", error_description="Authentication required", '
        f'resource_metadata="{url}/.well-known/oauth-protected-resource/mcp"'
    )


class OfficialSdkCases:
    """The cases both official SDKs' apps pass (``TokenVerifier`` behind the
    SDK's own gate). A test module subclasses this as ``Test…`` and names
    its app in ``SDK_APP`` (the ``sdk_app`` and ``sdk_opaque_app`` fixtures,
    conftest.py)."""

    def test_a_tool_sees_the_caller(self, sdk_app: tuple[str, str], issuer: AuthServer) -> None:
        url, resource = sdk_app
        seen = whoami(url, issuer.token(resource, subject="alice", scope="read write"))
        assert_caller(seen, "mcp.server.auth.provider.AccessToken", issuer.issuer, resource)

    def test_no_token_gets_the_sdk_challenge(self, sdk_app: tuple[str, str]) -> None:
        url, _ = sdk_app
        status, headers, body = post(f"{url}/mcp")
        assert status == 401
        assert headers["www-authenticate"] == sdk_challenge(url)
        assert json.loads(body)["error"] == "invalid_token"

    def test_a_token_for_another_audience_is_401(
        self, sdk_app: tuple[str, str], issuer: AuthServer
    ) -> None:
        url, _ = sdk_app
        token = issuer.token("https://elsewhere.example.com/mcp", scope="read")
        status, headers, _ = post(f"{url}/mcp", bearer(token))
        assert status == 401
        assert 'error="invalid_token"' in headers["www-authenticate"]
        assert "resource_metadata=" in headers["www-authenticate"]

    def test_a_missing_scope_is_the_sdk_403(
        self, sdk_app: tuple[str, str], issuer: AuthServer
    ) -> None:
        url, resource = sdk_app
        status, headers, _ = post(f"{url}/mcp", bearer(issuer.token(resource, scope="write")))
        assert status == 403
        assert 'error="insufficient_scope"' in headers["www-authenticate"]
        assert "Required scope: read" in headers["www-authenticate"]

    def test_an_opaque_token_is_introspected(
        self, sdk_opaque_app: tuple[str, str, AuthServer]
    ) -> None:
        url, resource, endpoint = sdk_opaque_app
        seen = whoami(url, "good-alice")
        assert_opaque_caller(seen, "mcp.server.auth.provider.AccessToken", endpoint, resource)

    def test_an_inactive_token_is_refused(
        self, sdk_opaque_app: tuple[str, str, AuthServer]
    ) -> None:
        url, _, endpoint = sdk_opaque_app
        assert_inactive_is_refused(url, endpoint)
