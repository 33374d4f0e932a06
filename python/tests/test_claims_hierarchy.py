"""``claims`` (the Node package's claim options) and a protected resource's
``scope_hierarchy``: the core judges them at setup and on every request."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Any

import pytest
from authserver import RESOURCE, AuthServer, auth_server, introspection_server
from modeskit import app_for, bearer, new_auth, server_config
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from mcp_auth_rs import MCPAuth
from mcp_auth_rs.config import AuthServerConfig, AuthServerType
from mcp_auth_rs.events import AuthEvent
from mcp_auth_rs.exceptions import MCPAuthAuthServerException
from mcp_auth_rs.types import ResourceServerConfig, ResourceServerMetadata

ADMIN = {"todos:admin": ["todos:read", "todos:write"], "todos:write": ["todos:read"]}


@pytest.fixture(scope="module")
def issuer() -> Iterator[AuthServer]:
    with auth_server() as server:
        yield server


@pytest.fixture(scope="module")
def servers(issuer: AuthServer) -> list[AuthServerConfig]:
    return [server_config(issuer.issuer, AuthServerType.OIDC)]


def reason(error: pytest.ExceptionInfo[MCPAuthAuthServerException]) -> str:
    cause = error.value.cause
    assert isinstance(cause, dict)
    text: str = cause["error_description"]
    return text


def refusal(response: Any) -> tuple[int, str, str]:
    """Status, the challenge's error and the body's error_description."""
    challenge = response.headers.get("www-authenticate", "")
    error = challenge.split('error="', 1)[1].split('"', 1)[0] if 'error="' in challenge else ""
    return response.status_code, error, response.json().get("error_description", "")


# The Node package's answers (its conformance table): 401, invalid_token, these texts.
MISSING = "The access token lacks a required claim."
INVALID = "The access token has an invalid claim."


def test_required_claim_values_refuse_a_token_without_them(
    issuer: AuthServer, servers: list[AuthServerConfig]
) -> None:
    events: list[AuthEvent] = []
    app = app_for(
        new_auth(servers, on_auth_event=events.append),
        "jwt",
        claims={"required_claim_values": {"token_use": "access"}},
    )
    assert bearer(app, issuer.token(RESOURCE, token_use="access")).status_code == 200
    missing = bearer(app, issuer.token(RESOURCE))
    assert refusal(missing) == (401, "invalid_token", MISSING)
    assert missing.json() == {"error": "invalid_token", "error_description": MISSING}
    other = bearer(app, issuer.token(RESOURCE, token_use="id"))
    assert refusal(other) == (401, "invalid_token", INVALID)
    assert reasons(events) == ["missing_claim", "invalid_claim"]
    # jwt_verify's required_claims: present or refused, the same way.
    app = app_for(new_auth(servers), "jwt", jwt_verify={"required_claims": ["tenant"]})
    assert bearer(app, issuer.token(RESOURCE, tenant="t1")).status_code == 200
    assert refusal(bearer(app, issuer.token(RESOURCE))) == (401, "invalid_token", MISSING)


def reasons(events: list[AuthEvent]) -> list[str]:
    return [str(event.get("reason")) for event in events if event["type"] == "rejected"]


def test_scope_claims_and_client_ids(issuer: AuthServer, servers: list[AuthServerConfig]) -> None:
    events: list[AuthEvent] = []
    app = app_for(
        new_auth(servers, on_auth_event=events.append),
        "jwt",
        required_scopes=["todos:read"],
        claims={"scope_claims": ["permissions"], "client_ids": ["test-client"]},
    )
    granted = bearer(app, issuer.token(RESOURCE, permissions=["todos:read"]))
    assert granted.status_code == 200
    assert granted.json()["scopes"] == ["todos:read"]
    # `scope` is not read when `scope_claims` names another claim.
    assert bearer(app, issuer.token(RESOURCE, scope="todos:read")).status_code == 403
    stranger = issuer.token(RESOURCE, client_id="someone-else", permissions=["todos:read"])
    assert refusal(bearer(app, stranger))[:2] == (401, "invalid_token")
    assert reasons(events) == ["insufficient_scope", "client_not_allowed"]


def test_claims_reach_the_introspector_too() -> None:
    with introspection_server() as endpoint:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the endpoint's metadata lacks PKCE: a warning
            mcp_auth = new_auth([server_config(endpoint.issuer, AuthServerType.OAUTH)])
        app = app_for(
            mcp_auth,
            "introspection",
            introspection={"client_id": "rs", "client_secret": "s3cret"},
            claims={"required_claim_values": {"token_use": "access"}},
        )
        endpoint.answer = lambda token: endpoint.active(
            **({"token_use": "access"} if token == "good-access" else {})
        )
        assert bearer(app, "good-access").status_code == 200
        assert refusal(bearer(app, "good-other"))[:2] == (401, "invalid_token")


def test_claim_options_are_checked_by_the_core(servers: list[AuthServerConfig]) -> None:
    mcp_auth = new_auth(servers)

    def refused(claims: Any) -> str:
        with pytest.raises(MCPAuthAuthServerException) as caught:
            mcp_auth.bearer_auth_middleware("jwt", resource=RESOURCE, claims=claims)
        return reason(caught)

    assert refused({"scope_claims": "scp"}) == (
        "`claims.scopeClaims` has a value of the wrong type (expected an array)."
    )
    assert refused({"client_ids": []}).startswith("`clientIds` must be a list of 1 to 1000")
    assert "claims.requiredClaimValues" in refused({"required_claim_values": {"a": 1}})
    # Only claim options: trust settings cannot be slipped in through `claims`.
    assert refused({"audiences": ["https://evil.example.com"]}).startswith(
        "unknown option `claims.audiences`"
    )
    assert "`claims` must be a dict" in refused(["scp"])


def hierarchy_auth(servers: list[AuthServerConfig], hierarchy: Any) -> MCPAuth:
    return MCPAuth(
        protected_resources=ResourceServerConfig(
            metadata=ResourceServerMetadata(resource=RESOURCE, authorization_servers=servers),
            scope_hierarchy=hierarchy,
        )
    )


def test_a_hierarchy_grants_implied_scopes(
    issuer: AuthServer, servers: list[AuthServerConfig]
) -> None:
    plain = app_for(new_auth(servers), "jwt", required_scopes=["todos:write"])
    admin = issuer.token(RESOURCE, scope="todos:admin")
    assert refusal(bearer(plain, admin))[:2] == (403, "insufficient_scope")

    mcp_auth = hierarchy_auth(servers, ADMIN)

    async def effective(request: Request) -> JSONResponse:
        auth = mcp_auth.auth_info
        assert auth is not None
        mcp_auth.require_scopes(["todos:read"])  # a tool's check honours it too
        return JSONResponse({"scopes": auth.scopes, "effective": auth.effective_scopes})

    gate = mcp_auth.bearer_auth_middleware(
        "jwt", resource=RESOURCE, required_scopes=["todos:write"]
    )
    app = Starlette(routes=[Route("/mcp", effective, middleware=[Middleware(gate)])])
    granted = bearer(app, admin)
    assert granted.status_code == 200
    assert granted.json() == {
        "scopes": ["todos:admin"],
        "effective": ["todos:admin", "todos:read", "todos:write"],
    }
    assert refusal(bearer(app, issuer.token(RESOURCE, scope="todos:read")))[:2] == (
        403,
        "insufficient_scope",
    )


def test_hierarchies_are_checked_by_the_core(servers: list[AuthServerConfig]) -> None:
    def refused(hierarchy: Any) -> str:
        with pytest.raises(MCPAuthAuthServerException) as caught:
            hierarchy_auth(servers, hierarchy)
        return reason(caught)

    option = f"scope_hierarchy of {RESOURCE}"
    assert refused(["todos:admin"]).startswith(f"`{option}` must be an object mapping")
    assert refused({"a": "b"}).startswith(f'`{option}["a"]` must be an array')
    assert refused({"a": [42]}) == f"`{option}`: 42 is not a valid scope (RFC 6750 §3 scope-token)."
    assert "offline_access" in refused({"a": ["offline_access"]})
    assert "cycle" in refused({"a": ["b"], "b": ["a"]})
    # With protected resources it is the resource's setting, as in Node.
    with pytest.raises(MCPAuthAuthServerException) as caught:
        new_auth(servers).bearer_auth_middleware("jwt", resource=RESOURCE, scope_hierarchy=ADMIN)
    assert "set `scope_hierarchy` on the protected resource" in reason(caught)


def test_legacy_server_mode_takes_the_hierarchy_on_the_middleware(
    issuer: AuthServer, servers: list[AuthServerConfig]
) -> None:
    mcp_auth = MCPAuth(server=servers[0])
    gate = mcp_auth.bearer_auth_middleware(
        "jwt", resource=RESOURCE, required_scopes=["todos:read"], scope_hierarchy=ADMIN
    )
    app = Starlette(
        routes=[Route("/mcp", lambda _: JSONResponse({}), middleware=[Middleware(gate)])]
    )
    assert bearer(app, issuer.token(RESOURCE, scope="todos:admin")).status_code == 200
    with pytest.raises(MCPAuthAuthServerException) as caught:
        mcp_auth.bearer_auth_middleware(
            "jwt", resource=RESOURCE, scope_hierarchy={"a": ["b"], "b": ["a"]}
        )
    assert reason(caught).startswith("`scope_hierarchy`")
