"""The ASGI middleware and metadata router, in process (httpx's ASGI transport).

The wire table for every row runs over real HTTP in the Node conformance
suite; these tests pin the Python glue: what reaches the app, the context
variable, custom verifiers (sync and async) and the checks applied to them.
"""

from __future__ import annotations

import time
from contextvars import ContextVar
from typing import Any

import anyio
import httpx
from authserver import AuthServer, auth_server
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Mount, Route

from mcp_auth_rs import MCPAuth
from mcp_auth_rs.config import AuthServerType
from mcp_auth_rs.exceptions import (
    BearerAuthExceptionCode,
    MCPAuthBearerAuthException,
    MCPAuthBearerAuthExceptionDetails,
)
from mcp_auth_rs.types import AuthInfo, ResourceServerConfig, ResourceServerMetadata
from mcp_auth_rs.utils import fetch_server_config

RESOURCE = "https://mcp.example.com/mcp"
PRM = "https://mcp.example.com/.well-known/oauth-protected-resource/mcp"
ALGS = "RS256 RS384 RS512 PS256 PS384 PS512 ES256 ES384 EdDSA"


def build(issuer: AuthServer, mode: Any = "jwt", **options: Any) -> tuple[Starlette, MCPAuth]:
    var: ContextVar[AuthInfo | None] = ContextVar("test_auth", default=None)
    mcp_auth = MCPAuth(
        protected_resources=ResourceServerConfig(
            metadata=ResourceServerMetadata(
                resource=RESOURCE,
                authorization_servers=[fetch_server_config(issuer.issuer, AuthServerType.OIDC)],
                scopes_supported=["read", "write"],
            )
        ),
        context_var=var,
    )

    async def echo(request: Request) -> JSONResponse:
        auth = mcp_auth.auth_info
        assert auth is not None
        return JSONResponse({"sub": auth.subject, "scopes": auth.scopes, "path": request.url.path})

    gate = Middleware(mcp_auth.bearer_auth_middleware(mode, resource=RESOURCE, **options))
    app = Starlette(
        routes=[
            *mcp_auth.resource_metadata_router().routes,
            Mount(
                "/mcp",
                routes=[Route("/", echo, methods=["GET", "HEAD", "POST"])],
                middleware=[gate],
            ),
        ]
    )
    return app, mcp_auth


def request(app: Starlette, method: str, path: str, **kwargs: Any) -> httpx.Response:
    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="https://mcp.example.com") as c:
            return await c.request(method, path, **kwargs)

    return anyio.run(go)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_accepts_and_scopes_the_identity_to_the_request(issuer: AuthServer) -> None:
    app, mcp_auth = build(issuer)
    token = issuer.token(RESOURCE, subject="alice", scope="read write")
    response = request(app, "GET", "/mcp/", headers=bearer(token))
    assert response.status_code == 200
    assert response.json() == {"sub": "alice", "scopes": ["read", "write"], "path": "/mcp/"}
    # Browser clients may read a handler's own challenge.
    assert response.headers["access-control-expose-headers"] == "WWW-Authenticate"
    # Reset once the request is over.
    assert mcp_auth.auth_info is None


def test_challenges_as_the_core_decides(issuer: AuthServer) -> None:
    app, _ = build(issuer, required_scopes=["write"])
    missing = request(app, "GET", "/mcp/")
    assert missing.status_code == 401
    # A bare challenge (no error): where the metadata is, and the scope this route needs,
    # for each accepted scheme (DPoP is 'allowed' by default, as in Node).
    assert missing.headers["www-authenticate"] == (
        f'Bearer resource_metadata="{PRM}", scope="write", '
        f'DPoP algs="{ALGS}", resource_metadata="{PRM}", scope="write"'
    )
    assert missing.json()["error"] == "missing_auth_header"

    malformed = request(app, "GET", "/mcp/", headers={"Authorization": "Bearer a b"})
    assert malformed.status_code == 400
    assert 'error="invalid_request"' in malformed.headers["www-authenticate"]

    other = issuer.token("https://elsewhere.example.com", scope="write")
    assert request(app, "GET", "/mcp/", headers=bearer(other)).status_code == 401

    reader = issuer.token(RESOURCE, scope="read")
    forbidden = request(app, "GET", "/mcp/", headers=bearer(reader))
    assert forbidden.status_code == 403
    challenge = forbidden.headers["www-authenticate"]
    assert 'error="insufficient_scope"' in challenge and 'scope="write"' in challenge

    head = request(app, "HEAD", "/mcp/")
    assert head.status_code == 401 and head.content == b""


def test_duplicate_authorization_headers_are_refused(issuer: AuthServer) -> None:
    app, _ = build(issuer)
    token = issuer.token(RESOURCE)
    headers = [("Authorization", f"Bearer {token}"), ("Authorization", f"Bearer {token}")]
    assert request(app, "GET", "/mcp/", headers=headers).status_code == 400


def test_a_cors_preflight_passes_untouched(issuer: AuthServer) -> None:
    app, _ = build(issuer)
    preflight = {"Origin": "https://app.example", "Access-Control-Request-Method": "POST"}
    # The route has no OPTIONS handler: Starlette's 405, not our 401.
    assert request(app, "OPTIONS", "/mcp/", headers=preflight).status_code == 405


def test_custom_verifiers_sync_and_async(issuer: AuthServer) -> None:
    def identity(token: str, **overrides: Any) -> AuthInfo:
        fields: dict[str, Any] = {
            "token": token,
            "issuer": issuer.issuer,
            "client_id": "c",
            "scopes": ["read"],
            "subject": "bob",
            "audience": RESOURCE,
            "claims": {},
        }
        fields.update(overrides)
        return AuthInfo(**fields)

    def sync_verify(token: str) -> AuthInfo:
        return identity(token)

    async def async_verify(token: str) -> AuthInfo:
        await anyio.sleep(0)
        return identity(token)

    for verify in (sync_verify, async_verify):
        app, _ = build(issuer, verify)
        ok = request(app, "GET", "/mcp/", headers=bearer("opaque-token"))
        assert ok.status_code == 200 and ok.json()["sub"] == "bob"

    def untrusted(token: str) -> AuthInfo:
        return identity(token, issuer="https://evil.example.com")

    def other_audience(token: str) -> AuthInfo:
        return identity(token, audience="https://elsewhere.example.com")

    def expired(token: str) -> AuthInfo:
        return identity(token, expires_at=int(time.time()) - 3600)

    for verify in (untrusted, other_audience, expired):
        app, _ = build(issuer, verify)
        refused = request(app, "GET", "/mcp/", headers=bearer("opaque-token"))
        assert refused.status_code == 401, verify.__name__
        assert 'error="invalid_token"' in refused.headers["www-authenticate"]

    def scopes_missing(token: str) -> AuthInfo:
        details = MCPAuthBearerAuthExceptionDetails(missing_scopes=["write"])
        raise MCPAuthBearerAuthException(BearerAuthExceptionCode.MISSING_REQUIRED_SCOPES, details)

    def broken(token: str) -> AuthInfo:
        raise RuntimeError("boom opaque-token")

    app, _ = build(issuer, scopes_missing)
    assert request(app, "GET", "/mcp/", headers=bearer("opaque-token")).status_code == 403
    app, _ = build(issuer, broken)
    failed = request(app, "GET", "/mcp/", headers=bearer("opaque-token"))
    assert failed.status_code == 500 and b"opaque-token" not in failed.content


def test_metadata_router(issuer: AuthServer) -> None:
    app, _ = build(issuer)
    path = "/.well-known/oauth-protected-resource/mcp"
    document = request(app, "GET", path)
    assert document.status_code == 200
    assert document.json()["resource"] == RESOURCE
    assert document.json()["authorization_servers"] == [issuer.issuer]
    assert document.headers["access-control-allow-origin"] == "*"
    head = request(app, "HEAD", path)
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-length"] == document.headers["content-length"]
    preflight = request(app, "OPTIONS", path, headers={"Access-Control-Request-Headers": "x-a"})
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-headers"] == "x-a"
    post = request(app, "POST", path)
    assert post.status_code == 405 and post.headers["allow"] == "GET, HEAD, OPTIONS"


def test_lifespan_passes_through(issuer: AuthServer) -> None:
    _, mcp_auth = build(issuer)
    seen: list[str] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        seen.append(scope["type"])

    middleware = mcp_auth.bearer_auth_middleware("jwt", resource=RESOURCE)(app)

    async def receive() -> Any:
        raise AssertionError("not called")

    async def send(message: Any) -> None:
        raise AssertionError("not called")

    async def run() -> None:
        await middleware({"type": "lifespan"}, receive, send)

    anyio.run(run)
    assert seen == ["lifespan"]


def test_a_key_set_outage_is_503_not_401() -> None:
    with auth_server() as down:
        down.jwks_down = True
        app, _ = build(down)
        response = request(app, "GET", "/mcp/", headers=bearer(down.token(RESOURCE)))
        assert response.status_code == 503
        assert int(response.headers["retry-after"]) > 0
        assert response.json()["error"] == "server_error"
        assert "/jwks" in down.requests
