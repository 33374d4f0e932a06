"""The native Verifier against a JWKS served from this process (RS256)."""

from __future__ import annotations

import base64
import json

import pytest
from conftest import RESOURCE as AUDIENCE
from conftest import Signer

from mcp_auth_rs._native import NativeAuthError, Verifier

SCOPES = "read:todos write:todos"


@pytest.fixture(scope="module")
def verifier(auth_server: str) -> Verifier:
    options = {
        "issuers": [{"issuer": auth_server, "jwksUri": f"{auth_server}/jwks.json"}],
        "audiences": [AUDIENCE],
    }
    v = Verifier(json.dumps(options))
    v.prepare()
    return v


def test_valid_token_verifies(verifier: Verifier, sign: Signer, auth_server: str) -> None:
    token = sign(scope=SCOPES, tenant="t1")
    verified = verifier.verify_sync(token)
    assert verified["issuer"] == auth_server
    assert verified["subject"] == "user-1"
    assert verified["client_id"] == "client-1"
    assert verified["scopes"] == ["read:todos", "write:todos"]
    assert verified["audience"] == [AUDIENCE]
    assert verified["expires_at"] == verified["claims"]["exp"]
    assert verified["claims"]["tenant"] == "t1"
    # A second call is a cache hit with the same answer.
    assert verifier.verify_sync(token) == verified


def test_tampered_token_raises_bad_signature(verifier: Verifier, sign: Signer) -> None:
    header, payload, signature = sign(scope=SCOPES).split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["sub"] = "admin"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    with pytest.raises(NativeAuthError) as caught:
        verifier.verify_sync(f"{header}.{forged}.{signature}")
    assert caught.value.code == "bad_signature"
    assert caught.value.fault == "token"
    assert isinstance(caught.value.reason, str)
    assert "admin" not in str(caught.value)


def test_keys_not_loaded_before_prepare(auth_server: str, sign: Signer) -> None:
    # A fresh issuer URL (another path) has no cached key set yet.
    other = f"{auth_server}/other"
    options = {"issuers": [{"issuer": other, "jwksUri": f"{auth_server}/jwks.json?x=1"}]}
    v = Verifier(json.dumps({**options, "audiences": [AUDIENCE]}))
    with pytest.raises(NativeAuthError) as caught:
        v.verify_sync(sign(iss=other, scope=SCOPES))
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


def test_prepare_async(auth_server: str, sign: Signer) -> None:
    import asyncio

    options = {
        "issuers": [{"issuer": auth_server, "jwksUri": f"{auth_server}/jwks.json"}],
        "audiences": [AUDIENCE],
    }
    v = Verifier(json.dumps(options))
    asyncio.run(_prepare(v))
    assert v.verify_sync(sign(scope=SCOPES))["subject"] == "user-1"


async def _prepare(v: Verifier) -> None:
    # prepare_async needs the running loop, so it is called inside it.
    await v.prepare_async()
