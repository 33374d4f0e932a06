"""The native Authenticator's per-tool authorization (`operations`), called
directly as the ASGI middleware will: body refusals, anonymous passes, the
operation's flow (caller-verified and native JWT), the tool-result signal,
the descriptor helper and the option's validation by the core."""

from __future__ import annotations

import inspect
import json
from typing import Any

import pytest
from conftest import PRM, RESOURCE, Signer, accepted_fields

from mcp_auth_rs._native import Accepted, Answer, Authenticator, NativeAuthError, Verifier, Verify

ROUTE_SCOPE = "mcp:read"


def options(operations: dict[str, Any] | None, route: str = "caller") -> str:
    base: dict[str, Any] = {
        "resourceMetadataUrl": PRM,
        "requiredScopes": [ROUTE_SCOPE],
        "scopeHierarchy": [{"scope": "todos:admin", "implies": ["todos:delete"]}],
        "showErrorDetails": False,
        "maxTokenLength": 8192,
        "route": route,
    }
    if operations is not None:
        base["operations"] = operations
    return json.dumps(base)


DECLARED = {"tools": {"search": "public", "delete": ["todos:delete"]}, "maxBodyBytes": 2048}


def call(tool: str, id: object = 1) -> bytes:
    body = {"jsonrpc": "2.0", "id": id, "method": "tools/call", "params": {"name": tool}}
    return json.dumps(body).encode()


def settle(value: object) -> object:
    # Every route here answers synchronously (caller-verified, or keys prepared).
    assert not inspect.isawaitable(value)
    return value


def run(
    a: Authenticator,
    body: bytes | None,
    token: str | None = None,
    state: str = "json",
    method: str = "POST",
) -> object:
    headers = [] if token is None else ["Authorization", f"Bearer {token}"]
    return settle(a.authenticate_operation(method, "/mcp", None, headers, False, None, body, state))  # type: ignore[arg-type]


def finish(a: Authenticator, verify: Verify, scopes: list[str]) -> object:
    return settle(
        a.finish(
            verify.scheme,
            False,
            None,
            None,
            "POST",
            "/mcp",
            verify.token,
            scopes,
            operation=verify.operation,
        )
    )


def header(answer: Answer, name: str) -> str | None:
    return next((v for n, v in answer.headers if n.lower() == name.lower()), None)


def test_public_passes_anonymously_and_verifies_a_presented_token() -> None:
    a = Authenticator(options(DECLARED), None)
    assert run(a, call("search")) is None
    # GET follows initialize (public by default).
    assert run(a, None, state="none", method="GET") is None
    verify = run(a, call("search"), token="abc")
    assert isinstance(verify, Verify)
    assert isinstance(verify.operation, str)
    accepted = finish(a, verify, [])
    assert isinstance(accepted, Accepted)
    assert accepted.effective_scopes == []


def test_protected_needs_route_and_tool_scopes() -> None:
    a = Authenticator(options(DECLARED), None)
    bare = run(a, call("delete"))
    assert isinstance(bare, Answer)
    assert bare.status == 401
    assert header(bare, "WWW-Authenticate") == (
        f'Bearer resource_metadata="{PRM}", scope="{ROUTE_SCOPE} todos:delete"'
    )
    verify = run(a, call("delete"), token="abc")
    assert isinstance(verify, Verify)
    forbidden = finish(a, verify, [ROUTE_SCOPE])
    assert isinstance(forbidden, Answer) and forbidden.status == 403
    assert 'scope="mcp:read todos:delete"' in (header(forbidden, "WWW-Authenticate") or "")
    accepted = finish(a, verify, [ROUTE_SCOPE, "todos:admin"])
    assert isinstance(accepted, Accepted)
    assert accepted.effective_scopes == [ROUTE_SCOPE, "todos:admin", "todos:delete"]
    batch = b"[" + call("search") + b"," + call("delete", 2) + b"]"
    refused = run(a, batch)
    assert isinstance(refused, Answer) and refused.status == 401
    # An operation text the authenticator did not make is a 500, never a pass.
    forged = a.finish("bearer", False, None, None, "POST", "/mcp", "abc", [], operation="x.y")
    assert isinstance(forged, Answer) and forged.status == 500


@pytest.mark.parametrize(
    ("body", "state", "status", "code"),
    [
        (call("search"), "not-json", 415, -32000),
        (None, "too-large", 413, -32000),
        (b"{", "json", 400, -32700),
        (b"\xff", "json", 400, -32700),
        (b"[]", "json", 400, -32600),
        (None, "unreadable", 500, -32603),
    ],
)
def test_bodies_it_cannot_judge_are_refused(
    body: bytes | None, state: str, status: int, code: int
) -> None:
    a = Authenticator(options(DECLARED), None)
    answer = run(a, body, token="abc", state=state)
    assert isinstance(answer, Answer)
    assert answer.status == status
    assert answer.headers == [("Content-Type", "application/json")]
    sent = json.loads(answer.body)
    assert list(sent) == ["jsonrpc", "error", "id"]
    assert sent["error"]["code"] == code
    assert sent["id"] is None


def test_tool_result_signal() -> None:
    a = Authenticator(
        options({"tools": {"delete": ["todos:delete"]}, "signal": "tool-result"}), None
    )
    answer = run(a, call("delete", "req-1"))
    assert isinstance(answer, Answer)
    assert answer.status == 200
    assert answer.headers == [("Content-Type", "application/json")]
    assert json.loads(answer.body) == {
        "jsonrpc": "2.0",
        "id": "req-1",
        "result": {
            "content": [
                {
                    "type": "text",
                    "text": "Missing `Authorization` header. Please provide a valid bearer token.",
                }
            ],
            "isError": True,
            "_meta": {
                "mcp/www_authenticate": [
                    f'Bearer resource_metadata="{PRM}", scope="{ROUTE_SCOPE} todos:delete"'
                ]
            },
            "resultType": "complete",
        },
    }
    big = b'{"jsonrpc":"2.0","id":12345678901234567890,"method":"tools/call",' + (
        b'"params":{"name":"delete"}}'
    )
    answer = run(a, big)
    assert isinstance(answer, Answer)
    assert answer.body.startswith('{"jsonrpc":"2.0","id":12345678901234567890,"result":')
    verify = run(a, call("delete", 7), token="abc")
    assert isinstance(verify, Verify)
    refused = a.refuse("coded", code="invalid_token", fault="token", reason="r", used="bearer",
                       operation=verify.operation)  # fmt: skip
    assert refused.status == 200 and json.loads(refused.body)["id"] == 7


def test_native_jwt_route(auth_server: str, sign: Signer) -> None:
    verifier = Verifier(
        json.dumps(
            {
                "issuers": [{"issuer": auth_server, "jwksUri": f"{auth_server}/jwks.json?ops"}],
                "audiences": [RESOURCE],
            }
        )
    )
    verifier.prepare()  # keys fetched now: every answer below is synchronous
    a = Authenticator(options(DECLARED, route="jwt"), verifier)
    # A valid token without the route's scope still passes on a public tool.
    accepted = run(a, call("search"), token=sign(scope="other"))
    assert isinstance(accepted, str)
    assert accepted_fields(accepted)["subject"] == "user-1"
    forbidden = run(a, call("delete"), token=sign(scope=ROUTE_SCOPE))
    assert isinstance(forbidden, Answer) and forbidden.status == 403
    garbage = run(a, call("search"), token="not-a-jwt")
    assert isinstance(garbage, Answer) and garbage.status == 401
    assert garbage.error == "invalid_token"


def test_helpers_and_routes_without_operations() -> None:
    a = Authenticator(options(DECLARED), None)
    assert a.security_schemes("search") == '[{"type":"noauth"}]'
    assert (
        a.security_schemes("delete") == '[{"type":"oauth2","scopes":["mcp:read","todos:delete"]}]'
    )
    assert a.max_body_bytes() == 2048
    plain = Authenticator(options(None), None)
    assert plain.security_schemes("search") is None
    assert plain.max_body_bytes() is None
    with pytest.raises(NativeAuthError) as raised:
        run(plain, call("search"))
    assert raised.value.code == "invalid_config"


@pytest.mark.parametrize(
    ("operations", "says"),
    [
        ({"tools": {"delete": "private"}}, '`operations.tools["delete"]` must be'),
        ({"maxBodyBytes": 10}, "1024 to 67108864"),
        ({"signal": "sse"}, "`operations.signal`"),
        ({"tool": {}}, "unknown option `operations.tool`"),
    ],
)
def test_the_core_validates_the_option(operations: dict[str, Any], says: str) -> None:
    with pytest.raises(NativeAuthError) as raised:
        Authenticator(options(operations), None)
    assert raised.value.code == "invalid_config"
    assert says in str(raised.value)
