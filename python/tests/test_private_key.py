"""``introspection.private_key`` for ``private_key_jwt``: PEM (PKCS#8, PKCS#1,
SEC1; str or bytes) or a private JWK dict, as the Node package accepts. The
endpoint checks each call's assertion with the public key."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Any

import jwt
import pytest
from authserver import RESOURCE, b64url, introspection_server
from authserver import AuthServer as IntrospectionServer
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from modeskit import app_for, bearer, new_auth, server_config

from mcp_auth_rs import MCPAuth
from mcp_auth_rs.config import AuthServerType
from mcp_auth_rs.exceptions import MCPAuthAuthServerException

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey


@pytest.fixture()
def endpoint() -> Iterator[IntrospectionServer]:
    with introspection_server() as server:
        yield server


def auth_for(endpoint: IntrospectionServer) -> MCPAuth:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the endpoint's metadata lacks PKCE: a warning
        return new_auth([server_config(endpoint.issuer, AuthServerType.OAUTH)])


def uint(n: int, size: int | None = None) -> str:
    return b64url(n.to_bytes(size or (n.bit_length() + 7) // 8, "big"))


def private_jwk(key: PrivateKey) -> dict[str, Any]:
    if isinstance(key, rsa.RSAPrivateKey):
        p = key.private_numbers()
        return {
            "kty": "RSA",
            "n": uint(p.public_numbers.n),
            "e": uint(p.public_numbers.e),
            "d": uint(p.d),
            "p": uint(p.p),
            "q": uint(p.q),
            "dp": uint(p.dmp1),
            "dq": uint(p.dmq1),
            "qi": uint(p.iqmp),
        }
    if isinstance(key, ec.EllipticCurvePrivateKey):
        numbers = key.private_numbers()
        return {
            "kty": "EC",
            "crv": "P-256",
            "x": uint(numbers.public_numbers.x, 32),
            "y": uint(numbers.public_numbers.y, 32),
            "d": uint(numbers.private_value, 32),
            "ext": True,  # as WebCrypto exports it: other members are ignored
        }
    raw = serialization.Encoding.Raw
    return {
        "kty": "OKP",
        "crv": "Ed25519",
        "x": b64url(key.public_key().public_bytes(raw, serialization.PublicFormat.Raw)),
        "d": b64url(
            key.private_bytes(raw, serialization.PrivateFormat.Raw, serialization.NoEncryption())
        ),
    }


def pem(key: PrivateKey, form: serialization.PrivateFormat) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, form, serialization.NoEncryption())


def accepted_with(endpoint: IntrospectionServer, key: Any, algorithm: str, public: Any) -> None:
    app = app_for(
        auth_for(endpoint),
        "introspection",
        introspection={"client_id": "rs", "private_key": key, "key_id": "k1"},
    )
    assert bearer(app, "good-1").status_code == 200
    (form,) = endpoint.forms
    assert form["client_assertion_type"] == [
        "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
    ]
    assertion = form["client_assertion"][0]
    assert jwt.get_unverified_header(assertion) == {"alg": algorithm, "typ": "JWT", "kid": "k1"}
    claims = jwt.decode(assertion, public, algorithms=[algorithm], audience=endpoint.issuer)
    assert claims["iss"] == claims["sub"] == "rs"
    endpoint.forms.clear()


def test_a_private_jwk_signs_the_assertions(endpoint: IntrospectionServer) -> None:
    keys: list[tuple[PrivateKey, str]] = [
        (rsa.generate_private_key(public_exponent=65537, key_size=2048), "RS256"),
        (ec.generate_private_key(ec.SECP256R1()), "ES256"),
        (ed25519.Ed25519PrivateKey.generate(), "EdDSA"),
    ]
    for key, algorithm in keys:
        accepted_with(endpoint, private_jwk(key), algorithm, key.public_key())


def test_every_pem_form_signs_the_assertions(endpoint: IntrospectionServer) -> None:
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ec_key = ec.generate_private_key(ec.SECP256R1())
    pkcs8 = serialization.PrivateFormat.PKCS8
    traditional = serialization.PrivateFormat.TraditionalOpenSSL  # PKCS#1 / SEC1
    assert pem(rsa_key, traditional).startswith(b"-----BEGIN RSA PRIVATE KEY-----")
    assert pem(ec_key, traditional).startswith(b"-----BEGIN EC PRIVATE KEY-----")
    accepted_with(endpoint, pem(rsa_key, pkcs8).decode(), "RS256", rsa_key.public_key())
    accepted_with(endpoint, pem(rsa_key, traditional), "RS256", rsa_key.public_key())
    accepted_with(endpoint, pem(ec_key, traditional).decode(), "ES256", ec_key.public_key())


def test_other_keys_are_refused_without_showing_them(endpoint: IntrospectionServer) -> None:
    mcp_auth = auth_for(endpoint)
    key = ec.generate_private_key(ec.SECP256R1())
    jwk = private_jwk(key)
    public = {name: value for name, value in jwk.items() if name != "d"}
    encrypted = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"pass"),
    )
    bad_keys: list[Any] = [public, {**jwk, "crv": "P-384"}, encrypted, 42, b"\xff\xfe"]
    for bad in bad_keys:
        with pytest.raises(MCPAuthAuthServerException) as caught:
            mcp_auth.bearer_auth_middleware(
                "introspection",
                resource=RESOURCE,
                introspection={"client_id": "rs", "private_key": bad},
            )
        shown = str(caught.value.to_json(True))
        assert "privateKey`" in shown or "private_key`" in shown
        assert jwk["d"] not in shown and jwk["x"] not in shown
