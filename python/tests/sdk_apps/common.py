"""What the SDK apps share: the protected resource, the configuration from the
environment, the official SDK's auth settings, and the tool's answer.

No SDK is imported at module level: the FastMCP 4 app shares this too.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any

from mcp_auth_rs import MCPAuth
from mcp_auth_rs.config import AuthServerType
from mcp_auth_rs.types import ResourceServerConfig, ResourceServerMetadata
from mcp_auth_rs.utils import fetch_server_config


def protect(
    issuer: str,
    resource: str,
    scopes: list[str],
    server_type: AuthServerType = AuthServerType.OIDC,
) -> MCPAuth:
    """An ``MCPAuth`` for ``resource``, trusting ``issuer`` (discovery of ``server_type``)."""
    return MCPAuth(
        protected_resources=ResourceServerConfig(
            metadata=ResourceServerMetadata(
                resource=resource,
                authorization_servers=[fetch_server_config(issuer, server_type)],
                scopes_supported=scopes,
            )
        )
    )


@dataclass(frozen=True)
class AppEnv:
    """An app's settings from ``ISSUER``, ``RESOURCE``, ``REQUIRED_SCOPES`` and ``MODE``."""

    issuer: str
    resource: str
    required: list[str]
    mcp_auth: MCPAuth
    #: The token options every app passes to its integration (none for 'jwt').
    mode_options: dict[str, Any]

    def sdk_auth(self) -> dict[str, Any]:
        """The official SDK's ``token_verifier`` and ``auth`` keywords (1.x and 2.x alike)."""
        from mcp.server.auth.settings import AuthSettings
        from pydantic import AnyHttpUrl

        return {
            "token_verifier": self.mcp_auth.token_verifier(
                resource=self.resource, **self.mode_options
            ),
            "auth": AuthSettings(
                issuer_url=AnyHttpUrl(self.issuer),
                resource_server_url=AnyHttpUrl(self.resource),
                required_scopes=self.required,
                validate_token_resource=True,
            ),
        }


def from_env() -> AppEnv:
    issuer, resource = os.environ["ISSUER"], os.environ["RESOURCE"]
    required = os.environ.get("REQUIRED_SCOPES", "read").split()
    # 'jwt' (an OpenID Provider's tokens) or 'introspection' (an RFC 8414 server's
    # opaque tokens, asked about at its endpoint as client "rs").
    mode = os.environ.get("MODE", "jwt")
    if mode == "jwt":
        return AppEnv(issuer, resource, required, protect(issuer, resource, ["read", "write"]), {})
    mcp_auth = protect(issuer, resource, ["read", "write"], AuthServerType.OAUTH)
    options = {
        "mode_or_verify": mode,
        "introspection": {"client_id": "rs", "client_secret": "s3cret"},
    }
    return AppEnv(issuer, resource, required, mcp_auth, options)


def describe(token: Any) -> str:
    """What a tool sees of its caller (``None`` → ``"null"``)."""
    if token is None:
        return "null"
    return json.dumps(
        {
            "type": type(token).__module__ + "." + type(token).__name__,
            "client_id": token.client_id,
            "subject": token.subject,
            "scopes": token.scopes,
            "resource": token.resource,
            "expires_at": token.expires_at,
            "iss": (token.claims or {}).get("iss"),
            "aud": (token.claims or {}).get("aud"),
            "same_token": token.token == os.environ.get("EXPECT_TOKEN", token.token),
        }
    )
