"""``MCPAuth.require_scopes``: a tool's scope demand becomes the core's 403 step-up.

In process (httpx's ASGI transport) on the SDK 1.x's FastMCP, then over
uvicorn with the official client. The demo (test_demo.py) runs the whole
step-up with the client's OAuth provider and a real authorization server.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import anyio
import httpx
import pytest
from authserver import AuthServer
from sdkserver import call_tool, mcp_major, serve_app

if mcp_major() != 1:
    pytest.skip("mcp 1.x: runs in target/py-venv (scripts/python-test.sh)", allow_module_level=True)

from sdk_apps.step_up_app import build

from mcp_auth_rs._step_up import Demand, current_demand, require_scopes
from mcp_auth_rs.exceptions import BearerAuthExceptionCode, MCPAuthBearerAuthException
from mcp_auth_rs.types import AuthInfo

RESOURCE = "http://127.0.0.1:9/mcp"
PRM = "http://127.0.0.1:9/.well-known/oauth-protected-resource/mcp"
ACCEPT = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}


def _call(tool: str, arguments: dict[str, Any]) -> dict[str, Any]:
    params = {"name": tool, "arguments": arguments}
    return {"jsonrpc": "2.0", "id": 7, "method": "tools/call", "params": params}


def _post(issuer: AuthServer, scope: str, tool: str, *, json_response: bool = True) -> Any:
    app = build(issuer.issuer, RESOURCE, json_response=json_response)
    token = issuer.token(RESOURCE, scope=scope)

    async def run() -> httpx.Response:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:9") as c:
                return await c.post(
                    "/mcp/",
                    json=_call(tool, {"id": "a"} if tool == "remove" else {}),
                    headers={**ACCEPT, "Authorization": f"Bearer {token}"},
                )

    return anyio.run(run)


def test_a_missing_scope_in_a_tool_is_the_core_403(issuer: AuthServer) -> None:
    response = _post(issuer, "read", "remove")
    assert response.status_code == 403
    # The core's step-up challenge: `scope` names what the tool demanded, so the
    # client asks for exactly that; the tool's reason is the error_description.
    # The resource takes DPoP too (the default, 'allowed'): its challenge follows.
    assert response.headers["www-authenticate"] == (
        'Bearer error="insufficient_scope", error_description="Deleting needs read and delete", '
        f'resource_metadata="{PRM}", scope="delete", '
        'DPoP algs="RS256 RS384 RS512 PS256 PS384 PS512 ES256 ES384 EdDSA", '
        f'resource_metadata="{PRM}", scope="delete"'
    )
    assert response.json() == {
        "error": "insufficient_scope",
        "error_description": "Deleting needs read and delete",
        "missing_scopes": ["delete"],
    }
    assert response.headers["content-length"] == str(len(response.content))
    assert "WWW-Authenticate" in response.headers["access-control-expose-headers"]


def test_every_missing_scope_is_named(issuer: AuthServer) -> None:
    response = _post(issuer, "", "remove")
    assert response.status_code == 403
    challenge = response.headers["www-authenticate"]
    assert 'error="insufficient_scope"' in challenge and 'scope="read delete"' in challenge
    assert response.json()["missing_scopes"] == ["read", "delete"]


def test_granted_scopes_pass_through(issuer: AuthServer) -> None:
    response = _post(issuer, "read delete", "remove")
    assert response.status_code == 200
    result = response.json()["result"]
    assert not result["isError"] and result["content"][0]["text"] == "removed a"


def test_other_tools_are_unaffected(issuer: AuthServer) -> None:
    response = _post(issuer, "", "peek")
    assert response.status_code == 200
    assert response.json()["result"]["content"][0]["text"] == "ok"


def test_an_event_stream_has_started_so_the_tool_error_stays(issuer: AuthServer) -> None:
    response = _post(issuer, "read", "remove", json_response=False)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    data = next(line for line in response.text.splitlines() if line.startswith("data: "))
    result = json.loads(data[len("data: ") :])["result"]
    assert result["isError"]
    assert "Deleting needs read and delete" in result["content"][0]["text"]


def _auth(scopes: list[str], effective: list[str] | None = None) -> AuthInfo:
    return AuthInfo(
        token="t",
        issuer="https://as.example.com",
        scopes=scopes,
        subject="u",
        client_id="c",
        audience=None,
        expires_at=None,
        claims={},
        effective_scopes=effective,
    )


def test_require_scopes_records_only_while_the_response_can_change() -> None:
    demand = Demand()
    token = current_demand.set(demand)
    try:
        with pytest.raises(MCPAuthBearerAuthException) as raised:
            require_scopes(_auth(["a"]), ["a", "b", "b"])
        assert raised.value.code == BearerAuthExceptionCode.MISSING_REQUIRED_SCOPES
        assert raised.value.cause is not None and raised.value.cause.missing_scopes == ["b"]
        assert demand.missing == ["b"]
        demand.started = True
        with pytest.raises(MCPAuthBearerAuthException, match="custom"):
            require_scopes(_auth([]), ["c"], "custom")
        assert demand.missing == ["b"]
    finally:
        current_demand.reset(token)


def test_effective_scopes_count_and_no_request_records_nothing() -> None:
    require_scopes(_auth(["admin"], effective=["admin", "read"]), ["read"])
    with pytest.raises(MCPAuthBearerAuthException):
        require_scopes(_auth(["read"], effective=["admin"]), ["read"])
    with pytest.raises(MCPAuthBearerAuthException):
        require_scopes(None, ["read"])  # outside a request: raises, records nothing


@pytest.fixture(scope="module")
def served(issuer: AuthServer) -> Iterator[tuple[str, str]]:
    with serve_app("step_up_app", issuer.issuer) as (url, resource):
        yield f"{url}/mcp/", resource


def test_the_official_client_gets_the_403_over_http(
    served: tuple[str, str], issuer: AuthServer
) -> None:
    url, resource = served
    # Without an OAuth provider the client cannot step up: the 403 ends its call.
    with pytest.raises(BaseException) as raised:
        anyio.run(call_tool, url, issuer.token(resource, scope="read"), "remove", {"id": "a"})
    failures = [e for e in _leaves(raised.value) if isinstance(e, httpx.HTTPStatusError)]
    assert [e.response.status_code for e in failures] == [403]
    token = issuer.token(resource, scope="read delete")
    failed, text = anyio.run(call_tool, url, token, "remove", {"id": "a"})
    assert text == "removed a" and not failed


def _leaves(error: BaseException) -> list[BaseException]:
    """The exceptions inside (nested) exception groups (3.10: anyio's backport)."""
    inner = getattr(error, "exceptions", None)
    if inner is None:
        return [error]
    return [leaf for e in inner for leaf in _leaves(e)]
