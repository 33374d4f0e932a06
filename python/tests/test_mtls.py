"""RFC 8705 certificate-bound tokens through the ASGI middleware.

The TLS connection's certificate reaches the middleware the way the ASGI
TLS extension spec says (``scope["extensions"]["tls"]["client_cert_chain"]``,
PEM strings). uvicorn does not provide that extension, so the tests play
the server's part: a small ASGI wrapper sets it in the scope, and httpx's
ASGI transport drives the Starlette app through it. The proxy-header form
needs no server support and is sent as a plain header. Certificates are
made here with ``cryptography``.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import json
from collections.abc import Awaitable, Callable, MutableMapping
from contextvars import ContextVar
from typing import Any
from urllib.parse import quote

import anyio
import httpx
import pytest
from authserver import AuthServer
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Mount, Route

from mcp_auth_rs import MCPAuth
from mcp_auth_rs.config import AuthServerType
from mcp_auth_rs.exceptions import MCPAuthAuthServerException
from mcp_auth_rs.types import AuthInfo, ResourceServerConfig, ResourceServerMetadata
from mcp_auth_rs.utils import fetch_server_config

ORIGIN = "https://mcp.example.com"
TLS = f"{ORIGIN}/tls"
PROXIED = f"{ORIGIN}/proxied"
OFF = f"{ORIGIN}/off"
MISMATCH = "The access token is bound to a client certificate this request did not present."

Scope = MutableMapping[str, Any]
App = Callable[[Scope, Any, Any], Awaitable[None]]


def certificate(name: str) -> tuple[str, bytes, str]:
    """A self-signed client certificate: (PEM, DER, its x5t#S256)."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    der = cert.public_bytes(serialization.Encoding.DER)
    pem = cert.public_bytes(serialization.Encoding.PEM).decode()
    x5t = base64.urlsafe_b64encode(hashlib.sha256(der).digest()).rstrip(b"=").decode()
    return pem, der, x5t


ALICE = certificate("alice")
MALLORY = certificate("mallory")


def with_tls(app: App, chain: list[str] | None) -> App:
    """What a server with the ASGI TLS extension does: the client's chain in the scope."""

    async def serve(scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and chain is not None:
            tls = {"server_cert": None, "client_cert_chain": chain, "client_cert_name": None}
            scope = {**scope, "extensions": {**scope.get("extensions", {}), "tls": tls}}
        await app(scope, receive, send)

    return serve


def custom(token: str) -> AuthInfo:
    """A custom verifier that trusts the (test-signed) payload: the caller-verified path."""
    claims = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
    return AuthInfo(
        token=token,
        issuer=claims["iss"],
        client_id=claims.get("client_id"),
        scopes=claims.get("scope", "").split(),
        subject=claims["sub"],
        audience=claims["aud"],
        expires_at=claims["exp"],
        claims=claims,
    )


@pytest.fixture(scope="module")
def app(issuer: AuthServer) -> Starlette:
    server = fetch_server_config(issuer.issuer, AuthServerType.OIDC)

    def resource(url: str, **extra: Any) -> ResourceServerConfig:
        metadata = ResourceServerMetadata(resource=url, authorization_servers=[server])
        return ResourceServerConfig(metadata=metadata, **extra)

    var: ContextVar[AuthInfo | None] = ContextVar("mtls_auth", default=None)
    header = {"name": "X-Client-Cert", "format": "escaped-pem"}
    mcp_auth = MCPAuth(
        protected_resources=[
            resource(TLS, mtls={"connection": True}),
            resource(PROXIED, mtls={"proxy_header": header}),
            resource(OFF),
        ],
        context_var=var,
    )

    async def echo(request: Request) -> JSONResponse:
        auth = mcp_auth.auth_info
        assert auth is not None
        return JSONResponse({"sub": auth.subject})

    def mount(path: str, resource: str, mode: Any = "jwt") -> Mount:
        gate = Middleware(mcp_auth.bearer_auth_middleware(mode, resource=resource))
        return Mount(path, routes=[Route("/", echo)], middleware=[gate])

    return Starlette(
        routes=[
            *mcp_auth.resource_metadata_router().routes,
            mount("/tls", TLS),
            mount("/tls-custom", TLS, custom),
            mount("/proxied", PROXIED),
            mount("/off", OFF),
        ]
    )


def get(
    app: Starlette, path: str, *, client: tuple[str, bytes, str] | None = None, **kwargs: Any
) -> httpx.Response:
    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=with_tls(app, [client[0]] if client else None))
        async with httpx.AsyncClient(transport=transport, base_url=ORIGIN) as c:
            return await c.get(path, **kwargs)

    return anyio.run(go)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def assert_mismatch(response: httpx.Response) -> None:
    assert response.status_code == 401, response.text
    challenge = response.headers["www-authenticate"]
    assert challenge.startswith('Bearer error="invalid_token"'), challenge
    assert "resource_metadata=" in challenge
    assert response.json()["error_description"] == MISMATCH


@pytest.mark.parametrize("path", ["/tls/", "/tls-custom/"])
def test_the_connection_certificate(app: Starlette, issuer: AuthServer, path: str) -> None:
    bound = bearer(issuer.token(TLS, cnf={"x5t#S256": ALICE[2]}))
    assert get(app, path, client=ALICE, headers=bound).json() == {"sub": "user-1"}
    assert_mismatch(get(app, path, client=MALLORY, headers=bound))
    assert_mismatch(get(app, path, headers=bound))
    # An unbound token is unaffected, certificate or not.
    unbound = bearer(issuer.token(TLS))
    assert get(app, path, client=ALICE, headers=unbound).status_code == 200
    assert get(app, path, headers=unbound).status_code == 200


def test_a_malformed_chain_is_no_certificate(app: Starlette, issuer: AuthServer) -> None:
    bound = bearer(issuer.token(TLS, cnf={"x5t#S256": ALICE[2]}))
    broken = ("not a pem", b"", "")
    assert_mismatch(get(app, "/tls/", client=broken, headers=bound))


def test_the_trusted_proxy_header(app: Starlette, issuer: AuthServer) -> None:
    bound = bearer(issuer.token(PROXIED, cnf={"x5t#S256": ALICE[2]}))
    escaped = {"X-Client-Cert": quote(ALICE[0], safe="")}
    assert get(app, "/proxied/", headers={**bound, **escaped}).status_code == 200
    other = {"X-Client-Cert": quote(MALLORY[0], safe="")}
    assert_mismatch(get(app, "/proxied/", headers={**bound, **other}))
    assert_mismatch(get(app, "/proxied/", headers=bound))
    # The connection is not read where only the header is configured.
    assert_mismatch(get(app, "/proxied/", client=ALICE, headers=bound))


def test_without_mtls_the_header_and_connection_are_ignored(
    app: Starlette, issuer: AuthServer
) -> None:
    escaped = {"X-Client-Cert": quote(ALICE[0], safe="")}
    bound = bearer(issuer.token(OFF, cnf={"x5t#S256": ALICE[2]}))
    assert_mismatch(get(app, "/off/", client=ALICE, headers={**bound, **escaped}))
    assert get(app, "/off/", headers={**bearer(issuer.token(OFF)), **escaped}).status_code == 200


def test_the_metadata_advertises_it(app: Starlette) -> None:
    def document(path: str) -> dict[str, Any]:
        response = get(app, f"/.well-known/oauth-protected-resource{path}")
        assert response.status_code == 200
        body: dict[str, Any] = response.json()
        return body

    assert document("/tls")["tls_client_certificate_bound_access_tokens"] is True
    assert document("/proxied")["tls_client_certificate_bound_access_tokens"] is True
    assert "tls_client_certificate_bound_access_tokens" not in document("/off")


def test_a_bad_option_is_refused_by_name(issuer: AuthServer) -> None:
    server = fetch_server_config(issuer.issuer, AuthServerType.OIDC)
    for mtls, says in [
        ({}, "`mtls` must set"),
        ({"proxy_header": {"name": "Authorization", "format": "xfcc"}}, "proxyHeader.name"),
        ({"proxy_header": {"name": "X-Cert", "format": "pem"}}, "proxyHeader.format"),
    ]:
        metadata = ResourceServerMetadata(resource=TLS, authorization_servers=[server])
        config = ResourceServerConfig(metadata=metadata, mtls=mtls)  # type: ignore[arg-type]
        mcp_auth = MCPAuth(protected_resources=config)
        with pytest.raises(MCPAuthAuthServerException) as raised:
            mcp_auth.bearer_auth_middleware("jwt", resource=TLS)
        assert says in str(raised.value.cause), raised.value.cause
