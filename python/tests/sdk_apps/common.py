"""What the SDK apps share: the configuration from the environment and the tool's answer."""

from __future__ import annotations

import json
import os
from typing import Any

from mcp_auth_rs import MCPAuth
from mcp_auth_rs.config import AuthServerType
from mcp_auth_rs.types import ResourceServerConfig, ResourceServerMetadata
from mcp_auth_rs.utils import fetch_server_config

ISSUER = os.environ["ISSUER"]
RESOURCE = os.environ["RESOURCE"]
REQUIRED = os.environ.get("REQUIRED_SCOPES", "read").split()
# 'jwt' (an OpenID Provider's tokens) or 'introspection' (an RFC 8414 server's
# opaque tokens, asked about at its endpoint as client "rs").
MODE = os.environ.get("MODE", "jwt")
#: The token options every app passes to its integration.
MODE_OPTIONS: dict[str, Any] = (
    {"mode_or_verify": MODE, "introspection": {"client_id": "rs", "client_secret": "s3cret"}}
    if MODE != "jwt"
    else {}
)

mcp_auth = MCPAuth(
    protected_resources=ResourceServerConfig(
        metadata=ResourceServerMetadata(
            resource=RESOURCE,
            authorization_servers=[
                fetch_server_config(
                    ISSUER, AuthServerType.OIDC if MODE == "jwt" else AuthServerType.OAUTH
                )
            ],
            scopes_supported=["read", "write"],
        )
    )
)


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
