"""``MCPAuth.fastmcp_auth`` in FastMCP 4, over HTTP with FastMCP's client.

The provider's middleware is this package's gate, so the answers on the MCP
endpoint are the core's (not FastMCP's or the SDK's), its route serves our
RFC 9728 document, and tools see the caller through ``get_access_token()``.
"""

from __future__ import annotations

import importlib.util
import json
import time
import warnings
from typing import Any

import anyio
import pytest
from authserver import AuthServer
from sdkserver import (
    assert_caller,
    assert_inactive_is_refused,
    assert_opaque_caller,
    bearer,
    get,
    opaque_answers,
    post,
)

if importlib.util.find_spec("fastmcp") is None:
    pytest.skip(
        "FastMCP 4: runs in target/py-venv-fastmcp (scripts/python-test.sh)",
        allow_module_level=True,
    )

from fastmcp import Client
from fastmcp.server.auth import AccessToken, AuthProvider, TokenVerificationError

from mcp_auth_rs import MCPAuth
from mcp_auth_rs.config import AuthServerType
from mcp_auth_rs.exceptions import MCPAuthAuthServerException
from mcp_auth_rs.types import ResourceServerConfig, ResourceServerMetadata
from mcp_auth_rs.utils import fetch_server_config

SDK_APP = "fastmcp_app"


def _mcp_auth(issuer: AuthServer, resource: str, jwks_uri: str | None = None) -> MCPAuth:
    config = fetch_server_config(issuer.issuer, AuthServerType.OIDC)
    if jwks_uri is not None:
        config = config.model_copy(
            update={"metadata": config.metadata.model_copy(update={"jwks_uri": jwks_uri})}
        )
    metadata = ResourceServerMetadata(
        resource=resource, authorization_servers=[config], scopes_supported=["read", "write"]
    )
    return MCPAuth(protected_resources=ResourceServerConfig(metadata=metadata))


async def _whoami(url: str, token: str) -> Any:
    async with Client(url, auth=token) as client:
        result = await client.call_tool("whoami", {})
        return json.loads(result.content[0].text)


def test_a_tool_sees_the_caller(sdk_app: tuple[str, str], issuer: AuthServer) -> None:
    url, resource = sdk_app
    token = issuer.token(resource, subject="alice", scope="read write")
    seen = anyio.run(_whoami, f"{url}/mcp", token)
    assert_caller(seen, "fastmcp.server.auth.auth.AccessToken", issuer.issuer, resource)


def test_the_metadata_document_is_ours(sdk_app: tuple[str, str], issuer: AuthServer) -> None:
    url, resource = sdk_app
    status, body = get(f"{url}/.well-known/oauth-protected-resource/mcp")
    assert status == 200
    expected = _mcp_auth(issuer, resource)._resolved.by_resource[resource].document  # type: ignore[union-attr]
    assert body == expected.encode()
    assert json.loads(body)["authorization_servers"] == [issuer.issuer]


def test_no_token_gets_the_cores_bare_challenge(sdk_app: tuple[str, str]) -> None:
    url, _ = sdk_app
    status, headers, _ = post(f"{url}/mcp")
    assert status == 401
    prm = f"{url}/.well-known/oauth-protected-resource/mcp"
    # DPoP is 'allowed' by default (as in the Node package): both schemes are offered.
    assert headers["www-authenticate"] == (
        f'Bearer resource_metadata="{prm}", scope="read", DPoP algs="RS256 RS384 RS512 '
        f'PS256 PS384 PS512 ES256 ES384 EdDSA", resource_metadata="{prm}", scope="read"'
    )


def test_another_audience_is_the_cores_401(sdk_app: tuple[str, str], issuer: AuthServer) -> None:
    url, _ = sdk_app
    token = issuer.token("https://elsewhere.example.com/mcp", scope="read")
    status, headers, _ = post(f"{url}/mcp", bearer(token))
    assert status == 401
    challenge = headers["www-authenticate"]
    assert challenge.startswith('Bearer error="invalid_token"')
    assert "Authentication failed" not in challenge  # FastMCP's own text


def test_a_missing_scope_is_the_cores_403(sdk_app: tuple[str, str], issuer: AuthServer) -> None:
    url, resource = sdk_app
    token = issuer.token(resource, scope="write")
    status, headers, _ = post(f"{url}/mcp", bearer(token))
    assert status == 403
    assert 'error="insufficient_scope"' in headers["www-authenticate"]
    assert 'scope="read"' in headers["www-authenticate"]


def test_bad_header_grammar_is_400(sdk_app: tuple[str, str]) -> None:
    url, _ = sdk_app
    status, _, body = post(f"{url}/mcp", {"Authorization": "Bearer a b"})
    assert status == 400
    assert json.loads(body)["error"] == "invalid_request"


def test_other_routes_stay_public(sdk_app: tuple[str, str]) -> None:
    url, _ = sdk_app
    assert get(f"{url}/health") == (200, b"ok")


def test_verify_token_directly(issuer: AuthServer) -> None:
    resource = "https://mcp.example.com/mcp"
    provider = _mcp_auth(issuer, resource).fastmcp_auth(resource)
    assert isinstance(provider, AuthProvider)

    async def verify(token: str) -> AccessToken | None:
        result: AccessToken | None = await provider.verify_token(token)
        return result

    access = anyio.run(verify, issuer.token(resource, subject="carol", scope="read"))
    assert isinstance(access, AccessToken)
    assert access.subject == "carol" and access.resource == resource
    assert access.claims["iss"] == issuer.issuer
    assert access.expires_at is not None and access.expires_at > time.time()
    assert anyio.run(verify, issuer.token("https://elsewhere.example.com")) is None


def test_the_bearer_limits_apply(issuer: AuthServer) -> None:
    resource = "https://mcp.example.com/mcp"
    token = issuer.token(resource)
    short = _mcp_auth(issuer, resource).fastmcp_auth(resource, max_token_length=len(token) - 1)

    async def verify() -> AccessToken | None:
        result: AccessToken | None = await short.verify_token(token)
        return result

    assert anyio.run(verify) is None
    with pytest.raises(MCPAuthAuthServerException) as raised:
        _mcp_auth(issuer, resource).fastmcp_auth(resource, verify_timeout=0)
    assert "`verifyTimeout` must be" in str(raised.value.cause)


def test_an_outage_raises_token_verification_error(issuer: AuthServer) -> None:
    resource = "https://mcp.example.com/mcp"
    provider = _mcp_auth(issuer, resource, "http://127.0.0.1:9/").fastmcp_auth(resource)

    async def verify() -> None:
        await provider.verify_token(issuer.token(resource))

    with pytest.raises(TokenVerificationError):
        anyio.run(verify)


def test_an_opaque_token_is_introspected(sdk_opaque_app: tuple[str, str, AuthServer]) -> None:
    url, resource, endpoint = sdk_opaque_app
    seen = anyio.run(_whoami, f"{url}/mcp", "good-alice")
    assert_opaque_caller(seen, "fastmcp.server.auth.auth.AccessToken", endpoint, resource)


def test_an_inactive_token_is_refused(sdk_opaque_app: tuple[str, str, AuthServer]) -> None:
    url, _, endpoint = sdk_opaque_app
    assert_inactive_is_refused(url, endpoint)


def test_verify_token_directly_through_introspection(endpoint: AuthServer) -> None:
    resource = "https://mcp.example.com/mcp"
    endpoint.answer = opaque_answers(endpoint, resource)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the server's metadata lacks PKCE: a warning
        config = fetch_server_config(endpoint.issuer, AuthServerType.OAUTH)
    metadata = ResourceServerMetadata(resource=resource, authorization_servers=[config])
    mcp_auth = MCPAuth(protected_resources=ResourceServerConfig(metadata=metadata))
    provider = mcp_auth.fastmcp_auth(
        resource,
        required_scopes=["read"],
        mode_or_verify="introspection",
        introspection={"client_id": "rs", "client_secret": "s3cret"},
    )

    async def verify(token: str) -> AccessToken | None:
        result: AccessToken | None = await provider.verify_token(token)
        return result

    access = anyio.run(verify, "good-carol")
    assert isinstance(access, AccessToken)
    assert access.subject == "user-of-good-carol" and access.resource == resource
    assert anyio.run(verify, "good-carol") is not None
    assert anyio.run(verify, "inactive") is None
    assert endpoint.tokens == ["good-carol", "inactive"], "the answer is cached"


def test_the_per_tool_docs_example(issuer: AuthServer) -> None:
    """docs/per-tool-authorization.md's FastMCP 4 program (the file it
    includes, examples/python-per-tool/fastmcp_server.py), run as written:
    ``auth=None`` and the middleware with ``operations`` on the MCP app."""
    from per_tool_docs_kit import call, challenge_at, run_file, serve_asgi, tool
    from sdkserver import free_port

    resource = f"http://127.0.0.1:{free_port()}/mcp"
    namespace = run_file("python-per-tool/fastmcp_server.py", issuer, resource)
    with serve_asgi(namespace["app"], lifespan="on") as served:
        url = f"{served}/mcp"
        listed = call(url, {"jsonrpc": "2.0", "id": 1, "method": "tools/list"})
        assert listed.status_code == 200
        metas = {t["name"]: t["_meta"] for t in listed.json()["result"]["tools"]}
        assert metas["search"]["securitySchemes"] == [{"type": "noauth"}]
        assert metas["whoami"]["securitySchemes"] == [{"type": "oauth2", "scopes": []}]
        found = call(url, tool("search", query="milk"))
        assert found.status_code == 200
        assert found.json()["result"]["content"][0]["text"] == "results for milk (anonymous)"
        refused = call(url, tool("whoami"))
        assert refused.status_code == 401
        bare = challenge_at(resource, "")
        assert refused.headers["www-authenticate"] == bare.replace(', scope=""', "")
        token = issuer.token(resource, subject="alice")
        me = call(url, tool("whoami"), token)
        assert me.status_code == 200 and me.json()["result"]["content"][0]["text"] == "alice"


def test_the_python_sdks_docs_example(issuer: AuthServer) -> None:
    """docs/python-sdks.md's FastMCP 4 program (``fastmcp_auth``;
    examples/python-sdks/sdk_fastmcp.py), run as written under uvicorn: the
    core's 401 and 403, then the tool."""
    from per_tool_docs_kit import check_sdk_example

    check_sdk_example("python-sdks/sdk_fastmcp.py", issuer)


def test_per_tool_oauth_end_to_end_with_the_2x_client() -> None:
    """FastMCP 4 with ``auth=None`` behind the middleware: the anonymous
    session, then OAuth on the protected call (oauth2x_kit.py)."""
    from fastmcp import FastMCP
    from oauth2x_kit import assert_per_tool_oauth, per_tool_oauth

    def build(mcp_auth: Any, bearer: Any) -> Any:
        mcp = FastMCP("per-tool-oauth")

        @mcp.tool(name="about", meta=bearer.tool_meta("about"))
        def about() -> str:
            caller = mcp_auth.auth_info
            return "anonymous" if caller is None else str(caller.subject)

        @mcp.tool(name="create-todo", meta=bearer.tool_meta("create-todo"))
        def create_todo(content: str) -> str:
            return f"{mcp_auth.auth_info.subject}: {content}"

        return mcp.http_app(path="/mcp", stateless_http=True, json_response=True)

    assert_per_tool_oauth(per_tool_oauth(build))
