"""mcp_auth_rs.config against mcpauth 0.2.0b1's config module (research notes §1.3)."""

from __future__ import annotations

from enum import Enum
from typing import Any

import pytest
from pydantic import ValidationError

from mcp_auth_rs.config import (
    AuthorizationServerMetadata,
    AuthorizationServerMetadataDefaults,
    AuthServerConfig,
    AuthServerType,
    ProtectedResourceMetadata,
    ProtectedResourceMetadataBase,
    ServerMetadataPaths,
)

REQUIRED_AS = {
    "issuer": "https://auth.example.com",
    "authorization_endpoint": "https://auth.example.com/authorize",
    "token_endpoint": "https://auth.example.com/token",
    "response_types_supported": ["code"],
}

OPTIONAL_AS_FIELDS = [
    "jwks_uri",
    "registration_endpoint",
    "scopes_supported",
    "response_modes_supported",
    "grant_types_supported",
    "token_endpoint_auth_methods_supported",
    "token_endpoint_auth_signing_alg_values_supported",
    "service_documentation",
    "ui_locales_supported",
    "op_policy_uri",
    "op_tos_uri",
    "revocation_endpoint",
    "revocation_endpoint_auth_methods_supported",
    "revocation_endpoint_auth_signing_alg_values_supported",
    "introspection_endpoint",
    "introspection_endpoint_auth_methods_supported",
    "introspection_endpoint_auth_signing_alg_values_supported",
    "code_challenge_methods_supported",
    "userinfo_endpoint",
]

OPTIONAL_PRM_FIELDS = [
    "jwks_uri",
    "scopes_supported",
    "bearer_methods_supported",
    "resource_signing_alg_values_supported",
    "resource_name",
    "resource_documentation",
    "resource_policy_uri",
    "resource_tos_uri",
    "tls_client_certificate_bound_access_tokens",
    "authorization_details_types_supported",
    "dpop_signing_alg_values_supported",
    "dpop_bound_access_tokens_required",
    "signed_metadata",
]


def test_enums_are_str_enums_with_mcpauth_values() -> None:
    assert {m.name: m.value for m in AuthServerType} == {"OAUTH": "oauth", "OIDC": "oidc"}
    assert {m.name: m.value for m in ServerMetadataPaths} == {
        "OAUTH": "/.well-known/oauth-authorization-server",
        "OIDC": "/.well-known/openid-configuration",
    }
    for enum in (AuthServerType, ServerMetadataPaths):
        assert issubclass(enum, str) and issubclass(enum, Enum)
    assert isinstance(AuthServerType.OIDC, str) and str.__eq__(AuthServerType.OIDC, "oidc")
    assert AuthServerType("oauth") is AuthServerType.OAUTH


def test_metadata_defaults() -> None:
    assert not issubclass(AuthorizationServerMetadataDefaults, str)
    assert AuthorizationServerMetadataDefaults.grant_types_supported.value == [
        "authorization_code",
        "implicit",
    ]
    assert AuthorizationServerMetadataDefaults.response_modes_supported.value == [
        "query",
        "fragment",
    ]


def test_authorization_server_metadata_fields() -> None:
    fields = AuthorizationServerMetadata.model_fields
    assert set(fields) == set(REQUIRED_AS) | set(OPTIONAL_AS_FIELDS)
    assert {name for name, f in fields.items() if f.is_required()} == set(REQUIRED_AS)
    assert all(fields[name].default is None for name in OPTIONAL_AS_FIELDS)


@pytest.mark.parametrize("missing", sorted(REQUIRED_AS))
def test_authorization_server_metadata_requires(missing: str) -> None:
    data = {k: v for k, v in REQUIRED_AS.items() if k != missing}
    with pytest.raises(ValidationError) as caught:
        AuthorizationServerMetadata.model_validate(data)
    assert [e["loc"] for e in caught.value.errors()] == [(missing,)]


def test_authorization_server_metadata_ignores_unknown_members() -> None:
    metadata = AuthorizationServerMetadata.model_validate({**REQUIRED_AS, "x_custom": 1})
    assert "x_custom" not in metadata.model_dump()
    assert metadata.model_dump(exclude_none=True) == REQUIRED_AS


def test_protected_resource_metadata_fields() -> None:
    base = ProtectedResourceMetadataBase.model_fields
    assert set(base) == {"resource", *OPTIONAL_PRM_FIELDS}
    assert [n for n, f in base.items() if f.is_required()] == ["resource"]
    full = ProtectedResourceMetadata.model_fields
    assert set(full) == set(base) | {"authorization_servers"}
    assert issubclass(ProtectedResourceMetadata, ProtectedResourceMetadataBase)
    doc = ProtectedResourceMetadata(
        resource="https://mcp.example.com/mcp", authorization_servers=["https://a"]
    )
    assert doc.model_dump(exclude_none=True) == {
        "resource": "https://mcp.example.com/mcp",
        "authorization_servers": ["https://a"],
    }
    with pytest.raises(ValidationError):
        ProtectedResourceMetadataBase.model_validate({})


def test_auth_server_config_validates_type() -> None:
    config = AuthServerConfig.model_validate({"metadata": REQUIRED_AS, "type": "oauth"})
    assert config.type is AuthServerType.OAUTH
    with pytest.raises(ValidationError):
        AuthServerConfig.model_validate({"metadata": REQUIRED_AS, "type": "saml"})


def test_from_native_converts_camel_case_exactly() -> None:
    camel: dict[str, Any] = {
        "issuer": "https://auth.example.com",
        "authorizationEndpoint": "https://auth.example.com/authorize",
        "tokenEndpoint": "https://auth.example.com/token",
        "responseTypesSupported": ["code"],
        "jwksUri": "https://auth.example.com/jwks",
        "codeChallengeMethodsSupported": ["S256"],
        "tokenEndpointAuthSigningAlgValuesSupported": ["RS256"],
        "introspectionEndpointAuthSigningAlgValuesSupported": ["ES256"],
        "opPolicyUri": "https://auth.example.com/policy",
        "uiLocalesSupported": ["en"],
        "userinfoEndpoint": "https://auth.example.com/userinfo",
        # Unknown members are dropped, as mcpauth drops them.
        "mtlsEndpointAliases": {"tokenEndpoint": "https://mtls"},
    }
    config = AuthServerConfig.from_native({"type": "oidc", "metadata": camel})
    assert config.type is AuthServerType.OIDC
    assert config.metadata.model_dump(exclude_none=True) == {
        "issuer": "https://auth.example.com",
        "authorization_endpoint": "https://auth.example.com/authorize",
        "token_endpoint": "https://auth.example.com/token",
        "response_types_supported": ["code"],
        "jwks_uri": "https://auth.example.com/jwks",
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_signing_alg_values_supported": ["RS256"],
        "introspection_endpoint_auth_signing_alg_values_supported": ["ES256"],
        "op_policy_uri": "https://auth.example.com/policy",
        "ui_locales_supported": ["en"],
        "userinfo_endpoint": "https://auth.example.com/userinfo",
    }


def test_from_native_converts_every_field_name() -> None:
    # Each snake_case field, camel-cased as the core does, comes back to itself.
    def camel(name: str) -> str:
        head, *rest = name.split("_")
        return head + "".join(part.capitalize() for part in rest)

    values: dict[str, Any] = {camel(name): "x" for name in OPTIONAL_AS_FIELDS}
    values.update({camel(k): v for k, v in REQUIRED_AS.items()})
    list_fields = {
        n
        for n, f in AuthorizationServerMetadata.model_fields.items()
        if "list" in str(f.annotation)
    }
    values.update({camel(n): ["x"] for n in list_fields if n in OPTIONAL_AS_FIELDS})
    config = AuthServerConfig.from_native({"type": "oauth", "metadata": values})
    dumped = config.metadata.model_dump()
    assert all(dumped[name] is not None for name in OPTIONAL_AS_FIELDS)


def test_from_native_refuses_invalid_documents() -> None:
    with pytest.raises(ValidationError):
        AuthServerConfig.from_native({"type": "oidc", "metadata": {"issuer": "https://a"}})
    with pytest.raises(ValidationError):
        AuthServerConfig.from_native({"type": "oidc"})
