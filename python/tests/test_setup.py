"""``MCPAuth``'s setup checks: every refusal is mcpauth's ``invalid_server_config``
with a reason in ``cause``, raised at construction or when a middleware is made."""

from __future__ import annotations

from typing import Any

import pytest

from mcp_auth_rs import MCPAuth
from mcp_auth_rs.config import AuthorizationServerMetadata, AuthServerConfig, AuthServerType
from mcp_auth_rs.exceptions import AuthServerExceptionCode, MCPAuthAuthServerException
from mcp_auth_rs.types import ResourceServerConfig, ResourceServerMetadata

ISSUER = "https://as.example.com"


def server(issuer: str = ISSUER, **extra: Any) -> AuthServerConfig:
    fields: dict[str, Any] = {
        "issuer": issuer,
        "authorization_endpoint": f"{issuer}/authorize",
        "token_endpoint": f"{issuer}/token",
        "response_types_supported": ["code"],
        "code_challenge_methods_supported": ["S256"],
        "registration_endpoint": f"{issuer}/register",
        "jwks_uri": f"{issuer}/jwks",
    }
    fields.update(extra)
    return AuthServerConfig(
        type=AuthServerType.OIDC, metadata=AuthorizationServerMetadata.model_validate(fields)
    )


def resource(
    url: str = "https://mcp.example.com/mcp", *servers: AuthServerConfig
) -> ResourceServerConfig:
    return ResourceServerConfig(
        metadata=ResourceServerMetadata(
            resource=url, authorization_servers=list(servers or [server()])
        )
    )


def refusal(build: Any) -> str:
    with pytest.raises(MCPAuthAuthServerException) as caught:
        build()
    assert caught.value.code == AuthServerExceptionCode.INVALID_SERVER_CONFIG
    cause = caught.value.cause
    assert isinstance(cause, dict)
    return str(cause["error_description"])


def test_configuration_refusals() -> None:
    assert "not both" in refusal(lambda: MCPAuth(server=server(), protected_resources=resource()))
    assert "must be provided" in refusal(lambda: MCPAuth())
    assert "duplicated" in refusal(lambda: MCPAuth(protected_resources=[resource(), resource()]))
    twice = resource("https://mcp.example.com/mcp", server(), server())
    assert "duplicated" in refusal(lambda: MCPAuth(protected_resources=twice))
    # http is for loopback only; the reason is the core's, naming no secret.
    assert "https" in refusal(
        lambda: MCPAuth(protected_resources=resource("http://mcp.example.com/mcp"))
    )
    implicit_only = server(response_types_supported=["token"])
    reason = refusal(
        lambda: MCPAuth(protected_resources=resource("https://mcp.example.com/mcp", implicit_only))
    )
    assert "code_response_type_not_supported" in reason


def test_middleware_refusals() -> None:
    mcp_auth = MCPAuth(protected_resources=resource())
    assert "`resource` must be specified" in refusal(lambda: mcp_auth.bearer_auth_middleware("jwt"))
    assert "not configured" in refusal(
        lambda: mcp_auth.bearer_auth_middleware("jwt", resource="https://other.example.com/")
    )
    with pytest.raises(ValueError, match="mode_or_verify"):
        mcp_auth.bearer_auth_middleware("introspect", resource="https://mcp.example.com/mcp")  # type: ignore[arg-type]
    # The core judges jwt_verify's values and names the option, never the value.
    reason = refusal(
        lambda: mcp_auth.bearer_auth_middleware(
            "jwt", resource="https://mcp.example.com/mcp", jwt_verify={"clock_tolerance": 10_000}
        )
    )
    assert "clockTolerance" in reason


def test_metadata_document_comes_from_the_core() -> None:
    mcp_auth = MCPAuth(protected_resources=resource())
    routes = mcp_auth.resource_metadata_router().routes
    assert [getattr(r, "path", None) for r in routes] == [
        "/.well-known/oauth-protected-resource/mcp"
    ]
