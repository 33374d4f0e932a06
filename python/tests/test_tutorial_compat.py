"""MCP Auth's Python tutorial (the todo-manager) on this package.

``compat/server.py`` is the tutorial's server with only ``mcpauth`` changed
to ``mcp_auth_rs``: checked line by line against the seed text, then run
under uvicorn and driven by the official ``mcp`` client with tokens for two
users (``create:todos`` only) and an admin (every scope).
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest
from authserver import AuthServer
from sdkserver import call_tool, free_port, run_uvicorn

COMPAT = Path(__file__).parent / "compat"
SEEDS = Path(__file__).resolve().parents[3] / "shared" / "seeds"
RESOURCE = "http://localhost:3001"
ALL = "create:todos read:todos delete:todos"

# Lines the tutorial leaves to the reader ("other imports...", the issuer placeholder).
WRITTEN_OUT = {
    "import os",
    "from typing import Any, List, Optional",
    'issuer_url = os.environ["ISSUER"]  # Replace with your authorization server\'s issuer URL',
}


def _seed_text() -> str:
    return "\n".join(p.read_text() for p in sorted(SEEDS.glob("*.txt")))


def test_only_the_import_changed() -> None:
    seed = {line.strip() for line in _seed_text().splitlines()}
    for line in (COMPAT / "server.py").read_text().splitlines():
        text = line.strip()
        if not text or text.startswith("#") or text in WRITTEN_OUT:
            continue
        as_written = text.replace("mcp_auth_rs", "mcpauth")
        assert as_written in seed, f"not in the tutorial: {text!r}"
    # The tutorial's service.py, verbatim.
    assert (COMPAT / "service.py").read_text().strip() in _seed_text()


@pytest.fixture(scope="module")
def todo_server(issuer: AuthServer) -> Iterator[str]:
    with run_uvicorn("server:app", free_port(), {"ISSUER": issuer.issuer}, COMPAT) as url:
        yield url


def _get(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def test_metadata_and_challenge(todo_server: str, issuer: AuthServer) -> None:
    status, headers, body = _get(f"{todo_server}/.well-known/oauth-protected-resource")
    assert status == 200
    document = json.loads(body)
    assert document["resource"] == RESOURCE
    assert document["authorization_servers"] == [issuer.issuer]
    assert document["scopes_supported"] == ["create:todos", "read:todos", "delete:todos"]

    status, headers, body = _get(
        f"{todo_server}/", {"Accept": "application/json, text/event-stream"}
    )
    assert status == 401
    # DPoP is 'allowed' by default (as in the Node package): both schemes are offered.
    prm = f"{RESOURCE}/.well-known/oauth-protected-resource"
    assert headers["www-authenticate"] == (
        f'Bearer resource_metadata="{prm}", DPoP algs="RS256 RS384 RS512 PS256 PS384 PS512 '
        f'ES256 ES384 EdDSA", resource_metadata="{prm}"'
    )
    # A token for another resource: 401 invalid_token, the same challenge plus the error.
    token = issuer.token("https://elsewhere.example.com", scope=ALL)
    status, headers, _ = _get(f"{todo_server}/", {"Authorization": f"Bearer {token}"})
    assert status == 401
    assert 'error="invalid_token"' in headers["www-authenticate"]


async def _call(url: str, token: str, tool: str, arguments: dict[str, Any]) -> tuple[bool, Any]:
    failed, text = await call_tool(f"{url}/", token, tool, arguments)
    try:
        return failed, json.loads(text)
    except json.JSONDecodeError:
        return failed, text


def test_rbac_through_the_sdk_client(todo_server: str, issuer: AuthServer) -> None:
    alice = issuer.token(RESOURCE, subject="alice", scope="create:todos")
    bob = issuer.token(RESOURCE, subject="bob", scope="create:todos")
    admin = issuer.token(RESOURCE, subject="admin", scope=ALL)
    reader = issuer.token(RESOURCE, subject="carol", scope="read:todos")

    async def scenario() -> None:
        failed, created = await _call(todo_server, alice, "create_todo", {"content": "alice's"})
        assert not failed and created["ownerId"] == "alice"
        failed, _ = await _call(todo_server, bob, "create_todo", {"content": "bob's"})
        assert not failed
        # Without create:todos the tool refuses (an error result, as with mcpauth).
        failed, message = await _call(todo_server, reader, "create_todo", {"content": "no"})
        assert failed and re.search("missing_required_scopes|necessary scopes", str(message))
        # Users see their own todos; read:todos sees all.
        _, mine = await _call(todo_server, alice, "get_todos", {})
        assert [t["ownerId"] for t in mine["todos"]] == ["alice"]
        _, every = await _call(todo_server, admin, "get_todos", {})
        assert sorted(t["ownerId"] for t in every["todos"]) == ["alice", "bob"]
        # Bob cannot delete Alice's todo; the admin can.
        _, refused = await _call(todo_server, bob, "delete_todo", {"id": created["id"]})
        assert refused == {"error": "Failed to delete todo"}
        _, deleted = await _call(todo_server, admin, "delete_todo", {"id": created["id"]})
        assert deleted["details"]["id"] == created["id"]

    anyio.run(scenario)
