"""Two ``MCPAuth`` instances (separate local caches) on one real redis-server
through the public options: ``redis_store`` as ``store=`` with
``store_secret=`` shares introspection verdicts, and ``dpop={"store": …}``
shares DPoP replay markers; store events reach ``on_auth_event``."""

from __future__ import annotations

import time
import warnings
from collections.abc import Iterator

import pytest
from authserver import RESOURCE, AuthServer
from fleetkit import ProofKey, Redis
from fleetkit import redis_server as start_redis
from modeskit import app_for, bearer, new_auth, server_config, with_proof
from starlette.applications import Starlette
from test_native_redis_fleet import token_hash

from mcp_auth_rs import MCPAuth, redis_store
from mcp_auth_rs.config import AuthServerType
from mcp_auth_rs.events import AuthEvent
from mcp_auth_rs.introspection import IntrospectionOptions

SECRET = "fleet-secret-for-tests-0123456789abcdef"


@pytest.fixture(scope="module")
def redis() -> Iterator[Redis]:
    with start_redis() as server:
        yield server


def member(endpoint: AuthServer, redis: Redis, events: list[AuthEvent]) -> MCPAuth:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return new_auth(
            [server_config(endpoint.issuer, AuthServerType.OAUTH)], on_auth_event=events.append
        )


def introspecting(mcp_auth: MCPAuth, redis: Redis) -> Starlette:
    store = redis_store(redis.url, prefix="api:", reconnect_max_delay=200)
    options: IntrospectionOptions = {
        "client_id": "rs",
        "client_secret": "s3cret",
        "store": store,
        "store_secret": SECRET,
        "store_timeout": 2000,
    }
    return app_for(mcp_auth, "introspection", introspection=options)


def test_two_instances_share_verdicts_and_refuse_forged_records(
    endpoint: AuthServer, redis: Redis
) -> None:
    events: list[AuthEvent] = []
    one = introspecting(member(endpoint, redis, []), redis)
    two = introspecting(member(endpoint, redis, events), redis)
    assert bearer(one, "good-x").status_code == 200
    assert bearer(two, "good-x").json()["sub"] == "user-of-good-x"
    assert endpoint.calls == 1, "the second instance read the first one's record"

    [known] = [
        k for k in redis.command("KEYS", "api:introspection:*") if k.endswith(token_hash("good-x"))
    ]
    forged = known[: -len(token_hash("good-x"))] + token_hash("bad-forged")
    redis.command("SET", forged, "A" * 43 + "." + redis.command("GET", known)[44:], "PX", "60000")
    assert bearer(two, "bad-forged").status_code == 401
    assert endpoint.calls == 2, "a forged record is a miss: the endpoint decides"
    deadline = time.monotonic() + 5
    while not any(e["type"] == "store_record_rejected" for e in events):
        assert time.monotonic() < deadline, events
        time.sleep(0.02)
    assert {"type": "store_record_rejected", "reason": "bad_mac"} in events


def test_two_instances_share_dpop_replay_markers(issuer: AuthServer, redis: Redis) -> None:
    store = redis_store({"url": redis.url, "prefix": "api:"})
    servers = [server_config(issuer.issuer, AuthServerType.OIDC)]
    one, two = (
        app_for(new_auth(servers, dpop={"store": store, "store_timeout": 2000}), "jwt")
        for _ in range(2)
    )
    key = ProofKey()
    token = issuer.token(RESOURCE, cnf={"jkt": key.jkt})
    proof = key.proof("GET", RESOURCE, token)
    assert with_proof(one, token, proof).status_code == 200
    replay = with_proof(two, token, proof)
    assert replay.status_code == 401
    assert 'error="invalid_dpop_proof"' in replay.headers["www-authenticate"]
    assert redis.command("KEYS", "api:dpop:*")
