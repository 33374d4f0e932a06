"""'introspection', 'auto', DPoP and events through ``MCPAuth.bearer_auth_middleware``
(in process): the public options reach the core, and the core decides."""

from __future__ import annotations

import hashlib
import json
import warnings
from typing import Any

import pytest
from authserver import RESOURCE, AuthServer
from fleetkit import ProofKey
from modeskit import PRM, app_for, bearer, call, new_auth, server_config, with_proof
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.responses import Response
from starlette.routing import Route

from mcp_auth_rs import MCPAuth, redis_store
from mcp_auth_rs.config import AuthServerType
from mcp_auth_rs.events import AuthEvent
from mcp_auth_rs.exceptions import MCPAuthAuthServerException
from mcp_auth_rs.introspection import IntrospectionOptions
from mcp_auth_rs.middleware.asgi import BearerAuthMiddleware
from mcp_auth_rs.store import RedisStore

CLIENT: IntrospectionOptions = {"client_id": "rs", "client_secret": "s3cret"}


def introspecting(endpoint: AuthServer, **options: Any) -> MCPAuth:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the endpoint's metadata lacks PKCE: a warning
        return new_auth([server_config(endpoint.issuer, AuthServerType.OAUTH)], **options)


def reason(error: pytest.ExceptionInfo[MCPAuthAuthServerException]) -> str:
    cause = error.value.cause
    assert isinstance(cause, dict)
    text: str = cause["error_description"]
    return text


def test_introspection_asks_the_endpoint_once_per_token(endpoint: AuthServer) -> None:
    app = app_for(introspecting(endpoint), "introspection", introspection=CLIENT)
    for _ in range(2):
        response = bearer(app, "good-1")
        assert response.status_code == 200
        assert response.json()["sub"] == "user-of-good-1"
        assert response.json()["issuer"] == endpoint.issuer
    refused = bearer(app, "revoked")
    assert refused.status_code == 401
    assert 'error="invalid_token"' in refused.headers["www-authenticate"]
    # The endpoint comes from the metadata's introspection_endpoint; the local cache answers after.
    assert endpoint.tokens == ["good-1", "revoked"]


def test_introspection_options_are_the_cores(endpoint: AuthServer) -> None:
    mcp_auth = introspecting(endpoint)
    with pytest.raises(MCPAuthAuthServerException) as missing:
        mcp_auth.bearer_auth_middleware("introspection", resource=RESOURCE)
    assert "client_id" in reason(missing)
    with pytest.raises(MCPAuthAuthServerException) as out_of_range:
        mcp_auth.bearer_auth_middleware(
            "introspection", resource=RESOURCE, introspection={**CLIENT, "timeout": 0}
        )
    assert "timeout" in reason(out_of_range)
    with pytest.raises(MCPAuthAuthServerException) as unknown:
        mcp_auth.bearer_auth_middleware(
            "introspection",
            resource=RESOURCE,
            introspection={**CLIENT, "cache_max_ages": 1},  # type: ignore[arg-type]
        )
    assert "cacheMaxAges" in reason(unknown)
    with pytest.raises(MCPAuthAuthServerException) as untrusted:
        mcp_auth.bearer_auth_middleware(
            "introspection",
            resource=RESOURCE,
            introspection={**CLIENT, "issuer": "https://other.example.com"},
        )
    assert "not a configured authorization server" in reason(untrusted)


def test_secrets_are_never_shown(endpoint: AuthServer) -> None:
    mcp_auth = introspecting(endpoint)
    store = redis_store("redis://127.0.0.1:1")
    cases: list[dict[str, Any]] = [
        {"client_id": "rs", "client_secret": 987654321},
        {**CLIENT, "store": store},
        {**CLIENT, "store": store, "store_secret": "short-secret-value"},
        {**CLIENT, "store": store, "store_secret": 13572468},
    ]
    for options in cases:
        with pytest.raises(MCPAuthAuthServerException) as caught:
            mcp_auth.bearer_auth_middleware(
                "introspection",
                resource=RESOURCE,
                introspection=options,  # type: ignore[arg-type]
            )
        shown = str(caught.value) + json.dumps(caught.value.to_json(True), default=str)
        for secret in ("987654321", "short-secret-value", "13572468", "s3cret"):
            assert secret not in shown
    with pytest.raises(MCPAuthAuthServerException) as bad_url:
        redis_store("redis://user:hunter2-password@127.0.0.1:1", connect_timeout=0)
    assert "connectTimeout" in reason(bad_url)
    assert "hunter2" not in str(bad_url.value.to_json(True))
    assert "hunter2" not in repr(redis_store("redis://user:hunter2-password@127.0.0.1:1"))
    assert isinstance(redis_store({"url": "redis://127.0.0.1:1", "prefix": "p:"}), RedisStore)


def test_auto_verifies_trusted_jwts_locally_and_introspects_the_rest(
    issuer: AuthServer, endpoint: AuthServer
) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # A jwks_uri for the second server too ('auto' builds one verifier for both); never fetched.
        servers = [
            server_config(issuer.issuer, AuthServerType.OIDC),
            server_config(
                endpoint.issuer, AuthServerType.OAUTH, jwks_uri=f"{endpoint.issuer}/jwks"
            ),
        ]
        mcp_auth = new_auth(servers)
    app = app_for(mcp_auth, "auto", introspection={**CLIENT, "issuer": endpoint.issuer})
    jwt = bearer(app, issuer.token(RESOURCE, subject="carol", scope="mcp:read"))
    assert jwt.status_code == 200
    assert jwt.json()["sub"] == "carol"
    forged = issuer.token(RESOURCE, subject="mallory", exp=1)
    assert bearer(app, forged).status_code == 401, "expired: refused, not a second opinion"
    opaque = bearer(app, "good-opaque")
    assert opaque.status_code == 200
    assert opaque.json()["issuer"] == endpoint.issuer
    assert endpoint.tokens == ["good-opaque"], "only the opaque token reaches the endpoint"


def test_dpop_is_allowed_by_default_and_proofs_are_used_up(issuer: AuthServer) -> None:
    mcp_auth = new_auth([server_config(issuer.issuer, AuthServerType.OIDC)])
    document = call(app_for(mcp_auth, "jwt"), "/.well-known/oauth-protected-resource/mcp").json()
    assert "ES256" in document["dpop_signing_alg_values_supported"]
    assert "dpop_bound_access_tokens_required" not in document
    # Two middleware of one resource share its replay cache.
    first, second = app_for(mcp_auth, "jwt"), app_for(mcp_auth, "jwt")
    key = ProofKey()
    token = issuer.token(RESOURCE, scope="read", cnf={"jkt": key.jkt})
    proof = key.proof("GET", RESOURCE, token)
    assert with_proof(first, token, proof).status_code == 200
    replay = with_proof(second, token, proof)
    assert replay.status_code == 401
    assert 'error="invalid_dpop_proof"' in replay.headers["www-authenticate"]
    assert with_proof(second, token, key.proof("GET", RESOURCE, token)).status_code == 200
    as_bearer = bearer(first, token)
    assert as_bearer.status_code == 401, "a bound token is never a bearer token"
    assert bearer(first, issuer.token(RESOURCE)).status_code == 200


def test_dpop_required_and_off_shape_the_document_and_challenges(issuer: AuthServer) -> None:
    servers = [server_config(issuer.issuer, AuthServerType.OIDC)]
    required = new_auth(servers, dpop={"mode": "required", "algorithms": ["ES256"]})
    app = app_for(required, "jwt")
    document = call(app, "/.well-known/oauth-protected-resource/mcp").json()
    assert document["dpop_signing_alg_values_supported"] == ["ES256"]
    assert document["dpop_bound_access_tokens_required"] is True
    refused = bearer(app, issuer.token(RESOURCE))
    assert refused.status_code == 401
    assert refused.headers["www-authenticate"].startswith('DPoP algs="ES256"')
    key = ProofKey()
    token = issuer.token(RESOURCE, cnf={"jkt": key.jkt})
    assert with_proof(app, token, key.proof("GET", RESOURCE, token)).status_code == 200

    off = app_for(new_auth(servers, dpop="off"), "jwt")
    assert (
        "dpop_signing_alg_values_supported"
        not in call(off, "/.well-known/oauth-protected-resource/mcp").json()
    )
    assert call(off).headers["www-authenticate"] == f'Bearer resource_metadata="{PRM}"'


def test_dpop_options_are_the_cores(issuer: AuthServer) -> None:
    servers = [server_config(issuer.issuer, AuthServerType.OIDC)]
    with pytest.raises(MCPAuthAuthServerException) as window:
        new_auth(servers, dpop={"iat_window": 0})
    assert "dpop.iatWindow" in reason(window)
    with pytest.raises(MCPAuthAuthServerException) as mode:
        new_auth(servers, dpop="sometimes")
    assert "'off', 'allowed' or 'required'" in reason(mode)
    with pytest.raises(MCPAuthAuthServerException) as secret:
        new_auth(servers, dpop={"nonce": {"secret": 31415926535}})
    assert "31415926535" not in str(secret.value.to_json(True))
    nonces = new_auth(servers, dpop={"nonce": {"secret": "n" * 32, "lifetime": 60}})
    key = ProofKey()
    token = issuer.token(RESOURCE, cnf={"jkt": key.jkt})
    asked = with_proof(app_for(nonces, "jwt"), token, key.proof("GET", RESOURCE, token))
    assert asked.status_code == 401
    assert 'error="use_dpop_nonce"' in asked.headers["www-authenticate"]
    assert asked.headers.get("dpop-nonce")
    # With protected resources, DPoP is the resource's setting (as in Node).
    with pytest.raises(MCPAuthAuthServerException):
        new_auth(servers).bearer_auth_middleware("jwt", resource=RESOURCE, dpop="required")


def test_events_name_tokens_by_hash_only(issuer: AuthServer) -> None:
    everywhere: list[AuthEvent] = []
    here: list[AuthEvent] = []

    def broken(event: AuthEvent) -> None:
        raise RuntimeError("a listener's bug")

    mcp_auth = new_auth(
        [server_config(issuer.issuer, AuthServerType.OIDC)], on_auth_event=everywhere.append
    )
    gate = mcp_auth.bearer_auth_middleware("jwt", resource=RESOURCE, on_auth_event=here.append)
    app = app_for(mcp_auth, "jwt", on_auth_event=broken)
    token = issuer.token(RESOURCE, subject="dave")
    assert bearer(app, token).status_code == 200, "a raising listener changes nothing"
    assert bearer(app, issuer.token("https://elsewhere.example.com")).status_code == 401
    assert call(app).status_code == 401
    # Key-set events depend on the process-wide cache; verifications come one per token.
    timings = [event for event in everywhere if event["type"] == "verification"]
    assert [t["valid"] for t in timings] == [True, False]
    verdicts = [event for event in everywhere if event["type"] in ("accepted", "rejected")]
    assert verdicts == [
        {
            "type": "accepted",
            "resource": RESOURCE,
            "issuer": issuer.issuer,
            "subject": "dave",
            "client_id": "test-client",
            "token_id": "sha256:" + hashlib.sha256(token.encode()).hexdigest()[:16],
        },
        {
            "type": "rejected",
            "resource": RESOURCE,
            "status": 401,
            "error": "invalid_token",
            "reason": "audience_mismatch",
        },
        {
            "type": "rejected",
            "resource": RESOURCE,
            "status": 401,
            "error": None,
            "reason": "missing_authorization",
        },
    ]
    assert token not in json.dumps(everywhere)
    assert here == [] and gate is not None, "a middleware's own listener hears only it"


def only(gate: type[BearerAuthMiddleware]) -> Starlette:
    return Starlette(
        routes=[Route("/mcp", lambda _: Response("ok"), middleware=[Middleware(gate)])]
    )


def test_legacy_server_mode_takes_dpop_on_the_middleware(issuer: AuthServer) -> None:
    mcp_auth = MCPAuth(server=server_config(issuer.issuer, AuthServerType.OIDC))
    gate = mcp_auth.bearer_auth_middleware("jwt", resource=RESOURCE, dpop="required")
    app = only(gate)
    assert call(app, authorization=f"Bearer {issuer.token(RESOURCE)}").status_code == 401
    key = ProofKey()
    token = issuer.token(RESOURCE, cnf={"jkt": key.jkt})
    assert with_proof(app, token, key.proof("GET", RESOURCE, token)).status_code == 200
    # Off by default there: the DPoP scheme is not taken.
    plain = mcp_auth.bearer_auth_middleware("jwt", resource=RESOURCE)
    app = Starlette(
        routes=[Route("/mcp", lambda _: Response("ok"), middleware=[Middleware(plain)])]
    )
    assert "DPoP" not in call(app).headers["www-authenticate"]
    with pytest.raises(MCPAuthAuthServerException) as caught, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # any audience: the warning is not this test's subject
        mcp_auth.bearer_auth_middleware("jwt", dpop="allowed")
    assert "needs `resource`" in reason(caught)
