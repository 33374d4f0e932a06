"""Per-tool authorization end to end with the official 2.x client's OAuth
(``OAuthClientProvider``), the demo's oidc-provider and its scripted
browser, for the mcp 2.x and FastMCP 4 environments (both have the 2.x
client and httpx2, not httpx). The caller builds the MCP server: a public
``about`` (answers the caller's subject or ``anonymous``) and a protected
``create-todo(content)`` (answers ``<subject>: <content>``)."""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import pytest
from per_tool_docs_kit import serve_asgi
from sdk_apps.common import protect
from sdkserver import free_port

from mcp_auth_rs.types import Operations

DEMO = Path(__file__).resolve().parents[2] / "examples" / "python-todo-manager"
REDIRECT_URI = "http://127.0.0.1:53682/callback"  # never contacted: the browser stops there
#: The declaration every server here uses.
OPERATIONS: Operations = {"tools": {"about": "public"}}

#: (the MCPAuth, the middleware class) → the MCP app serving ``/mcp`` (with its lifespan).
Build = Callable[[Any, Any], Any]


@dataclass(frozen=True)
class OAuthRun:
    #: Each listed tool's ``_meta``.
    metas: dict[str, Any]
    #: about's answer, then create-todo's.
    texts: list[str]
    #: (what, status) of every request the client sent, in order.
    sent: list[tuple[str, int]]
    logins: int


class _NodeAuthorizationServer:
    """authorization-server.mjs, one JSON line per command."""

    def __init__(self, node: str) -> None:
        self.process = subprocess.Popen(
            [node, str(DEMO / "authorization-server.mjs")],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.issuer: str = self._read()["issuer"]

    def _read(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        value: dict[str, Any] = json.loads(self.process.stdout.readline())
        return value

    def command(self, **command: Any) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(command) + "\n")
        self.process.stdin.flush()
        assert self._read().get("ok")

    def close(self) -> None:
        if self.process.stdin:
            self.process.stdin.close()
        self.process.wait(10)


def _browser_class() -> Any:
    """The demo's scripted browser; it speaks httpx's API, which httpx2 is here."""
    import httpx2

    sys.modules.setdefault("httpx", httpx2)
    spec = importlib.util.spec_from_file_location("demo_browser", DEMO / "browser.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.Browser


def per_tool_oauth(build: Build) -> OAuthRun:
    """One client session against the server ``build`` makes: initialize,
    tools/list, about, create-todo (401 → OAuth as account "user" → retried)."""
    node = shutil.which("node")
    if node is None or not (DEMO.parents[1] / "node_modules" / "oidc-provider").exists():
        pytest.skip("the demo's authorization server needs node and `npm install`")
    authorization = _NodeAuthorizationServer(node)
    try:
        port = free_port()
        resource = f"http://127.0.0.1:{port}/mcp"
        authorization.command(resource=resource)
        mcp_auth = protect(authorization.issuer, resource, ["create:todos"])
        bearer = mcp_auth.bearer_auth_middleware("jwt", resource=resource, operations=OPERATIONS)
        metadata = mcp_auth.resource_metadata_router()
        gated = bearer(build(mcp_auth, bearer))

        async def app(scope: Any, receive: Any, send: Any) -> None:
            if scope["type"] == "http" and scope["path"].startswith("/.well-known/"):
                await metadata(scope, receive, send)
            else:
                await gated(scope, receive, send)

        browser = _browser_class()("user", REDIRECT_URI, authorization.issuer, lambda _: None)
        with serve_asgi(app, lifespan="on", port=port) as served:
            metas, texts, sent = anyio.run(_session, f"{served}/mcp", browser, authorization.issuer)
    finally:
        authorization.close()
    return OAuthRun(metas, texts, sent, browser.logins)


async def _session(
    url: str, browser: Any, issuer: str
) -> tuple[dict[str, Any], list[str], list[tuple[str, int]]]:
    import httpx2
    from mcp import ClientSession
    from mcp.client.auth import OAuthClientProvider, TokenStorage
    from mcp.client.streamable_http import streamable_http_client
    from mcp.shared.auth import (
        AuthorizationCodeResult,
        OAuthClientInformationFull,
        OAuthClientMetadata,
        OAuthToken,
    )

    class Memory(TokenStorage):
        def __init__(self) -> None:
            self.tokens: OAuthToken | None = None
            self.client: OAuthClientInformationFull | None = None

        async def get_tokens(self) -> OAuthToken | None:
            return self.tokens

        async def set_tokens(self, tokens: OAuthToken) -> None:
            self.tokens = tokens

        async def get_client_info(self) -> OAuthClientInformationFull | None:
            return self.client

        async def set_client_info(self, client_info: OAuthClientInformationFull) -> None:
            self.client = client_info

    async def callback() -> AuthorizationCodeResult:
        code, state = await browser.callback_handler()
        return AuthorizationCodeResult(code=code, state=state, iss=issuer)

    sent: list[tuple[str, int]] = []

    async def observe(response: Any) -> None:
        request = response.request
        what = f"{request.method} {request.url.host}:{request.url.port}{request.url.path}"
        if request.url.path == "/mcp" and request.content:
            message = json.loads(request.content)
            name = message.get("params", {}).get("name", "")
            what = f"MCP {message.get('method')} {name}".rstrip()
        sent.append((what, response.status_code))

    provider = OAuthClientProvider(
        server_url=url,
        client_metadata=OAuthClientMetadata(
            client_name="per-tool e2e",
            redirect_uris=[REDIRECT_URI],  # type: ignore[list-item]
            grant_types=["authorization_code"],
            response_types=["code"],
            token_endpoint_auth_method="none",
        ),
        storage=Memory(),
        redirect_handler=browser.redirect_handler,
        callback_handler=callback,
    )
    client = httpx2.AsyncClient(auth=provider, timeout=30, event_hooks={"response": [observe]})
    texts: list[str] = []
    async with client, streamable_http_client(url, http_client=client) as streams:
        async with ClientSession(streams[0], streams[1]) as session:
            await session.initialize()
            listed = await session.list_tools()
            for name, arguments in (("about", {}), ("create-todo", {"content": "milk"})):
                result = await session.call_tool(name, arguments)
                assert not result.is_error, result
                texts.append(getattr(result.content[0], "text", ""))
    return {t.name: t.meta for t in listed.tools}, texts, sent


def assert_per_tool_oauth(run: OAuthRun) -> None:
    """Anonymous list and public call with no authorization-server traffic; the
    protected call: 401, one sign-in, the same call again: 200."""
    schemes = {name: (meta or {}).get("securitySchemes") for name, meta in run.metas.items()}
    assert schemes == {
        "about": [{"type": "noauth"}],
        "create-todo": [{"type": "oauth2", "scopes": []}],
    }
    assert run.texts == ["anonymous", "user: milk"]
    first = next(i for i, (_, status) in enumerate(run.sent) if status == 401)
    assert all(what.startswith("MCP ") for what, _ in run.sent[:first])
    assert ("MCP tools/call about", 200) in run.sent[:first]
    assert run.sent[first][0] == "MCP tools/call create-todo"
    calls = [status for what, status in run.sent if what == "MCP tools/call create-todo"]
    assert calls == [401, 200] and run.logins == 1
