"""A loopback OpenID Provider for tests: discovery, a JWKS, and RS256 tokens.

Only what a resource server reads: ``/.well-known/openid-configuration``
(with the exact ``issuer``) and the key set. Tokens are signed here.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

KID = "test-rsa-1"


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _uint(n: int) -> str:
    return b64url(n.to_bytes((n.bit_length() + 7) // 8, "big"))


class AuthServer:
    """Issuer URL, request count and a signer for one RSA key."""

    def __init__(self, issuer: str, key: rsa.RSAPrivateKey) -> None:
        self.issuer = issuer
        self.key = key
        self.requests: list[str] = []
        #: When set, the key set answers 503: an outage.
        self.jwks_down = False

    def sign(self, claims: dict[str, Any], *, typ: str = "at+jwt") -> str:
        header = {"alg": "RS256", "kid": KID, "typ": typ}
        signing_input = (
            f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(claims).encode())}"
        )
        signature = self.key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
        return f"{signing_input}.{b64url(signature)}"

    def token(
        self,
        audience: str,
        *,
        subject: str = "user-1",
        scope: str = "",
        ttl: int = 3600,
        **extra: Any,
    ) -> str:
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "sub": subject,
            "aud": audience,
            "iat": now,
            "exp": now + ttl,
            "client_id": "test-client",
            "scope": scope,
            "jti": f"{subject}-{time.monotonic_ns()}",
        }
        claims.update(extra)
        return self.sign(claims)


@contextmanager
def auth_server() -> Iterator[AuthServer]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    numbers = key.public_key().public_numbers()
    jwks = json.dumps(
        {
            "keys": [
                {
                    "kty": "RSA",
                    "kid": KID,
                    "use": "sig",
                    "alg": "RS256",
                    "n": _uint(numbers.n),
                    "e": _uint(numbers.e),
                }
            ]
        }
    ).encode()
    state: dict[str, Any] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            server: AuthServer = state["server"]
            server.requests.append(self.path)
            if self.path == "/.well-known/openid-configuration":
                body = json.dumps(
                    {
                        "issuer": server.issuer,
                        "authorization_endpoint": f"{server.issuer}/authorize",
                        "token_endpoint": f"{server.issuer}/token",
                        "jwks_uri": f"{server.issuer}/jwks",
                        "registration_endpoint": f"{server.issuer}/register",
                        "response_types_supported": ["code"],
                        "grant_types_supported": ["authorization_code"],
                        "code_challenge_methods_supported": ["S256"],
                        "subject_types_supported": ["public"],
                        "id_token_signing_alg_values_supported": ["RS256"],
                    }
                ).encode()
            elif self.path == "/jwks" and server.jwks_down:
                self.send_response(503)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            elif self.path == "/jwks":
                body = jwks
            else:
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state["server"] = AuthServer(f"http://127.0.0.1:{httpd.server_address[1]}", key)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield state["server"]
    finally:
        httpd.shutdown()
        httpd.server_close()
