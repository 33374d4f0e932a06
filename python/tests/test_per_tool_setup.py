"""Per-tool authorization's setup: the ``operations`` option's checks, the
descriptor helpers (``tool_meta``, ``security_schemes``), the modes that
refuse it, and a route with several credential kinds."""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

import pytest
from authserver import AuthServer
from per_tool_kit import OPERATIONS, RESOURCE, new_auth, post, serve_gate, tool_call

from mcp_auth_rs.credential_kinds import hash_api_key
from mcp_auth_rs.exceptions import AuthServerExceptionCode, MCPAuthAuthServerException

KEY = "sk-" + "k3y" * 12


def _auth(issuer: AuthServer) -> Any:
    return new_auth(issuer, ContextVar("setup", default=None), [])


def _refused(call: Any) -> str:
    with pytest.raises(MCPAuthAuthServerException) as caught:
        call()
    assert caught.value.code == AuthServerExceptionCode.INVALID_SERVER_CONFIG
    cause = caught.value.cause
    assert isinstance(cause, dict)
    description: str = cause["error_description"]
    return description


def test_tool_meta_and_security_schemes(issuer: AuthServer) -> None:
    bearer = _auth(issuer).bearer_auth_middleware(
        "jwt", resource=RESOURCE, required_scopes=["mcp"], operations=OPERATIONS
    )
    assert bearer.tool_meta("about") == {"securitySchemes": [{"type": "noauth"}]}
    assert bearer.security_schemes("delete-todo") == [
        {"type": "oauth2", "scopes": ["mcp", "todos:delete"]}
    ]
    assert bearer.security_schemes("whoami") == [{"type": "oauth2", "scopes": ["mcp"]}]
    # An undeclared tool tells the truth: `default` (protected).
    assert bearer.security_schemes("forgotten") == [{"type": "oauth2", "scopes": ["mcp"]}]
    public_default = _auth(issuer).bearer_auth_middleware(
        "jwt", resource=RESOURCE, operations={"default": "public"}
    )
    assert public_default.tool_meta("forgotten") == {"securitySchemes": [{"type": "noauth"}]}


def test_the_helpers_need_operations(issuer: AuthServer) -> None:
    bearer = _auth(issuer).bearer_auth_middleware("jwt", resource=RESOURCE)
    assert "operations" in _refused(lambda: bearer.tool_meta("about"))


@pytest.mark.parametrize(
    ("operations", "named"),
    [
        ("public", "`operations`"),
        ({"maxBodyBytes": 4096}, "operations.maxBodyBytes"),
        ({"tool": {}}, "operations.tool"),
        ({"max_body_bytes": 10}, "max"),
        ({"max_body_bytes": float("nan")}, "operations"),
        ({"signal": "header"}, "signal"),
        ({"tools": {"": "public"}}, "tools"),
        ({"tools": {"a": "open"}}, "tools"),
        ({"tools": {"a": ["bad scope"]}}, "tools"),
    ],
)
def test_a_bad_declaration_is_refused_at_setup(
    issuer: AuthServer, operations: Any, named: str
) -> None:
    mcp_auth = _auth(issuer)
    description = _refused(
        lambda: mcp_auth.bearer_auth_middleware("jwt", resource=RESOURCE, operations=operations)
    )
    assert named in description


def test_the_sdk_modes_refuse_operations(issuer: AuthServer) -> None:
    mcp_auth = _auth(issuer)
    for refusal in (
        lambda: mcp_auth.token_verifier(RESOURCE, operations={"tools": {"a": "public"}}),
        lambda: mcp_auth.fastmcp_auth(RESOURCE, operations={"tools": {"a": "public"}}),
    ):
        description = _refused(refusal)
        assert "`operations`" in description and "bearer_auth_middleware" in description


def test_without_operations_the_body_is_left_alone(issuer: AuthServer) -> None:
    # No body rule applies: text/plain and any size reach the app (it reads the body itself).
    with serve_gate(issuer, operations=None, required_scopes=None) as plain:
        token = issuer.token(RESOURCE, subject="gina")
        body = b"x" * 10_000
        response = post(plain, body, token=token, headers={"Content-Type": "text/plain"})
        assert response.status_code == 200
        assert plain.seen == [{"subject": "gina", "state_auth": True, "body": body}]
        assert post(plain, tool_call("about")).status_code == 401


def test_a_route_with_several_credential_kinds(issuer: AuthServer) -> None:
    verifiers: list[Any] = [
        {"mode": "jwt"},
        {
            "mode": "api_key",
            "name": "service",
            "prefix": "sk-",
            "keys": [{"hash": hash_api_key(KEY), "subject": "svc", "scopes": ["mcp"]}],
        },
    ]
    with serve_gate(issuer, verifiers) as routed:
        assert post(routed, tool_call("about")).status_code == 200
        assert routed.seen[-1]["subject"] is None
        assert post(routed, tool_call("whoami")).status_code == 401
        assert post(routed, tool_call("whoami"), token=KEY).status_code == 200
        assert routed.seen[-1]["subject"] == "svc"
        assert post(routed, tool_call("delete-todo"), token=KEY).status_code == 403
        assert post(routed, tool_call("about"), token="sk-wrong").status_code == 401
        assert routed.bearer.security_schemes("about") == [{"type": "noauth"}]
