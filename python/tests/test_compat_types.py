"""mcp_auth_rs.types against mcpauth 0.2.0b1's types module (research notes §1.4)."""

from __future__ import annotations

import asyncio
import inspect
from typing import Any, get_args

import pytest
from pydantic import TypeAdapter, ValidationError

from mcp_auth_rs.config import AuthServerConfig, ProtectedResourceMetadataBase
from mcp_auth_rs.types import (
    AuthInfo,
    JwtPayload,
    NonEmptyString,
    Record,
    ResourceServerConfig,
    ResourceServerMetadata,
    VerifyAccessTokenFunction,
)

SERVER = {
    "type": "oidc",
    "metadata": {
        "issuer": "https://auth.example.com",
        "authorization_endpoint": "https://auth.example.com/authorize",
        "token_endpoint": "https://auth.example.com/token",
        "response_types_supported": ["code"],
    },
}


def test_auth_info_keeps_mcpauth_fields_first_in_order() -> None:
    names = list(AuthInfo.model_fields)
    assert names[:7] == [
        "token",
        "issuer",
        "client_id",
        "scopes",
        "subject",
        "audience",
        "claims",
    ]
    # Documented additions, all optional.
    assert names[7:] == [
        "expires_at",
        "resource",
        "resource_metadata_url",
        "effective_scopes",
        "verifier",
    ]
    required = [n for n, f in AuthInfo.model_fields.items() if f.is_required()]
    assert required == ["token", "issuer", "subject", "claims"]


def test_auth_info_defaults_and_validation() -> None:
    info = AuthInfo(token="t", issuer="https://a", subject="u1", claims={"sub": "u1"})
    assert info.client_id is None and info.audience is None and info.expires_at is None
    assert info.scopes == []
    other = AuthInfo(token="t", issuer="https://a", subject="u2", claims={})
    info.scopes.append("read")
    assert other.scopes == []  # the default is not shared
    listed = AuthInfo(token="t", issuer="i", subject="s", claims={}, audience=["a", "b"])
    assert listed.audience == ["a", "b"]
    with pytest.raises(ValidationError) as caught:
        AuthInfo.model_validate({"token": "t", "issuer": "i"})
    assert {e["loc"] for e in caught.value.errors()} == {("subject",), ("claims",)}


def test_resource_server_metadata_holds_full_configs() -> None:
    assert issubclass(ResourceServerMetadata, ProtectedResourceMetadataBase)
    config = ResourceServerConfig.model_validate(
        {"metadata": {"resource": "https://mcp.example.com", "authorization_servers": [SERVER]}}
    )
    servers = config.metadata.authorization_servers
    assert servers is not None and isinstance(servers[0], AuthServerConfig)
    assert servers[0].metadata.issuer == "https://auth.example.com"
    with pytest.raises(ValidationError):
        ResourceServerMetadata.model_validate(
            {"resource": "https://mcp.example.com", "authorization_servers": ["https://a"]}
        )
    with pytest.raises(ValidationError):
        ResourceServerConfig.model_validate({})


def test_jwt_payload() -> None:
    payload = JwtPayload.model_validate(
        {"iss": "https://a", "sub": "u", "aud": ["x", "y"], "scope": "a b", "exp": 5, "k": 1}
    )
    assert (payload.iss, payload.sub, payload.aud, payload.scope, payload.exp) == (
        "https://a",
        "u",
        ["x", "y"],
        "a b",
        5,
    )
    assert payload.client_id is None and payload.azp is None and payload.scopes is None
    for bad in ({"iss": "", "sub": "u"}, {"iss": "i", "sub": ""}, {"iss": "i"}):
        with pytest.raises(ValidationError):
            JwtPayload.model_validate(bad)
    with pytest.raises(ValidationError):
        JwtPayload.model_validate({"iss": "i", "sub": "u", "aud": [""]})


def test_aliases() -> None:
    assert TypeAdapter(NonEmptyString).validate_python("x") == "x"
    with pytest.raises(ValidationError):
        TypeAdapter(NonEmptyString).validate_python("")
    assert get_args(Record) == (str, Any)


def _sync_verify(token: str) -> AuthInfo:
    return AuthInfo(token=token, issuer="https://a", subject="s", claims={})


async def _async_verify(token: str) -> AuthInfo:
    return _sync_verify(token)


def test_verify_access_token_function_accepts_sync_and_async() -> None:
    # Both type-check as the protocol (mypy --strict runs over this file).
    verifiers: list[VerifyAccessTokenFunction] = [_sync_verify, _async_verify]

    async def call(verify: VerifyAccessTokenFunction) -> AuthInfo:
        result = verify("tok")
        return await result if inspect.isawaitable(result) else result

    for verify in verifiers:
        info = asyncio.run(call(verify))
        assert info.token == "tok"
