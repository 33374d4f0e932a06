"""Key-set (``jwks_*``) and ``verification`` events from the native verifier,
as the Node package emits them: a loopback issuer whose key set works, or is down."""

from __future__ import annotations

import json
import sys
import time
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from authserver import RESOURCE, AuthServer, auth_server, introspection_server
from modeskit import app_for, bearer, new_auth, server_config

from mcp_auth_rs import _native
from mcp_auth_rs.config import AuthServerType
from mcp_auth_rs.events import AuthEvent
from mcp_auth_rs.exceptions import (
    MCPAuthTokenVerificationException,
    MCPAuthTokenVerificationExceptionCode,
)
from mcp_auth_rs.types import AuthInfo


@pytest.fixture(scope="module")
def issuer() -> Iterator[AuthServer]:
    with auth_server() as server:
        yield server


def wait_for(found: Callable[[], bool], seconds: float = 5.0) -> None:
    """Key-set events arrive on a worker thread, a moment after the request."""
    deadline = time.monotonic() + seconds
    while not found():
        assert time.monotonic() < deadline, "the event never came"
        time.sleep(0.01)


def of_type(events: list[AuthEvent], kind: str) -> list[dict[str, Any]]:
    return [dict(event) for event in events if event["type"] == kind]


def test_a_fetched_key_set_and_each_verification_are_reported() -> None:
    events: list[AuthEvent] = []

    def broken(event: AuthEvent) -> None:
        raise RuntimeError("a listener's bug")

    with auth_server() as server:
        mcp_auth = new_auth(
            [server_config(server.issuer, AuthServerType.OIDC)], on_auth_event=events.append
        )
        app = app_for(mcp_auth, "jwt", on_auth_event=broken)
        token = server.token(RESOURCE)
        assert bearer(app, token).status_code == 200, "a raising listener changes nothing"
        assert bearer(app, server.token("https://elsewhere.example.com")).status_code == 401
        wait_for(lambda: bool(of_type(events, "jwks_refreshed")))
    assert of_type(events, "jwks_refreshed") == [
        {
            "type": "jwks_refreshed",
            "issuer": server.issuer,
            "jwks_uri": f"{server.issuer}/jwks",
            "key_count": 1,
            "warnings": [],
        }
    ]
    timings = of_type(events, "verification")
    assert [(t["resource"], t["valid"]) for t in timings] == [(RESOURCE, True), (RESOURCE, False)]
    assert all(isinstance(t["duration_ms"], float) and t["duration_ms"] >= 0 for t in timings)
    # Each verification comes before the request's verdict, as in Node.
    kinds = [e["type"] for e in events if e["type"] != "jwks_refreshed"]
    assert kinds == ["verification", "accepted", "verification", "rejected"]
    assert token not in json.dumps(events)


def test_an_unreachable_key_set_is_reported_with_a_fixed_code() -> None:
    events: list[AuthEvent] = []
    with auth_server() as server:
        config = server_config(server.issuer, AuthServerType.OIDC)
        server.jwks_down = True
        app = app_for(new_auth([config], on_auth_event=events.append), "jwt")
        response = bearer(app, server.token(RESOURCE))
        assert response.status_code == 503
        wait_for(lambda: bool(of_type(events, "jwks_unavailable")))
    (outage,) = of_type(events, "jwks_unavailable")[:1]
    assert outage == {
        "type": "jwks_unavailable",
        "issuer": server.issuer,
        "jwks_uri": f"{server.issuer}/jwks",
        "code": "http_status",
        "reason": "server answered HTTP 503",
    }
    (timing,) = of_type(events, "verification")
    assert timing["valid"] is False
    assert of_type(events, "rejected")[0]["status"] == 503


def test_a_custom_verifier_is_timed_too(issuer: AuthServer) -> None:
    events: list[AuthEvent] = []
    mcp_auth = new_auth(
        [server_config(issuer.issuer, AuthServerType.OIDC)], on_auth_event=events.append
    )

    def verify(token: str) -> AuthInfo:
        if token != "good":
            raise MCPAuthTokenVerificationException(
                MCPAuthTokenVerificationExceptionCode.INVALID_TOKEN
            )
        return AuthInfo(
            token=token,
            issuer=issuer.issuer,
            client_id="c",
            scopes=[],
            subject="s",
            audience=RESOURCE,
            claims={},
        )

    app = app_for(mcp_auth, verify)
    assert bearer(app, "good").status_code == 200
    assert bearer(app, "bad").status_code == 401
    assert [t["valid"] for t in of_type(events, "verification")] == [True, False]
    assert "good" not in json.dumps(of_type(events, "verification"))


def test_the_native_listener_runs_off_the_request_and_its_errors_are_swallowed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[dict[str, Any]] = []
    unraisable: list[BaseException | None] = []
    monkeypatch.setattr(sys, "unraisablehook", lambda info: unraisable.append(info.exc_value))

    def listener(event: dict[str, Any]) -> None:
        seen.append(event)
        raise RuntimeError("a listener's bug")

    with auth_server() as server:
        options = {
            "issuers": [
                {"issuer": server.issuer, "jwksUri": f"{server.issuer}/jwks", "type": "oidc"}
            ],
            "audiences": [RESOURCE],
        }
        verifier = _native.Verifier(json.dumps(options), listener)
        verifier.prepare()
        assert verifier.verify_sync(server.token(RESOURCE))["issuer"] == server.issuer
        wait_for(lambda: bool(seen) and bool(unraisable))
    assert seen[0]["type"] == "jwks_refreshed"
    assert isinstance(unraisable[0], RuntimeError)


def test_introspection_is_timed_as_a_verification() -> None:
    events: list[AuthEvent] = []
    with introspection_server() as endpoint:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the endpoint's metadata lacks PKCE: a warning
            config = server_config(endpoint.issuer, AuthServerType.OAUTH)
            mcp_auth = new_auth([config], on_auth_event=events.append)
        app = app_for(
            mcp_auth,
            "introspection",
            introspection={"client_id": "rs", "client_secret": "s3cret"},
        )
        endpoint.answer = lambda token: (
            endpoint.active() if token == "good-1" else {"active": False}
        )
        assert bearer(app, "good-1").status_code == 200
        assert bearer(app, "revoked").status_code == 401
    assert [t["valid"] for t in of_type(events, "verification")] == [True, False]
    assert "good-1" not in json.dumps(events) and "s3cret" not in json.dumps(events)
