"""The native Verifier against a JWKS served from this process (RS256)."""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from mcp_auth_rs._native import NativeAuthError, Verifier

AUDIENCE = "https://mcp.example.com/mcp"
KID = "rsa-1"


def b64url_uint(n: int) -> str:
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@pytest.fixture(scope="module")
def key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def issuer(key: rsa.RSAPrivateKey) -> Iterator[str]:
    """Serves the key's JWKS on loopback; yields the issuer URL."""
    numbers = key.public_key().public_numbers()
    jwks = {
        "keys": [
            {
                "kty": "RSA",
                "kid": KID,
                "use": "sig",
                "alg": "RS256",
                "n": b64url_uint(numbers.n),
                "e": b64url_uint(numbers.e),
            }
        ]
    }
    body = json.dumps(jwks).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            status = 200 if self.path == "/jwks.json" else 404
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body) if status == 200 else 0))
            self.end_headers()
            if status == 200:
                self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def verifier(issuer: str) -> Verifier:
    options = {
        "issuers": [{"issuer": issuer, "jwksUri": f"{issuer}/jwks.json"}],
        "audiences": [AUDIENCE],
    }
    v = Verifier(json.dumps(options))
    v.prepare()
    return v


def sign(key: rsa.RSAPrivateKey, issuer: str, **extra: Any) -> str:
    now = int(time.time())
    claims = {
        "iss": issuer,
        "aud": AUDIENCE,
        "sub": "user-1",
        "client_id": "client-1",
        "scope": "read:todos write:todos",
        "iat": now,
        "exp": now + 300,
        **extra,
    }
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": KID})


def test_valid_token_verifies(verifier: Verifier, key: rsa.RSAPrivateKey, issuer: str) -> None:
    token = sign(key, issuer, tenant="t1")
    verified = verifier.verify_sync(token)
    assert verified["issuer"] == issuer
    assert verified["subject"] == "user-1"
    assert verified["client_id"] == "client-1"
    assert verified["scopes"] == ["read:todos", "write:todos"]
    assert verified["audience"] == [AUDIENCE]
    assert verified["expires_at"] == verified["claims"]["exp"]
    assert verified["claims"]["tenant"] == "t1"
    # A second call is a cache hit with the same answer.
    assert verifier.verify_sync(token) == verified


def test_tampered_token_raises_bad_signature(
    verifier: Verifier, key: rsa.RSAPrivateKey, issuer: str
) -> None:
    header, payload, signature = sign(key, issuer).split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["sub"] = "admin"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    with pytest.raises(NativeAuthError) as caught:
        verifier.verify_sync(f"{header}.{forged}.{signature}")
    assert caught.value.code == "bad_signature"
    assert caught.value.fault == "token"
    assert isinstance(caught.value.reason, str)
    assert "admin" not in str(caught.value)


def test_keys_not_loaded_before_prepare(issuer: str, key: rsa.RSAPrivateKey) -> None:
    # A fresh issuer URL (another path) has no cached key set yet.
    other = f"{issuer}/other"
    options = {"issuers": [{"issuer": other, "jwksUri": f"{issuer}/jwks.json?x=1"}]}
    v = Verifier(json.dumps({**options, "audiences": [AUDIENCE]}))
    with pytest.raises(NativeAuthError) as caught:
        v.verify_sync(sign(key, other))
    assert caught.value.code == "keys_not_loaded"
    assert caught.value.fault == "infrastructure"
    assert caught.value.retry_after == 1


def test_bad_options_raise_invalid_config() -> None:
    with pytest.raises(NativeAuthError) as caught:
        Verifier(json.dumps({"issuers": [], "audiences": [AUDIENCE], "nope": 1}))
    assert caught.value.code == "invalid_config"
    with pytest.raises(NativeAuthError) as caught:
        Verifier("{not json")
    assert caught.value.code == "invalid_config"


def test_prepare_async(issuer: str, key: rsa.RSAPrivateKey) -> None:
    import asyncio

    options = {
        "issuers": [{"issuer": issuer, "jwksUri": f"{issuer}/jwks.json"}],
        "audiences": [AUDIENCE],
    }
    v = Verifier(json.dumps(options))
    asyncio.run(_prepare(v))
    assert v.verify_sync(sign(key, issuer))["subject"] == "user-1"


async def _prepare(v: Verifier) -> None:
    # prepare_async needs the running loop, so it is called inside it.
    await v.prepare_async()
