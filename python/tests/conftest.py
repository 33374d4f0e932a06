"""A loopback authorization server (metadata and JWKS) and JWT signing, shared by the tests."""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

RESOURCE = "https://mcp.example.com/mcp"
PRM = "https://mcp.example.com/.well-known/oauth-protected-resource/mcp"
KID = "rsa-auth"
OAUTH_WELL_KNOWN = "/.well-known/oauth-authorization-server"

Signer = Callable[..., str]


def _b64url_uint(n: int) -> str:
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@pytest.fixture(scope="session")
def signing_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="session")
def auth_server(signing_key: rsa.RSAPrivateKey) -> Iterator[str]:
    """Serves RFC 8414 metadata for `{base}{path}` at
    `/.well-known/oauth-authorization-server{path}` (the path `/mismatch`
    names another issuer) and the key's JWKS at `/jwks.json` (any query).
    Yields the base URL, which is also an issuer."""
    numbers = signing_key.public_key().public_numbers()
    jwks = {
        "keys": [
            {
                "kty": "RSA",
                "kid": KID,
                "use": "sig",
                "alg": "RS256",
                "n": _b64url_uint(numbers.n),
                "e": _b64url_uint(numbers.e),
            }
        ]
    }

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            base = f"http://127.0.0.1:{port}"
            path, _, _ = self.path.partition("?")
            document: dict[str, Any] | None = None
            if path == "/jwks.json":
                document = jwks
            elif path.startswith(OAUTH_WELL_KNOWN):
                suffix = path[len(OAUTH_WELL_KNOWN) :]
                issuer = base + ("/other" if suffix == "/mismatch" else suffix)
                document = {
                    "issuer": issuer,
                    "authorization_endpoint": f"{issuer}/authorize",
                    "token_endpoint": f"{issuer}/token",
                    "jwks_uri": f"{base}/jwks.json",
                    "response_types_supported": ["code"],
                    "code_challenge_methods_supported": ["S256"],
                }
            body = json.dumps(document).encode() if document is not None else b""
            self.send_response(200 if document is not None else 404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    port = server.server_port
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="session")
def sign(signing_key: rsa.RSAPrivateKey, auth_server: str) -> Signer:
    """Signs an access token for RESOURCE from `auth_server`; keywords override claims."""

    def signer(**extra: Any) -> str:
        now = int(time.time())
        claims = {
            "iss": auth_server,
            "aud": RESOURCE,
            "sub": "user-1",
            "client_id": "client-1",
            "scope": "mcp:read",
            "iat": now,
            "exp": now + 300,
            **extra,
        }
        return jwt.encode(claims, signing_key, algorithm="RS256", headers={"kid": KID})

    return signer
