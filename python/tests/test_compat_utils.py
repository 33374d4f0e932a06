"""mcp_auth_rs.utils against mcpauth 0.2.0b1's utils (research notes §1.5)."""

from __future__ import annotations

import re

import pytest
from pydantic import ValidationError

import mcp_auth_rs.utils as utils
from mcp_auth_rs.config import AuthServerConfig, ProtectedResourceMetadata
from mcp_auth_rs.exceptions import BearerAuthExceptionCode, bearer_auth_exception_description
from mcp_auth_rs.types import ResourceServerMetadata
from mcp_auth_rs.utils import (
    AuthServerConfigError,
    AuthServerConfigErrorCode,
    AuthServerConfigValidationResult,
    AuthServerConfigWarning,
    AuthServerConfigWarningCode,
    BearerWWWAuthenticateHeader,
    transpile_resource_metadata,
)

# RFC 7230 §3.2.6: a quoted-string is DQUOTE *( qdtext / quoted-pair ) DQUOTE.
QUOTED_STRING = r'"(?:[\t \x21\x23-\x5b\x5d-\x7e\x80-\xff]|\\[\t \x21-\x7e\x80-\xff])*"'
CHALLENGE = re.compile(rf"Bearer [a-z_]+={QUOTED_STRING}(?:, [a-z_]+={QUOTED_STRING})*")


def unquote(quoted: str) -> str:
    return re.sub(r"\\(.)", r"\1", quoted[1:-1])


def test_all_lists_what_is_importable() -> None:
    assert sorted(utils.__all__) == sorted(
        [
            "AuthServerConfigError",
            "AuthServerConfigErrorCode",
            "AuthServerConfigValidationResult",
            "AuthServerConfigWarning",
            "AuthServerConfigWarningCode",
            "BearerWWWAuthenticateHeader",
            "create_resource_metadata_endpoint",
            "create_verify_jwt",
            "fetch_server_config",
            "fetch_server_config_async",
            "fetch_server_config_by_well_known_url",
            "fetch_server_config_by_well_known_url_async",
            "transpile_resource_metadata",
            "validate_server_config",
        ]
    )
    for name in utils.__all__:
        assert hasattr(utils, name)


def test_header_plain_values_as_mcpauth() -> None:
    header = BearerWWWAuthenticateHeader()
    assert header.header_name == "WWW-Authenticate"
    assert header.to_string() == ""
    returned = (
        header.set_parameter_if_value_exists("error", "invalid_token")
        .set_parameter_if_value_exists("error_description", None)
        .set_parameter_if_value_exists("scope", "")
        .set_parameter_if_value_exists("resource_metadata", "https://mcp.example.com/.well-known/x")
    )
    assert returned is header
    assert header.to_string() == (
        'Bearer error="invalid_token", resource_metadata="https://mcp.example.com/.well-known/x"'
    )


def test_header_escapes_quotes_and_backslashes() -> None:
    description = bearer_auth_exception_description[
        BearerAuthExceptionCode.INVALID_AUTH_HEADER_FORMAT
    ]
    value = (
        BearerWWWAuthenticateHeader()
        .set_parameter_if_value_exists("error", BearerAuthExceptionCode.INVALID_AUTH_HEADER_FORMAT)
        .set_parameter_if_value_exists("error_description", description)
        .set_parameter_if_value_exists("realm", "a\\b")
        .to_string()
    )
    assert value == (
        'Bearer error="invalid_auth_header_format", '
        'error_description="Invalid `Authorization` header format. '
        'Expected \\"Bearer <token>\\".", '
        'realm="a\\\\b"'
    )
    assert CHALLENGE.fullmatch(value)
    quoted = re.findall(QUOTED_STRING, value)
    assert [unquote(q) for q in quoted] == ["invalid_auth_header_format", description, "a\\b"]


@pytest.mark.parametrize("raw", ["a\r\nSet-Cookie: x=1", "tab\tkept", 'end\\"', "\x00\x7f"])
def test_header_values_are_always_one_valid_quoted_string(raw: str) -> None:
    value = BearerWWWAuthenticateHeader().set_parameter_if_value_exists("error_description", raw)
    text = value.to_string()
    assert CHALLENGE.fullmatch(text), text
    assert "\r" not in text and "\n" not in text
    # Only control characters are replaced (by spaces); the rest round-trips.
    expected = re.sub(r"[\x00-\x08\x0a-\x1f\x7f]", " ", raw)
    assert unquote(text[len("Bearer error_description=") :]) == expected


def test_validation_result_types() -> None:
    assert {m.name: m.value for m in AuthServerConfigErrorCode} == {
        "INVALID_SERVER_METADATA": "invalid_server_metadata",
        "CODE_RESPONSE_TYPE_NOT_SUPPORTED": "code_response_type_not_supported",
        "AUTHORIZATION_CODE_GRANT_NOT_SUPPORTED": "authorization_code_grant_not_supported",
        "PKCE_NOT_SUPPORTED": "pkce_not_supported",
        "S256_CODE_CHALLENGE_METHOD_NOT_SUPPORTED": "s256_code_challenge_method_not_supported",
    }
    assert {m.name: m.value for m in AuthServerConfigWarningCode} == {
        "DYNAMIC_REGISTRATION_NOT_SUPPORTED": "dynamic_registration_not_supported"
    }
    assert issubclass(AuthServerConfigErrorCode, str)
    assert issubclass(AuthServerConfigWarningCode, str)
    result = AuthServerConfigValidationResult.model_validate(
        {
            "is_valid": False,
            "errors": [{"code": "pkce_not_supported", "description": "d", "cause": None}],
            "warnings": [{"code": "dynamic_registration_not_supported", "description": "w"}],
        }
    )
    assert isinstance(result.errors[0], AuthServerConfigError)
    assert result.errors[0].code is AuthServerConfigErrorCode.PKCE_NOT_SUPPORTED
    assert isinstance(result.warnings[0], AuthServerConfigWarning)
    # `cause` is required (it may be None), as in mcpauth.
    with pytest.raises(ValidationError):
        AuthServerConfigError.model_validate({"code": "pkce_not_supported", "description": "d"})
    with pytest.raises(ValidationError):
        AuthServerConfigWarning.model_validate({"code": "nope", "description": "d"})


def _server(issuer: str) -> dict[str, object]:
    return {
        "type": "oauth",
        "metadata": {
            "issuer": issuer,
            "authorization_endpoint": f"{issuer}/authorize",
            "token_endpoint": f"{issuer}/token",
            "response_types_supported": ["code"],
        },
    }


def test_transpile_resource_metadata() -> None:
    metadata = ResourceServerMetadata.model_validate(
        {
            "resource": "https://mcp.example.com/mcp",
            "scopes_supported": ["read", "write"],
            "dpop_bound_access_tokens_required": False,
            "authorization_servers": [_server("https://a.example"), _server("https://b.example")],
        }
    )
    served = transpile_resource_metadata(metadata)
    assert type(served) is ProtectedResourceMetadata
    assert served.model_dump(exclude_none=True) == {
        "resource": "https://mcp.example.com/mcp",
        "scopes_supported": ["read", "write"],
        "dpop_bound_access_tokens_required": False,
        "authorization_servers": ["https://a.example", "https://b.example"],
    }
    empty: list[list[AuthServerConfig] | None] = [[], None]
    for servers in empty:
        bare = ResourceServerMetadata(resource="https://r", authorization_servers=servers)
        assert transpile_resource_metadata(bare).model_dump(exclude_none=True) == {
            "resource": "https://r"
        }


def test_validate_server_config_uses_the_cores_rules() -> None:
    from mcp_auth_rs.config import AuthorizationServerMetadata, AuthServerConfig, AuthServerType

    def config(**extra: object) -> AuthServerConfig:
        fields: dict[str, object] = {
            "issuer": "https://as.example.com",
            "authorization_endpoint": "https://as.example.com/authorize",
            "token_endpoint": "https://as.example.com/token",
            "response_types_supported": ["code"],
        }
        fields.update(extra)
        return AuthServerConfig(
            type=AuthServerType.OAUTH, metadata=AuthorizationServerMetadata.model_validate(fields)
        )

    complete = utils.validate_server_config(
        config(
            grant_types_supported=["authorization_code"],
            code_challenge_methods_supported=["S256"],
            registration_endpoint="https://as.example.com/register",
        )
    )
    assert complete.is_valid and complete.errors == [] and complete.warnings == []

    bare = utils.validate_server_config(config(response_types_supported=["token"]))
    assert not bare.is_valid
    codes = {error.code.value for error in bare.errors}
    assert {"code_response_type_not_supported", "pkce_not_supported"} <= codes
    assert [w.code.value for w in bare.warnings] == ["dynamic_registration_not_supported"]
    assert all(error.description for error in bare.errors)
