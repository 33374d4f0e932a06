"""A fleet on a real redis-server through the core's own client
(`RedisStore`): two Authenticators of this process with separate local
caches share introspection verdicts (one endpoint call for both) and DPoP
replay markers (a proof used at one is refused at the other); a record
not signed with the fleet's secret is refused and reported."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import inspect
import json
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest
from authserver import AuthServer
from conftest import PRM, RESOURCE, Signer, accepted_fields
from fleetkit import ProofKey, Redis, introspector_options, redis_server

from mcp_auth_rs._native import (
    Answer,
    Authenticator,
    DpopChecker,
    Introspector,
    RedisStore,
    Verifier,
)

if TYPE_CHECKING:
    from mcp_auth_rs._native import StoreEvent

SECRET = "fleet-secret-for-tests-0123456789abcdef"
PREFIX = "pyfleet:"


@pytest.fixture(scope="module")
def redis() -> Iterator[Redis]:
    with redis_server() as server:
        yield server


@pytest.fixture()
def store(redis: Redis) -> RedisStore:
    return RedisStore(json.dumps({"url": redis.url, "prefix": PREFIX, "reconnectMaxDelay": 200}))


def options(route: str) -> str:
    return json.dumps(
        {
            "resourceMetadataUrl": PRM,
            "requiredScopes": ["mcp:read"],
            "showErrorDetails": False,
            "maxTokenLength": 8192,
            "route": route,
        }
    )


def introspecting(
    endpoint: AuthServer, store: RedisStore, events: list[StoreEvent] | None = None
) -> Authenticator:
    """An Authenticator with its own Introspector (its own local cache) on the shared store."""
    introspector = Introspector(
        introspector_options(endpoint.issuer, storeTimeout=2000),
        store,
        SECRET,
        RESOURCE,
        None if events is None else events.append,
    )
    return Authenticator(options("introspection"), None, introspector=introspector)


async def settle(value: object) -> object:
    return await value if inspect.isawaitable(value) else value


def answer_now(a: Authenticator, headers: list[str]) -> object:
    """One request from a running asyncio loop (an awaitable needs one)."""

    async def run() -> object:
        return await settle(a.authenticate("GET", "/mcp", None, headers, False))

    return asyncio.run(run())


def bearer(a: Authenticator, token: str) -> object:
    return a.authenticate("GET", "/mcp", None, ["Authorization", f"Bearer {token}"], False)


def token_hash(token: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(token.encode()).digest()).rstrip(b"=").decode()


def test_one_endpoint_call_for_two_authenticators(
    endpoint: AuthServer, store: RedisStore, redis: Redis
) -> None:
    one, two = introspecting(endpoint, store), introspecting(endpoint, store)

    async def run() -> list[object]:
        return [await settle(bearer(one, "good-a")), await settle(bearer(two, "good-a"))]

    answers = asyncio.run(run())
    for answer in answers:
        assert isinstance(answer, str), answer
        assert accepted_fields(answer)["subject"] == "user-of-good-a"
    assert endpoint.calls == 1, "the second Authenticator read the first one's record"

    keys = redis.command("KEYS", f"{PREFIX}introspection:*")
    matching = [k for k in keys if k.endswith(token_hash("good-a"))]
    assert len(matching) == 1, keys
    value = redis.command("GET", matching[0])
    assert value[43] == "." and '"good-a"' not in value, "a signed record without the token"
    assert redis.command("PTTL", matching[0]) > 0
    assert store.is_ready()


def test_concurrent_first_requests_make_one_call(endpoint: AuthServer, store: RedisStore) -> None:
    endpoint.delay = 0.2
    one, two = introspecting(endpoint, store), introspecting(endpoint, store)

    async def run() -> list[object]:
        return list(
            await asyncio.gather(*(settle(bearer(a, "good-b")) for a in (one, two, one, two)))
        )

    for answer in asyncio.run(run()):
        assert isinstance(answer, str), answer
    assert endpoint.calls == 1, "the fleet's lock makes the others wait for the record"


def test_a_record_with_a_wrong_mac_is_refused_and_reported(
    endpoint: AuthServer, store: RedisStore, redis: Redis
) -> None:
    writer = introspecting(endpoint, store)
    answer_now(writer, ["Authorization", "Bearer good-c"])
    [known] = [
        k
        for k in redis.command("KEYS", f"{PREFIX}introspection:*")
        if k.endswith(token_hash("good-c"))
    ]
    # The same scope, another token: the endpoint says it is inactive.
    forged_key = known[: -len(token_hash("good-c"))] + token_hash("bad-forged")
    record = json.loads(redis.command("GET", known)[44:])
    redis.command("SET", forged_key, "A" * 43 + "." + json.dumps(record), "PX", "60000")
    before = endpoint.calls

    events: list[StoreEvent] = []
    reader = introspecting(endpoint, store, events)
    answer = answer_now(reader, ["Authorization", "Bearer bad-forged"])
    assert isinstance(answer, Answer)
    assert answer.status == 401
    assert endpoint.calls == before + 1, "the forged record is a miss: the endpoint decides"
    deadline = time.monotonic() + 5
    while not events and time.monotonic() < deadline:
        time.sleep(0.02)
    assert events == [{"type": "store_record_rejected", "reason": "bad_mac"}]


def test_another_secret_does_not_read_the_fleets_records(
    endpoint: AuthServer, store: RedisStore
) -> None:
    one = introspecting(endpoint, store)
    other = Authenticator(
        options("introspection"),
        None,
        introspector=Introspector(
            introspector_options(endpoint.issuer), store, "another-secret-" * 3, RESOURCE
        ),
    )

    async def run() -> None:
        assert isinstance(await settle(bearer(one, "good-d")), str)
        assert isinstance(await settle(bearer(other, "good-d")), str)

    asyncio.run(run())
    assert endpoint.calls == 2, "records are scoped by the secret: no sharing across fleets"


def dpop_fleet(verifier: Verifier, store: RedisStore) -> Authenticator:
    checker = DpopChecker(json.dumps({"resource": RESOURCE, "storeTimeout": 2000}), store)
    return Authenticator(options("jwt"), verifier, checker)


@pytest.fixture(scope="module")
def verifier(auth_server: str) -> Verifier:
    v = Verifier(
        json.dumps(
            {
                "issuers": [{"issuer": auth_server, "jwksUri": f"{auth_server}/jwks.json"}],
                "audiences": [RESOURCE],
            }
        )
    )
    v.prepare()
    return v


def test_a_proof_used_at_one_authenticator_is_refused_at_the_other(
    verifier: Verifier, sign: Signer, store: RedisStore, redis: Redis
) -> None:
    key = ProofKey()
    token = sign(cnf={"jkt": key.jkt})
    one, two = dpop_fleet(verifier, store), dpop_fleet(verifier, store)
    proof = key.proof("GET", RESOURCE, token)
    headers = ["Authorization", f"DPoP {token}", "DPoP", proof]

    async def run() -> list[Any]:
        first = one.authenticate("GET", "/mcp", None, headers, False)
        assert inspect.isawaitable(first), "the fleet's claim is awaited"
        return [await first, await settle(two.authenticate("GET", "/mcp", None, headers, False))]

    accepted, replayed = asyncio.run(run())
    assert isinstance(accepted, str) and accepted_fields(accepted)["scheme"] == "dpop"
    assert isinstance(replayed, Answer)
    assert replayed.status == 401
    assert replayed.error == "invalid_dpop_proof"
    markers = redis.command("KEYS", f"{PREFIX}dpop:*")
    assert markers, "the marker is under the fleet's prefix"
    assert all(proof not in m for m in markers)


def test_the_dpop_claim_fails_closed_without_redis(verifier: Verifier, sign: Signer) -> None:
    # Nothing listens on port 1: the claim cannot be made, so the proof is not accepted.
    down = RedisStore(json.dumps({"url": "redis://127.0.0.1:1", "connectTimeout": 200}))
    key = ProofKey()
    token = sign(cnf={"jkt": key.jkt})
    a = dpop_fleet(verifier, down)
    headers = ["Authorization", f"DPoP {token}", "DPoP", key.proof("GET", RESOURCE, token)]
    answer = answer_now(a, headers)
    assert isinstance(answer, Answer)
    assert answer.status == 503
    assert any(n.lower() == "retry-after" for n, _ in answer.headers)
