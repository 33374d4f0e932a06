"""``MCPAuth.token_verifier`` in the official SDK 2.x's MCPServer, over HTTP with its client."""

from __future__ import annotations

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


def test_per_tool_oauth_end_to_end_with_the_2x_client() -> None:
    """An anonymous session lists the tools and calls the public one; its
    protected call gets 401, the 2.x OAuthClientProvider signs in against
    the demo's oidc-provider, and the call is retried in the session."""
    from mcp.server.mcpserver import MCPServer
    from oauth2x_kit import assert_per_tool_oauth, per_tool_oauth

    def build(mcp_auth: Any, bearer: Any) -> Any:
        server = MCPServer("per-tool-oauth")

        @server.tool(name="about", meta=bearer.tool_meta("about"))
        def about() -> str:
            caller = mcp_auth.auth_info
            return "anonymous" if caller is None else str(caller.subject)

        @server.tool(name="create-todo", meta=bearer.tool_meta("create-todo"))
        def create_todo(content: str) -> str:
            return f"{mcp_auth.auth_info.subject}: {content}"

        return server.streamable_http_app(stateless_http=True, json_response=True)

    assert_per_tool_oauth(per_tool_oauth(build))


def test_the_python_sdks_docs_example(issuer: AuthServer) -> None:
    """docs/python-sdks.md's mcp 2.x program (``MCPServer`` with
    ``token_verifier``; examples/python-sdks/sdk_mcp2.py), run as written
    under uvicorn."""
    from per_tool_docs_kit import check_sdk_example

    check_sdk_example("python-sdks/sdk_mcp2.py", issuer)
