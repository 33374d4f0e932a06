"""Every mcpauth name the seed tutorial imports (research notes §2) imports from
mcp_auth_rs, with the tutorial's import lines and only the package renamed.
`MCPAuth` and `fetch_server_config` come from other modules (not written yet)."""

from __future__ import annotations

from enum import Enum

from pydantic import BaseModel


def test_tutorial_names_import() -> None:
    from mcp_auth_rs.config import AuthServerType
    from mcp_auth_rs.exceptions import BearerAuthExceptionCode, MCPAuthBearerAuthException
    from mcp_auth_rs.types import AuthInfo, ResourceServerConfig, ResourceServerMetadata

    assert issubclass(AuthServerType, Enum) and AuthServerType.OIDC.value == "oidc"
    assert BearerAuthExceptionCode.MISSING_REQUIRED_SCOPES.value == "missing_required_scopes"
    error = MCPAuthBearerAuthException(BearerAuthExceptionCode.MISSING_REQUIRED_SCOPES)
    assert isinstance(error, Exception)
    for model in (AuthInfo, ResourceServerConfig, ResourceServerMetadata):
        assert issubclass(model, BaseModel)


def test_tutorial_resource_config_builds() -> None:
    from mcp_auth_rs.config import AuthServerConfig, AuthServerType
    from mcp_auth_rs.types import ResourceServerConfig, ResourceServerMetadata

    # What fetch_server_config(issuer_url, AuthServerType.OIDC) would return.
    auth_server_config = AuthServerConfig.from_native(
        {
            "type": AuthServerType.OIDC,
            "metadata": {
                "issuer": "https://auth.example.com",
                "authorizationEndpoint": "https://auth.example.com/authorize",
                "tokenEndpoint": "https://auth.example.com/token",
                "responseTypesSupported": ["code"],
                "jwksUri": "https://auth.example.com/jwks",
            },
        }
    )
    resource_id = "http://localhost:3001"
    config = ResourceServerConfig(
        metadata=ResourceServerMetadata(
            resource=resource_id,
            authorization_servers=[auth_server_config],
            scopes_supported=["create:todos", "read:todos", "delete:todos"],
        )
    )
    servers = config.metadata.authorization_servers
    assert servers is not None and servers[0].metadata.jwks_uri == "https://auth.example.com/jwks"
