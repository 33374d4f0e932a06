"""Authorization-server and protected-resource configuration models.

Same names, fields and defaults as ``mcpauth.config`` (0.2.0b1), so code
written for mcpauth works after changing the import. Field names are the wire
names (snake_case); unknown members are ignored, as pydantic does by default.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from enum import Enum
from typing import Any

from pydantic import BaseModel

__all__ = [
    "AuthServerConfig",
    "AuthServerType",
    "AuthorizationServerMetadata",
    "AuthorizationServerMetadataDefaults",
    "ProtectedResourceMetadata",
    "ProtectedResourceMetadataBase",
    "ServerMetadataPaths",
]


class ProtectedResourceMetadataBase(BaseModel):
    """OAuth 2.0 Protected Resource Metadata (RFC 9728) without ``authorization_servers``."""

    resource: str
    """The resource identifier (what tokens' ``aud`` names)."""

    jwks_uri: str | None = None
    """Keys of the resource itself (for its signed responses), not the issuer's."""

    scopes_supported: list[str] | None = None
    """Scopes clients request to reach this resource."""

    bearer_methods_supported: list[str] | None = None
    """How a bearer token may be sent: ``header``, ``body``, ``query``."""

    resource_signing_alg_values_supported: list[str] | None = None
    """JWS algorithms the resource signs responses with."""

    resource_name: str | None = None
    """Name shown to end users."""

    resource_documentation: str | None = None
    """URL of developer documentation."""

    resource_policy_uri: str | None = None
    """URL of the data usage policy."""

    resource_tos_uri: str | None = None
    """URL of the terms of service."""

    tls_client_certificate_bound_access_tokens: bool | None = None
    """Whether mutual-TLS certificate-bound tokens are supported."""

    authorization_details_types_supported: list[str] | None = None
    """``authorization_details`` types understood (RFC 9396)."""

    dpop_signing_alg_values_supported: list[str] | None = None
    """JWS algorithms accepted for DPoP proofs (RFC 9449)."""

    dpop_bound_access_tokens_required: bool | None = None
    """Whether only DPoP-bound tokens are accepted."""

    signed_metadata: str | None = None
    """A JWT whose claims are metadata members; they take precedence when present."""


class ProtectedResourceMetadata(ProtectedResourceMetadataBase):
    """The RFC 9728 document as served: authorization servers by issuer string."""

    authorization_servers: list[str] | None = None
    """Issuer identifiers of the authorization servers this resource trusts."""


class AuthorizationServerMetadata(BaseModel):
    """Authorization-server metadata (RFC 8414 / OpenID Connect Discovery)."""

    issuer: str
    """The issuer identifier (an https URL without query or fragment)."""

    authorization_endpoint: str
    """The authorization endpoint (RFC 6749 §3.1)."""

    token_endpoint: str
    """The token endpoint (RFC 6749 §3.2)."""

    jwks_uri: str | None = None
    """The JWK Set holding the keys that sign its tokens."""

    registration_endpoint: str | None = None
    """Dynamic Client Registration endpoint (RFC 7591)."""

    scopes_supported: list[str] | None = None
    """Scopes the server supports."""

    response_types_supported: list[str]
    """``response_type`` values the server supports."""

    response_modes_supported: list[str] | None = None
    """``response_mode`` values; RFC 8414 default ``["query", "fragment"]`` when absent."""

    grant_types_supported: list[str] | None = None
    """Grant types; RFC 8414 default ``["authorization_code", "implicit"]`` when absent."""

    token_endpoint_auth_methods_supported: list[str] | None = None
    token_endpoint_auth_signing_alg_values_supported: list[str] | None = None
    service_documentation: str | None = None
    ui_locales_supported: list[str] | None = None
    op_policy_uri: str | None = None
    op_tos_uri: str | None = None

    revocation_endpoint: str | None = None
    """Token revocation endpoint (RFC 7009)."""

    revocation_endpoint_auth_methods_supported: list[str] | None = None
    revocation_endpoint_auth_signing_alg_values_supported: list[str] | None = None

    introspection_endpoint: str | None = None
    """Token introspection endpoint (RFC 7662)."""

    introspection_endpoint_auth_methods_supported: list[str] | None = None
    introspection_endpoint_auth_signing_alg_values_supported: list[str] | None = None

    code_challenge_methods_supported: list[str] | None = None
    """PKCE code challenge methods (RFC 7636)."""

    userinfo_endpoint: str | None = None
    """OpenID Connect UserInfo endpoint."""


class AuthServerType(str, Enum):
    """Whether the server publishes OAuth 2.0 or OpenID Connect discovery metadata."""

    OAUTH = "oauth"
    OIDC = "oidc"


class AuthorizationServerMetadataDefaults(Enum):
    """RFC 8414 §2 defaults for members a server may leave out."""

    grant_types_supported = ["authorization_code", "implicit"]  # noqa: RUF012 (an Enum value)
    response_modes_supported = ["query", "fragment"]  # noqa: RUF012


class AuthServerConfig(BaseModel):
    """One authorization server: its metadata and which discovery flavour it uses."""

    metadata: AuthorizationServerMetadata
    """The server's metadata, discovered or written by hand."""

    type: AuthServerType
    """``oauth`` or ``oidc``."""

    @classmethod
    def from_native(cls, config: Mapping[str, Any]) -> AuthServerConfig:
        """Builds a config from the core's ``{"type", "metadata"}`` form.

        The core returns metadata member names in camelCase (as the Node
        package's ``ServerConfig``); they are turned back into the wire's
        snake_case here, top level only (values are kept as served). Members
        this model does not know are dropped, as mcpauth drops them.
        Raises ``pydantic.ValidationError`` when the result is not valid.
        """
        metadata = config.get("metadata")
        if isinstance(metadata, Mapping):
            metadata = {_snake_case(str(key)): value for key, value in metadata.items()}
        return cls.model_validate({"type": config.get("type"), "metadata": metadata})


class ServerMetadataPaths(str, Enum):
    """Well-known paths of the two discovery documents."""

    OAUTH = "/.well-known/oauth-authorization-server"
    OIDC = "/.well-known/openid-configuration"


_UPPER = re.compile(r"[A-Z]")


def _snake_case(key: str) -> str:
    # The inverse of the core's camel_case for the names above: "jwksUri" -> "jwks_uri".
    return _UPPER.sub(lambda m: "_" + m.group(0).lower(), key)
