"""The native Authenticator: one call per request, answered synchronously
when the core decides without I/O, an awaitable when keys must be fetched."""

from __future__ import annotations

import asyncio
import inspect
import itertools
import json
from collections.abc import Awaitable
from typing import Any

import pytest
from conftest import PRM, RESOURCE, Signer, accepted_fields

from mcp_auth_rs._native import Accepted, Answer, Authenticator, NativeAuthError, Verifier, Verify

SCOPE = "mcp:read"
INSUFFICIENT = "The token does not contain the necessary scopes for this request."
# A fresh JWKS URL per verifier that must start without cached keys.
_fresh = itertools.count()


def options(**overrides: Any) -> str:
    base: dict[str, Any] = {
        "resourceMetadataUrl": PRM,
        "requiredScopes": [SCOPE],
        "showErrorDetails": False,
        "maxTokenLength": 8192,
        "route": "jwt",
    }
    return json.dumps({**base, **overrides})


def verifier_for(issuer: str, jwks_query: str = "") -> Verifier:
    return Verifier(
        json.dumps(
            {
                "issuers": [{"issuer": issuer, "jwksUri": f"{issuer}/jwks.json{jwks_query}"}],
                "audiences": [RESOURCE],
            }
        )
    )


@pytest.fixture(scope="module")
def authenticator(auth_server: str) -> Authenticator:
    verifier = verifier_for(auth_server)
    verifier.prepare()
    return Authenticator(options(), verifier)


def bearer(token: str) -> list[str]:
    return ["Authorization", f"Bearer {token}"]


def call(a: Authenticator, headers: list[str], timed: bool = False) -> object:
    return a.authenticate("GET", "/mcp", None, headers, timed)


def answer_of(value: object) -> Answer:
    assert isinstance(value, Answer), f"expected an Answer, got {type(value).__name__}"
    return value


def header(answer: Answer, name: str) -> list[str]:
    return [v for n, v in answer.headers if n.lower() == name.lower()]


def invalid_token(description: str) -> str:
    return (
        f'Bearer error="invalid_token", error_description="{description}", '
        f'resource_metadata="{PRM}", scope="{SCOPE}"'
    )


def test_accepted_synchronously_as_the_node_json(
    authenticator: Authenticator, sign: Signer, auth_server: str
) -> None:
    token = sign(tenant="t1")
    value = call(authenticator, bearer(token))
    assert isinstance(value, str)
    # The core's array (accepted_json.rs `place`): claims, scheme, token
    # length, issuer, subject, client id, scopes, expiry; no trailing places.
    accepted = json.loads(value)
    assert len(accepted) == 8
    claims, scheme, length, issuer, subject, client_id, scopes, expires_at = accepted
    assert scheme == "bearer"
    assert length == len(token)
    assert issuer == auth_server
    assert subject == "user-1"
    assert client_id == "client-1"
    assert scopes == [SCOPE]
    assert expires_at == claims["exp"]
    assert claims["tenant"] == "t1"
    # Timed: the verifier's duration rides along, after a null effective-scopes place.
    timed = json.loads(str(call(authenticator, bearer(token), timed=True)))
    assert len(timed) == 10 and timed[8] is None
    assert isinstance(timed[9], float) and timed[9] >= 0


def test_hierarchy_adds_effective_scopes(auth_server: str, sign: Signer) -> None:
    verifier = verifier_for(auth_server)
    verifier.prepare()
    hierarchy = [{"scope": "mcp:admin", "implies": [SCOPE]}]
    a = Authenticator(options(scopeHierarchy=hierarchy), verifier)
    accepted = json.loads(str(call(a, bearer(sign(scope="mcp:admin")))))
    assert accepted[6] == ["mcp:admin"]
    assert accepted[8] == ["mcp:admin", SCOPE]


def test_expired_is_401_with_the_node_challenge(authenticator: Authenticator, sign: Signer) -> None:
    import time

    answer = answer_of(call(authenticator, bearer(sign(exp=int(time.time()) - 120)), timed=True))
    assert answer.status == 401
    assert header(answer, "WWW-Authenticate") == [invalid_token("The access token has expired.")]
    assert json.loads(answer.body) == {
        "error": "invalid_token",
        "error_description": "The access token has expired.",
    }
    assert answer.verify_valid is False
    assert answer.verify_ms is not None and answer.verify_ms >= 0
    assert isinstance(answer.reason, str)


def test_malformed_header_is_400(authenticator: Authenticator) -> None:
    answer = answer_of(call(authenticator, ["Authorization", "Bearer a b"]))
    assert answer.status == 400
    assert header(answer, "WWW-Authenticate") == [
        'Bearer error="invalid_request", error_description="The Authorization header must hold '
        f'one Bearer token.", resource_metadata="{PRM}", scope="{SCOPE}"'
    ]
    assert answer.verify_ms is None and answer.verify_valid is None


def test_duplicate_authorization_is_400(authenticator: Authenticator, sign: Signer) -> None:
    token = sign()
    answer = answer_of(call(authenticator, bearer(token) + bearer(token)))
    assert answer.status == 400
    assert json.loads(answer.body)["error_description"] == (
        "Only one Authorization header is allowed."
    )


def test_missing_header_is_a_bare_401(authenticator: Authenticator) -> None:
    answer = answer_of(call(authenticator, []))
    assert answer.status == 401
    assert header(answer, "WWW-Authenticate") == [
        f'Bearer resource_metadata="{PRM}", scope="{SCOPE}"'
    ]


def test_missing_scope_is_403(authenticator: Authenticator, sign: Signer) -> None:
    answer = answer_of(call(authenticator, bearer(sign(scope="other"))))
    assert answer.status == 403
    assert header(answer, "WWW-Authenticate") == [
        f'Bearer error="insufficient_scope", error_description="{INSUFFICIENT}", '
        f'resource_metadata="{PRM}", scope="{SCOPE}"'
    ]
    assert json.loads(answer.body)["missing_scopes"] == [SCOPE]


def test_first_request_before_keys_loaded_is_awaitable(auth_server: str, sign: Signer) -> None:
    a = Authenticator(options(), verifier_for(auth_server, f"?fresh={next(_fresh)}"))
    token = sign()

    async def first() -> object:
        value = call(a, bearer(token))
        assert inspect.isawaitable(value)
        awaited: Awaitable[object] = value
        return await awaited

    accepted = accepted_fields(str(asyncio.run(first())))
    assert accepted["subject"] == "user-1"
    assert accepted["tokenLength"] == len(token)
    # The keys are cached now: the next request is answered synchronously.
    assert isinstance(call(a, bearer(token)), str)


def test_caller_route_hands_the_token_back_then_finish(authenticator: Authenticator) -> None:
    a = Authenticator(options(route="caller"), None)
    verify = call(a, ["Authorization", "Bearer opaque-token"])
    assert isinstance(verify, Verify)
    assert (verify.token, verify.scheme, verify.proof) == ("opaque-token", "bearer", None)
    done = a.finish("bearer", False, None, None, "GET", "/mcp", verify.token, [SCOPE, "x"])
    assert isinstance(done, Accepted)
    assert done.scheme == "bearer"
    assert done.effective_scopes == [SCOPE, "x"]
    short = answer_of(a.finish("bearer", False, None, None, "GET", "/mcp", verify.token, []))
    assert short.status == 403
    # A Bearer token carrying a cnf claim is refused (RFC 9449 §6.1).
    bound = answer_of(a.finish("bearer", True, "jkt", None, "GET", "/mcp", "t", [SCOPE]))
    assert bound.status == 401


def test_refuse_kinds() -> None:
    a = Authenticator(options(route="caller"), None)
    coded = a.refuse("coded", code="expired", fault="token", reason="token expired", used="bearer")
    assert coded.status == 401
    assert header(coded, "WWW-Authenticate") == [invalid_token("The access token has expired.")]
    outage = a.refuse("coded", code="jwks_unavailable", fault="infrastructure", retry_after=7)
    assert outage.status == 503
    assert header(outage, "Retry-After") == ["7"]
    missing = a.refuse("missingScopes", missing=["mcp:write"])
    assert missing.status == 403
    assert json.loads(missing.body)["missing_scopes"] == ["mcp:write"]
    assert a.refuse("server", code="invalid_config", description="x").status == 500
    assert a.refuse("unexpected").status == 500
    assert a.refuse("described", code="invalid_token", message="nope").status == 401
    # Not a DPoP resource: a handler's own challenge is kept.
    assert a.rechallenge("bearer", 'Bearer error="insufficient_scope"') is None


def test_bad_options_are_typed_errors(auth_server: str) -> None:
    for bad, named in [
        (options(route="tokens"), "route"),
        (options(requiredScopes="mcp:read"), "requiredScopes"),
        (options(maxTokenLength=0), "maxTokenLength"),
        (options(extra=1), "extra"),
        ("{", "JSON"),
    ]:
        with pytest.raises(NativeAuthError) as caught:
            Authenticator(bad, None)
        assert caught.value.code == "invalid_config"
        assert named in caught.value.reason
    with pytest.raises(TypeError):
        Authenticator(options(), None, dpop=object())  # type: ignore[arg-type]
    a = Authenticator(options(route="caller"), None)
    with pytest.raises(NativeAuthError):
        a.finish("mac", False, None, None, "GET", "/mcp", "t", [])  # type: ignore[arg-type]
