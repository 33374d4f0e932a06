"""``MCPAuth.token_verifier`` in process: the core's verdict as the SDK's ``AccessToken``."""

from __future__ import annotations

import time
import warnings

import anyio
import pytest
from authserver import AuthServer
from mcp.server.auth.provider import AccessToken, TokenVerifier
from sdkserver import opaque_answers

from mcp_auth_rs import MCPAuth
from mcp_auth_rs.config import AuthServerConfig, AuthServerType
from mcp_auth_rs.exceptions import (
    MCPAuthAuthServerException,
    MCPAuthTokenVerificationException,
    MCPAuthTokenVerificationExceptionCode,
)
from mcp_auth_rs.introspection import IntrospectionOptions
from mcp_auth_rs.sdk import MCPAuthVerificationUnavailableException, McpTokenVerifier
from mcp_auth_rs.types import AuthInfo, ResourceServerConfig, ResourceServerMetadata
from mcp_auth_rs.utils import fetch_server_config

RESOURCE = "https://mcp.example.com/mcp"


def _mcp_auth(config: AuthServerConfig) -> MCPAuth:
    metadata = ResourceServerMetadata(resource=RESOURCE, authorization_servers=[config])
    return MCPAuth(protected_resources=ResourceServerConfig(metadata=metadata))


@pytest.fixture(scope="module")
def verifier(issuer: AuthServer) -> McpTokenVerifier:
    return _mcp_auth(fetch_server_config(issuer.issuer, AuthServerType.OIDC)).token_verifier(
        resource=RESOURCE
    )


def _verify(verifier: McpTokenVerifier, token: str) -> AccessToken | None:
    async def run() -> AccessToken | None:
        return await verifier.verify_token(token)

    return anyio.run(run)


def test_satisfies_the_sdk_protocol(verifier: McpTokenVerifier) -> None:
    typed: TokenVerifier = verifier  # mypy checks the structural match
    assert typed is verifier


def test_a_valid_token_becomes_an_access_token(
    verifier: McpTokenVerifier, issuer: AuthServer
) -> None:
    token = issuer.token(RESOURCE, subject="alice", scope="read write")
    access = _verify(verifier, token)
    assert type(access) is AccessToken
    assert access.token == token
    assert access.client_id == "test-client"
    assert access.scopes == ["read", "write"]
    assert access.subject == "alice"
    assert access.resource == RESOURCE
    assert access.claims is not None and access.claims["iss"] == issuer.issuer
    assert isinstance(access.expires_at, int)
    assert abs(access.expires_at - (time.time() + 3600)) < 10


def test_no_client_id_is_empty_not_invented(verifier: McpTokenVerifier, issuer: AuthServer) -> None:
    now = int(time.time())
    claims = {"iss": issuer.issuer, "sub": "bob", "aud": RESOURCE, "iat": now, "exp": now + 60}
    access = _verify(verifier, issuer.sign(claims))
    assert access is not None and access.client_id == "" and access.subject == "bob"
    with_azp = _verify(verifier, issuer.sign({**claims, "azp": "app-2"}))
    assert with_azp is not None and with_azp.client_id == "app-2"


@pytest.mark.parametrize(
    "case",
    ["other audience", "expired", "garbage", "spaces", "empty"],
)
def test_refused_tokens_are_none(verifier: McpTokenVerifier, issuer: AuthServer, case: str) -> None:
    token = {
        "other audience": issuer.token("https://elsewhere.example.com/mcp"),
        "expired": issuer.token(RESOURCE, ttl=-3600),
        "garbage": "not-a-jwt",
        "spaces": "a b",
        "empty": "",
    }[case]
    assert _verify(verifier, token) is None


def test_audience_can_be_given(issuer: AuthServer) -> None:
    auth = _mcp_auth(fetch_server_config(issuer.issuer, AuthServerType.OIDC))
    verifier = auth.token_verifier(resource=RESOURCE, audience="api://todo")
    assert _verify(verifier, issuer.token("api://todo")) is not None
    assert _verify(verifier, issuer.token(RESOURCE)) is None


def test_an_outage_raises_rather_than_refusing(issuer: AuthServer) -> None:
    config = fetch_server_config(issuer.issuer, AuthServerType.OIDC)
    dead = config.model_copy(
        update={"metadata": config.metadata.model_copy(update={"jwks_uri": "http://127.0.0.1:9/"})}
    )
    verifier = _mcp_auth(dead).token_verifier(resource=RESOURCE)
    with pytest.raises(MCPAuthVerificationUnavailableException) as raised:
        _verify(verifier, issuer.token(RESOURCE))
    assert raised.value.status == 503
    assert raised.value.code == "verification_unavailable"


def test_legacy_server_mode_and_unknown_resource(issuer: AuthServer) -> None:
    config = fetch_server_config(issuer.issuer, AuthServerType.OIDC)
    legacy = MCPAuth(server=config).token_verifier(resource=RESOURCE)
    assert _verify(legacy, issuer.token(RESOURCE)) is not None
    with pytest.raises(MCPAuthAuthServerException) as raised:
        _mcp_auth(config).token_verifier(resource="https://other.example.com")
    assert "is not configured" in str(raised.value.cause)


# --- token modes: the same as bearer_auth_middleware's ------------------------

CLIENT: IntrospectionOptions = {"client_id": "rs", "client_secret": "s3cret"}


@pytest.fixture()
def endpoint(endpoint: AuthServer) -> AuthServer:
    """conftest's endpoint, answering for RESOURCE (``sdkserver.opaque_answers``)."""
    endpoint.answer = opaque_answers(endpoint, RESOURCE)
    return endpoint


def _introspected_auth(endpoint: AuthServer, *more: AuthServerConfig) -> MCPAuth:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the endpoint's metadata lacks PKCE: a warning
        config = fetch_server_config(endpoint.issuer, AuthServerType.OAUTH)
        if more:  # 'auto' builds one verifier for all: a jwks_uri that is never fetched
            config = config.model_copy(
                update={
                    "metadata": config.metadata.model_copy(
                        update={"jwks_uri": f"{endpoint.issuer}/jwks"}
                    )
                }
            )
        metadata = ResourceServerMetadata(resource=RESOURCE, authorization_servers=[*more, config])
        return MCPAuth(protected_resources=ResourceServerConfig(metadata=metadata))


def test_introspection_mode_takes_opaque_tokens(endpoint: AuthServer) -> None:
    verifier = _introspected_auth(endpoint).token_verifier(
        resource=RESOURCE, mode_or_verify="introspection", introspection=CLIENT
    )
    access = _verify(verifier, "good-dora")
    assert type(access) is AccessToken
    assert access.subject == "user-of-good-dora"
    assert access.client_id == "app"
    assert access.scopes == ["read", "write"]
    assert access.resource == RESOURCE
    assert access.claims is not None and access.claims["iss"] == endpoint.issuer
    assert _verify(verifier, "good-dora") is not None
    assert _verify(verifier, "revoked") is None
    assert endpoint.tokens == ["good-dora", "revoked"], "asked once per token"


def test_introspection_outage_raises(endpoint: AuthServer) -> None:
    verifier = _introspected_auth(endpoint).token_verifier(
        resource=RESOURCE,
        mode_or_verify="introspection",
        introspection={**CLIENT, "endpoint": "http://127.0.0.1:9/introspect"},
    )
    with pytest.raises(MCPAuthVerificationUnavailableException) as raised:
        _verify(verifier, "good-eve")
    assert raised.value.status == 503


def test_auto_mode_verifies_jwts_and_introspects_the_rest(
    endpoint: AuthServer, issuer: AuthServer
) -> None:
    oidc = fetch_server_config(issuer.issuer, AuthServerType.OIDC)
    verifier = _introspected_auth(endpoint, oidc).token_verifier(
        resource=RESOURCE,
        mode_or_verify="auto",
        introspection={**CLIENT, "issuer": endpoint.issuer},
    )
    jwt = _verify(verifier, issuer.token(RESOURCE, subject="frank"))
    assert jwt is not None and jwt.subject == "frank"
    opaque = _verify(verifier, "good-gina")
    assert opaque is not None and opaque.subject == "user-of-good-gina"
    assert _verify(verifier, "inactive") is None
    assert endpoint.tokens == ["good-gina", "inactive"], "JWTs are never introspected"


def test_a_custom_verify_function(issuer: AuthServer) -> None:
    auth = _mcp_auth(fetch_server_config(issuer.issuer, AuthServerType.OIDC))

    async def verify(token: str) -> AuthInfo:
        if token != "let-me-in":
            raise MCPAuthTokenVerificationException(
                MCPAuthTokenVerificationExceptionCode.INVALID_TOKEN
            )
        return AuthInfo(
            token=token,
            issuer=issuer.issuer,
            subject="hank",
            audience=RESOURCE,
            scopes=["read"],
            claims={"iss": issuer.issuer},
        )

    verifier = auth.token_verifier(resource=RESOURCE, mode_or_verify=verify)
    access = _verify(verifier, "let-me-in")
    assert access is not None and access.subject == "hank" and access.scopes == ["read"]
    assert _verify(verifier, "knock-knock") is None
    # The core's rules on the answer still hold: a configured issuer only.
    elsewhere = auth.token_verifier(
        resource=RESOURCE,
        mode_or_verify=lambda token: AuthInfo(
            token=token,
            issuer="https://other.example.com",
            subject="x",
            audience=RESOURCE,
            claims={},
        ),
    )
    assert _verify(elsewhere, "anything") is None


def test_modes_are_checked(endpoint: AuthServer) -> None:
    auth = _introspected_auth(endpoint)
    with pytest.raises(ValueError, match="mode_or_verify must be"):
        auth.token_verifier(resource=RESOURCE, mode_or_verify="opaque")  # type: ignore[arg-type]
    with pytest.raises(MCPAuthAuthServerException) as missing:
        auth.token_verifier(resource=RESOURCE, mode_or_verify="introspection")
    assert "client_id" in str(missing.value.cause)


def test_claims_apply_with_every_mode(endpoint: AuthServer, issuer: AuthServer) -> None:
    jwt_mode = _mcp_auth(fetch_server_config(issuer.issuer, AuthServerType.OIDC)).token_verifier(
        resource=RESOURCE, claims={"required_claim_values": {"token_use": "access"}}
    )
    assert _verify(jwt_mode, issuer.token(RESOURCE, token_use="access")) is not None
    assert _verify(jwt_mode, issuer.token(RESOURCE)) is None
    introspected = _introspected_auth(endpoint).token_verifier(
        resource=RESOURCE,
        mode_or_verify="introspection",
        introspection=CLIENT,
        claims={"client_ids": ["another-app"]},
    )
    assert _verify(introspected, "good-ivy") is None, "its client is 'app'"
    assert endpoint.tokens == ["good-ivy"]
