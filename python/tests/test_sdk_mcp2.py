"""``MCPAuth.token_verifier`` in the official SDK 2.x's MCPServer, over HTTP with its client."""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import anyio
import pytest
from authserver import AuthServer
from sdkserver import OfficialSdkCases, mcp_major

if mcp_major() != 2:
    pytest.skip(
        "mcp 2.x: runs in target/py-venv-mcp2 (scripts/python-test.sh)", allow_module_level=True
    )

SDK_APP = "mcp2_app"


class TestSdk2(OfficialSdkCases):
    """The shared cases (sdkserver.py) on the 2.x app; 2.x binds sessions to
    (client_id, claims["iss"], subject), which the caller case checks."""


def test_per_tool_authorization_with_the_official_client(issuer: AuthServer) -> None:
    """``operations`` on the 2.x MCPServer (no SDK auth) with the 2.x client:
    an anonymous session lists the tools (``_meta.securitySchemes``) and
    calls the public one; the protected one needs a token."""
    import httpx2
    from mcp import ClientSession
    from mcp.client.streamable_http import streamable_http_client
    from mcp.server.mcpserver import MCPServer
    from per_tool_docs_kit import call, challenge_at, serve_asgi, tool
    from sdk_apps.common import protect
    from sdkserver import free_port

    resource = f"http://127.0.0.1:{free_port()}/mcp"
    mcp_auth = protect(issuer.issuer, resource, ["read"])
    bearer = mcp_auth.bearer_auth_middleware(
        "jwt", resource=resource, operations={"tools": {"search": "public", "whoami": ["read"]}}
    )
    server = MCPServer("per-tool")

    @server.tool(meta=bearer.tool_meta("search"))
    def search(query: str) -> str:
        caller = mcp_auth.auth_info
        return f"{query}: {'anonymous' if caller is None else caller.subject}"

    @server.tool(meta=bearer.tool_meta("whoami"))
    def whoami() -> str:
        caller = mcp_auth.auth_info
        assert caller is not None
        return caller.subject

    app = bearer(server.streamable_http_app(stateless_http=True, json_response=True))

    async def session(url: str, token: str | None, name: str) -> tuple[dict[str, Any], str]:
        headers = {} if token is None else {"Authorization": f"Bearer {token}"}
        client = httpx2.AsyncClient(headers=headers)
        async with client, streamable_http_client(url, http_client=client) as streams:
            async with ClientSession(streams[0], streams[1]) as opened:
                await opened.initialize()
                listed = await opened.list_tools()
                result = await opened.call_tool(name, {"query": "milk"} if name == "search" else {})
        metas = {t.name: t.meta for t in listed.tools}
        assert not result.is_error
        return metas, getattr(result.content[0], "text", "")

    with serve_asgi(app, lifespan="on") as served:
        url = f"{served}/mcp"
        metas, text = anyio.run(session, url, None, "search")
        assert metas == {
            "search": {"securitySchemes": [{"type": "noauth"}]},
            "whoami": {"securitySchemes": [{"type": "oauth2", "scopes": ["read"]}]},
        }
        assert text == "milk: anonymous"
        refused = call(url, tool("whoami"))
        assert refused.status_code == 401
        assert refused.headers["www-authenticate"] == challenge_at(resource, "read")
        token = issuer.token(resource, subject="alice", scope="read")
        assert anyio.run(session, url, token, "whoami")[1] == "alice"
        assert anyio.run(session, url, token, "search")[1] == "milk: alice"


DEMO = Path(__file__).resolve().parents[2] / "examples" / "python-todo-manager"


class _NodeAuthorizationServer:
    """The demo's oidc-provider (authorization-server.mjs), one JSON line per command."""

    def __init__(self, node: str) -> None:
        self.process = subprocess.Popen(
            [node, str(DEMO / "authorization-server.mjs")],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.issuer: str = self.read()["issuer"]

    def read(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        value: dict[str, Any] = json.loads(self.process.stdout.readline())
        return value

    def command(self, **command: Any) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(command) + "\n")
        self.process.stdin.flush()
        assert self.read().get("ok")

    def close(self) -> None:
        if self.process.stdin:
            self.process.stdin.close()
        self.process.wait(10)


def test_per_tool_oauth_end_to_end_with_the_2x_client() -> None:
    """mcp 2.x: an anonymous session lists the tools and calls the public one
    (no authorization-server traffic); its protected call gets 401, the 2.x
    ``OAuthClientProvider`` runs OAuth against the demo's oidc-provider, and
    the call is retried in the same session and succeeds."""
    node = shutil.which("node")
    if node is None or not (DEMO.parents[1] / "node_modules" / "oidc-provider").exists():
        pytest.skip("the demo's authorization server needs node and `npm install`")
    import httpx2
    from mcp import ClientSession
    from mcp.client.auth import OAuthClientProvider, TokenStorage
    from mcp.client.streamable_http import streamable_http_client
    from mcp.server.mcpserver import MCPServer
    from mcp.shared.auth import (
        AuthorizationCodeResult,
        OAuthClientInformationFull,
        OAuthClientMetadata,
        OAuthToken,
    )
    from per_tool_docs_kit import serve_asgi
    from sdk_apps.common import protect
    from sdkserver import free_port

    # The demo's scripted browser speaks httpx's API; httpx2 is that API here.
    sys.modules.setdefault("httpx", httpx2)
    spec = importlib.util.spec_from_file_location("demo_browser", DEMO / "browser.py")
    assert spec is not None and spec.loader is not None
    browsing = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(browsing)
    Browser: Any = browsing.Browser

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

    authorization = _NodeAuthorizationServer(node)
    try:
        port = free_port()
        resource = f"http://127.0.0.1:{port}/mcp"
        authorization.command(resource=resource)
        mcp_auth = protect(authorization.issuer, resource, ["create:todos"])
        bearer = mcp_auth.bearer_auth_middleware(
            "jwt", resource=resource, operations={"tools": {"about": "public"}}
        )
        server = MCPServer("per-tool-oauth")

        @server.tool(name="about", meta=bearer.tool_meta("about"))
        def about() -> str:
            caller = mcp_auth.auth_info
            return "anonymous" if caller is None else caller.subject

        @server.tool(name="create-todo", meta=bearer.tool_meta("create-todo"))
        def create_todo(content: str) -> str:
            caller = mcp_auth.auth_info
            assert caller is not None
            return f"{caller.subject}: {content}"

        metadata = mcp_auth.resource_metadata_router()
        gated = bearer(server.streamable_http_app(stateless_http=True, json_response=True))

        async def app(scope: Any, receive: Any, send: Any) -> None:
            if scope["type"] == "http" and scope["path"].startswith("/.well-known/"):
                await metadata(scope, receive, send)
            else:
                await gated(scope, receive, send)

        redirect_uri = "http://127.0.0.1:53682/callback"
        browser = Browser("user", redirect_uri, authorization.issuer, lambda line: None)

        async def callback() -> AuthorizationCodeResult:
            code, state = await browser.callback_handler()
            return AuthorizationCodeResult(code=code, state=state, iss=authorization.issuer)

        sent: list[tuple[str, int]] = []

        async def observe(response: Any) -> None:
            request = response.request
            what = f"{request.method} {request.url.host}:{request.url.port}{request.url.path}"
            if request.url.path == "/mcp" and request.content:
                message = json.loads(request.content)
                name = message.get("params", {}).get("name", "")
                what = f"MCP {message.get('method')} {name}".rstrip()
            sent.append((what, response.status_code))

        async def session(url: str) -> tuple[dict[str, Any], list[str]]:
            provider = OAuthClientProvider(
                server_url=url,
                client_metadata=OAuthClientMetadata(
                    client_name="per-tool e2e",
                    redirect_uris=[redirect_uri],  # type: ignore[list-item]
                    grant_types=["authorization_code"],
                    response_types=["code"],
                    token_endpoint_auth_method="none",
                ),
                storage=Memory(),
                redirect_handler=browser.redirect_handler,
                callback_handler=callback,
            )
            client = httpx2.AsyncClient(
                auth=provider, timeout=30, event_hooks={"response": [observe]}
            )
            texts: list[str] = []
            async with client, streamable_http_client(url, http_client=client) as streams:
                async with ClientSession(streams[0], streams[1]) as opened:
                    await opened.initialize()
                    listed = await opened.list_tools()
                    for name, arguments in (("about", {}), ("create-todo", {"content": "milk"})):
                        result = await opened.call_tool(name, arguments)
                        assert not result.is_error
                        texts.append(getattr(result.content[0], "text", ""))
            return {t.name: t.meta for t in listed.tools}, texts

        with serve_asgi(app, lifespan="on", port=port) as served:
            metas, texts = anyio.run(session, f"{served}/mcp")
    finally:
        authorization.close()
    assert metas == {
        "about": {"securitySchemes": [{"type": "noauth"}]},
        "create-todo": {"securitySchemes": [{"type": "oauth2", "scopes": []}]},
    }
    assert texts == ["anonymous", "user: milk"]
    first = next(i for i, (_, status) in enumerate(sent) if status == 401)
    # Before the first 401: MCP requests only, no authorization-server traffic.
    assert all(what.startswith("MCP ") for what, _ in sent[:first])
    assert ("MCP tools/call about", 200) in sent[:first]
    assert sent[first][0] == "MCP tools/call create-todo"
    calls = [status for what, status in sent if what == "MCP tools/call create-todo"]
    assert calls == [401, 200] and browser.logins == 1
