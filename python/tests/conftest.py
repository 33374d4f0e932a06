"""Shared fixtures: loopback authorization servers (``authserver.py``) with
JWT signing, and the SDK integration tests' app under uvicorn."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import authserver
import pytest
from authserver import AuthServer
from sdkserver import opaque_answers, serve_app

RESOURCE = "https://mcp.example.com/mcp"
PRM = "https://mcp.example.com/.well-known/oauth-protected-resource/mcp"

# The places of the native module's accepted text (the core's accepted_json.rs).
ACCEPTED_PLACES = (
    "claims", "scheme", "tokenLength", "issuer", "subject", "clientId",
    "scopes", "expiresAt", "effectiveScopes", "verifyMs",
)  # fmt: skip


def accepted_fields(text: object) -> dict[str, Any]:
    """The native module's accepted text (an array read by place) by field name."""
    assert isinstance(text, str), f"expected the accepted JSON, got {text!r}"
    values: list[Any] = json.loads(text)
    return dict(zip(ACCEPTED_PLACES, values, strict=False))


Signer = Callable[..., str]


@pytest.fixture(scope="session")
def authorization_server() -> Iterator[AuthServer]:
    """One server for the run: RFC 8414 metadata for `{base}{path}` (the path
    `/mismatch` names another issuer), the key set at `/jwks.json`."""
    with authserver.auth_server() as server:
        yield server


@pytest.fixture(scope="session")
def auth_server(authorization_server: AuthServer) -> str:
    """The session server's base URL, which is also an issuer."""
    return authorization_server.issuer


@pytest.fixture(scope="session")
def sign(authorization_server: AuthServer) -> Signer:
    """Signs an access token for RESOURCE from `auth_server`; keywords override claims."""

    def signer(**extra: Any) -> str:
        now = int(time.time())
        claims = {
            "iss": authorization_server.issuer,
            "aud": RESOURCE,
            "sub": "user-1",
            "client_id": "client-1",
            "scope": "mcp:read",
            "iat": now,
            "exp": now + 300,
            **extra,
        }
        return authorization_server.sign(claims, typ="JWT")

    return signer


@pytest.fixture(scope="module")
def issuer() -> Iterator[AuthServer]:
    """A server of the test module's own (its own key and records)."""
    with authserver.auth_server() as server:
        yield server


@pytest.fixture()
def endpoint() -> Iterator[AuthServer]:
    """An RFC 7662 introspection endpoint of the test's own (its calls counted)."""
    with authserver.introspection_server() as server:
        yield server


@pytest.fixture(scope="module")
def sdk_app(request: pytest.FixtureRequest, issuer: AuthServer) -> Iterator[tuple[str, str]]:
    """The test module's ``SDK_APP`` (a module of ``sdk_apps/``) under uvicorn,
    trusting ``issuer``: (its base URL, the resource it protects)."""
    with serve_app(request.module.SDK_APP, issuer.issuer) as served:
        yield served


@pytest.fixture(scope="module")
def sdk_opaque_app(request: pytest.FixtureRequest) -> Iterator[tuple[str, str, AuthServer]]:
    """The test module's ``SDK_APP`` in 'introspection' mode, trusting an
    introspection server of its own whose tokens are ``sdkserver.opaque_answers``:
    (its base URL, the resource it protects, the server)."""
    with authserver.introspection_server() as server:
        with serve_app(request.module.SDK_APP, server.issuer, "introspection") as (url, resource):
            server.answer = opaque_answers(server, resource)
            yield url, resource, server
