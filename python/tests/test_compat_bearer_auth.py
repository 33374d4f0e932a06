"""mcpauth 0.2.0b1's low-level API: ``mcpauth.middleware.create_bearer_auth``
and ``mcpauth.utils.create_verify_jwt``, on the core.

``compat/low_level.py`` is written against mcpauth's signatures with only the
package renamed in its imports; it runs here, in process, against a loopback
authorization server.
"""

from __future__ import annotations

import importlib
import inspect
import sys
from contextvars import ContextVar
from pathlib import Path
from typing import Any

import jwt
import pytest
from authserver import AuthServer, auth_server
from conftest import PRM, RESOURCE
from modeskit import call
from starlette.applications import Starlette
from starlette.datastructures import Headers

from mcp_auth_rs.exceptions import (
    BearerAuthExceptionCode,
    MCPAuthAuthServerException,
    MCPAuthBearerAuthException,
    MCPAuthTokenVerificationException,
    MCPAuthTokenVerificationExceptionCode,
)
from mcp_auth_rs.middleware import create_bearer_auth as module
from mcp_auth_rs.middleware.create_bearer_auth import (
    BearerAuthConfig,
    create_bearer_auth,
    get_bearer_token_from_headers,
)
from mcp_auth_rs.types import AuthInfo
from mcp_auth_rs.utils import create_verify_jwt

COMPAT = Path(__file__).parent / "compat"


@pytest.fixture(scope="module")
def app(issuer: AuthServer) -> Starlette:
    sys.path.insert(0, str(COMPAT))
    try:
        low_level = importlib.import_module("low_level")
    finally:
        sys.path.remove(str(COMPAT))
    built: Starlette = low_level.build(issuer.issuer, f"{issuer.issuer}/jwks", RESOURCE, ["read"])
    return built


def test_only_the_import_changed() -> None:
    for line in (COMPAT / "low_level.py").read_text().splitlines():
        if "mcp_auth_rs" in line and not line.startswith("#"):
            assert line.startswith("from mcp_auth_rs."), f"not an import line: {line!r}"


def test_signatures_are_mcpauths() -> None:
    def shape(function: Any) -> list[tuple[str, Any]]:
        return [(p.name, p.default) for p in inspect.signature(function).parameters.values()]

    empty = inspect.Parameter.empty
    assert shape(create_bearer_auth) == [
        ("verify_access_token", empty),
        ("config", empty),
        ("context_var", empty),
    ]
    assert shape(get_bearer_token_from_headers) == [("headers", empty)]
    assert shape(create_verify_jwt) == [
        ("input", empty),
        ("algorithms", ["RS256", "PS256", "ES256", "ES384", "ES512"]),
        ("leeway", 60),
    ]
    fields = {name: f.default for name, f in BearerAuthConfig.model_fields.items()}
    assert list(fields) == [
        "issuer",
        "audience",
        "required_scopes",
        "resource",
        "show_error_details",
    ]
    assert fields["show_error_details"] is False and fields["audience"] is None
    assert BearerAuthConfig.model_fields["issuer"].is_required()
    assert module.VerifyAccessTokenFunction is not None and module.AuthInfo is AuthInfo


def test_the_app_admits_a_good_token(app: Starlette, issuer: AuthServer) -> None:
    token = issuer.token(RESOURCE, subject="alice", scope="read write")
    for path in ("/strict", "/by-function"):
        response = call(app, path, authorization=f"Bearer {token}")
        assert response.status_code == 200, path
        assert response.json() == {
            "subject": "alice",
            "issuer": issuer.issuer,
            "scopes": ["read", "write"],
        }


def test_the_cores_refusals(app: Starlette, issuer: AuthServer) -> None:
    bare = call(app, "/strict")
    assert bare.status_code == 401
    assert bare.headers["www-authenticate"] == f'Bearer resource_metadata="{PRM}", scope="read"'
    assert bare.json()["error"] == "missing_auth_header"
    assert call(app, "/strict", authorization="Bearer a b").status_code == 400
    scope = call(app, "/strict", authorization=f"Bearer {issuer.token(RESOURCE, scope='write')}")
    assert scope.status_code == 403
    assert 'error="insufficient_scope"' in scope.headers["www-authenticate"]
    assert 'scope="read"' in scope.headers["www-authenticate"]
    assert scope.json()["missing_scopes"] == ["read"]
    elsewhere = issuer.token("https://elsewhere.example.com", scope="read")
    assert call(app, "/strict", authorization=f"Bearer {elsewhere}").status_code == 401
    expired = issuer.token(RESOURCE, scope="read", ttl=-3600)
    refused = call(app, "/by-function", authorization=f"Bearer {expired}")
    assert refused.status_code == 401
    assert 'error="invalid_token"' in refused.headers["www-authenticate"]


@pytest.mark.parametrize("path", ["/strict", "/by-function"])
def test_another_issuer_with_the_same_keys_is_refused(
    app: Starlette, issuer: AuthServer, path: str
) -> None:
    # create_verify_jwt accepts any issuer (as mcpauth's); the config's issuer rule refuses it.
    now = int(__import__("time").time())
    claims = {"iss": "https://other.example.com", "sub": "mallory", "aud": RESOURCE}
    token = issuer.sign({**claims, "scope": "read", "iat": now, "exp": now + 60})
    response = call(app, path, authorization=f"Bearer {token}")
    assert response.status_code == 401
    assert 'error="invalid_token"' in response.headers["www-authenticate"]


def test_create_bearer_auth_refuses_what_mcpauth_refuses() -> None:
    context: ContextVar[AuthInfo | None] = ContextVar("c", default=None)
    with pytest.raises(TypeError, match="`verify_access_token` must be a function"):
        create_bearer_auth("verify", BearerAuthConfig(issuer=RESOURCE), context)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="`issuer` must be a valid URL"):
        create_bearer_auth(lambda t: None, BearerAuthConfig(issuer="issuer"), context)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("values", "code"),
    [
        ([], BearerAuthExceptionCode.MISSING_AUTH_HEADER),
        (["Bearer "], BearerAuthExceptionCode.MISSING_BEARER_TOKEN),
        (["Basic abc"], BearerAuthExceptionCode.INVALID_AUTH_HEADER_FORMAT),
        (["Bearer a b"], BearerAuthExceptionCode.INVALID_AUTH_HEADER_FORMAT),
        (["Bearer a", "Bearer b"], BearerAuthExceptionCode.INVALID_AUTH_HEADER_FORMAT),
    ],
)
def test_get_bearer_token_from_headers_refuses(
    values: list[str], code: BearerAuthExceptionCode
) -> None:
    headers = Headers(raw=[(b"authorization", v.encode()) for v in values])
    with pytest.raises(MCPAuthBearerAuthException) as raised:
        get_bearer_token_from_headers(headers)
    assert raised.value.code == code


def test_get_bearer_token_from_headers_reads_the_token() -> None:
    assert get_bearer_token_from_headers(Headers({"Authorization": "bearer abc.def"})) == "abc.def"


# --- create_verify_jwt ----------------------------------------------------------


def test_create_verify_jwt_returns_auth_info(issuer: AuthServer) -> None:
    before = issuer.requests.count("/jwks")
    verify_jwt = create_verify_jwt(f"{issuer.issuer}/jwks")
    token = issuer.token("api://any", subject="bob", scope="read write", azp="ignored")
    info = verify_jwt(token)
    assert isinstance(info, AuthInfo)
    assert (info.token, info.issuer, info.subject) == (token, issuer.issuer, "bob")
    assert info.client_id == "test-client" and info.scopes == ["read", "write"]
    assert info.audience == "api://any" and info.claims["jti"].startswith("bob-")
    for _ in range(3):
        verify_jwt(issuer.token(RESOURCE))
    assert issuer.requests.count("/jwks") - before <= 1, "keys fetched once, then cached"


def test_create_verify_jwt_takes_a_pyjwkclient(issuer: AuthServer) -> None:
    verify_jwt = create_verify_jwt(jwt.PyJWKClient(f"{issuer.issuer}/jwks"), leeway=0)
    assert verify_jwt(issuer.token(RESOURCE, subject="carl")).subject == "carl"
    with pytest.raises(TypeError, match="PyJWK"):
        create_verify_jwt(jwt.PyJWK({"kty": "oct", "k": "c2VjcmV0", "alg": "HS256"}))


@pytest.mark.parametrize("case", ["expired", "garbage", "no sub", "other key"])
def test_create_verify_jwt_invalid_tokens(issuer: AuthServer, case: str) -> None:
    verify_jwt = create_verify_jwt(f"{issuer.issuer}/jwks")
    with auth_server() as stranger:
        token = {
            "expired": issuer.token(RESOURCE, ttl=-3600),
            "garbage": "not-a-jwt",
            "no sub": issuer.sign({"iss": issuer.issuer, "exp": 2**31}),
            "other key": stranger.token(RESOURCE),
        }[case]
    with pytest.raises(MCPAuthTokenVerificationException) as raised:
        verify_jwt(token)
    assert raised.value.code == MCPAuthTokenVerificationExceptionCode.INVALID_TOKEN
    assert token not in str(raised.value.to_json(True))


def test_create_verify_jwt_when_keys_cannot_be_had(issuer: AuthServer) -> None:
    verify_jwt = create_verify_jwt("http://127.0.0.1:9/jwks")
    with pytest.raises(MCPAuthTokenVerificationException) as raised:
        verify_jwt(issuer.token(RESOURCE))
    assert raised.value.code == MCPAuthTokenVerificationExceptionCode.TOKEN_VERIFICATION_FAILED


def test_create_verify_jwt_options_are_the_cores() -> None:
    with pytest.raises(MCPAuthAuthServerException) as symmetric:
        create_verify_jwt("https://keys.example.com/jwks", algorithms=["HS256"])
    assert "HS256" in str(symmetric.value.cause)
    with pytest.raises(MCPAuthAuthServerException) as leeway:
        create_verify_jwt("https://keys.example.com/jwks", leeway=3600)
    assert "clockTolerance" in str(leeway.value.cause)
    with pytest.raises(MCPAuthAuthServerException):
        create_verify_jwt("http://keys.example.com/jwks")  # https except for loopback
