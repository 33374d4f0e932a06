"""Several credential kinds on one route (issue 23 item 2) through the ASGI
middleware: user JWTs from one issuer, machine JWTs from another with
``client_ids``, and API keys; one verifier judges each token, never a second."""

from __future__ import annotations

import time
from collections.abc import Iterator

import anyio
import httpx
import pytest
from authserver import RESOURCE, AuthServer, auth_server
from modeskit import PRM, new_auth, server_config
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from mcp_auth_rs import MCPAuth
from mcp_auth_rs.config import AuthServerType
from mcp_auth_rs.credential_kinds import ApiKeyEntry, CredentialVerifier, hash_api_key
from mcp_auth_rs.events import AuthEvent
from mcp_auth_rs.exceptions import MCPAuthAuthServerException

KEY = "mcpk_live_0123456789abcdefghij"
OTHER_KEY = "mcpk_live_zyxwvutsrqponmlkjihg"
ROTATED_KEY = "mcpk_live_rotated_0123456789ab"
INVALID_TOKEN = (
    'Bearer error="invalid_token", error_description="The access token is not active.", '
    f'resource_metadata="{PRM}"'
)


class Route_:
    """The app, the two issuers, the loader's current keys and the events heard."""

    def __init__(self, users: AuthServer, machines: AuthServer) -> None:
        self.users = users
        self.machines = machines
        self.events: list[AuthEvent] = []
        self.loaded: list[ApiKeyEntry] = [
            {"hash": hash_api_key(KEY), "subject": "ci-bot", "client_id": "ci", "scopes": ["r"]}
        ]
        self.auth = new_auth(
            [
                server_config(users.issuer, AuthServerType.OIDC),
                server_config(machines.issuer, AuthServerType.OIDC),
            ],
            on_auth_event=self.events.append,
        )

        async def load() -> list[ApiKeyEntry]:
            return self.loaded

        self.failing = True

        def load_or_fail() -> list[ApiKeyEntry]:
            if self.failing:
                raise OSError("secret store down")
            return [{"hash": hash_api_key(KEY), "subject": "late"}]

        verifiers: list[CredentialVerifier] = [
            {"mode": "jwt", "name": "users", "issuer": users.issuer},
            {"mode": "jwt", "name": "machines", "issuer": machines.issuer, "client_ids": ["svc-a"]},
            {
                "mode": "api_key",
                "name": "keys",
                "prefix": "mcpk_",
                "load_keys": load,
                "refresh_interval": 1,
            },
        ]
        static: list[CredentialVerifier] = [
            {
                "mode": "api_key",
                "prefix": "mcpk_",
                "required_scopes": ["w"],
                "keys": [{"hash": hash_api_key(OTHER_KEY), "subject": "batch"}],
            },
            {"mode": "jwt"},
        ]
        failing: list[CredentialVerifier] = [
            {"mode": "api_key", "prefix": "mcpk_", "load_keys": load_or_fail}
        ]
        self.app = Starlette(
            routes=[
                Route("/mcp", self.echo, middleware=[self.gate(verifiers)]),
                Route("/static", self.echo, middleware=[self.gate(static)]),
                Route("/single", self.echo, middleware=[self.gate("jwt")]),
                Route("/failing", self.echo, middleware=[self.gate(failing)]),
            ]
        )

    def gate(self, mode: object) -> Middleware:
        return Middleware(self.auth.bearer_auth_middleware(mode, resource=RESOURCE))  # type: ignore[arg-type]

    async def echo(self, request: Request) -> JSONResponse:
        auth = self.auth.auth_info
        assert auth is not None
        fields = ("verifier", "issuer", "subject", "client_id", "scopes", "expires_at")
        return JSONResponse({name: getattr(auth, name) for name in fields})

    async def calls(self, *tokens: str | None, path: str = "/mcp") -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=self.app)
        async with httpx.AsyncClient(transport=transport, base_url="https://mcp.example.com") as c:
            return [
                await c.get(path, headers={} if t is None else {"authorization": f"Bearer {t}"})
                for t in tokens
            ]

    def call(self, token: str | None, path: str = "/mcp") -> httpx.Response:
        async def go() -> httpx.Response:
            return (await self.calls(token, path=path))[0]

        return anyio.run(go)


@pytest.fixture(scope="module")
def route() -> Iterator[Route_]:
    with auth_server() as users, auth_server() as machines:
        yield Route_(users, machines)


def test_a_user_jwt_is_accepted_by_the_first_verifier_which_auth_info_names(route: Route_) -> None:
    res = route.call(route.users.token(RESOURCE, scope="r"))
    assert res.status_code == 200
    assert res.json()["verifier"] == "users"
    assert res.json()["issuer"] == route.users.issuer


def test_a_machine_jwt_is_judged_by_machines_with_its_client_ids(route: Route_) -> None:
    ok = route.call(route.machines.token(RESOURCE, client_id="svc-a"))
    assert ok.status_code == 200
    assert ok.json()["verifier"] == "machines"
    assert ok.json()["client_id"] == "svc-a"
    other = route.call(route.machines.token(RESOURCE, client_id="svc-b"))
    assert other.status_code == 401
    assert 'error="invalid_token"' in other.headers["www-authenticate"]
    # 'users' has no client_ids.
    assert route.call(route.users.token(RESOURCE, client_id="svc-b")).status_code == 200


def test_an_api_key_is_accepted_with_its_fixed_identity(route: Route_) -> None:
    res = route.call(KEY)
    assert res.status_code == 200
    body = res.json()
    assert body["verifier"] == "keys"
    assert (body["subject"], body["client_id"], body["scopes"]) == ("ci-bot", "ci", ["r"])
    assert body["issuer"] == "" and body["expires_at"] is None


def test_a_wrong_api_key_is_401_invalid_token(route: Route_) -> None:
    res = route.call("mcpk_live_wrong_wrong_wrong_wrong")
    assert res.status_code == 401
    # The resource also takes DPoP (Python's default): the Bearer challenge comes first.
    assert res.headers["www-authenticate"].startswith(INVALID_TOKEN)


def test_a_forged_jwt_naming_issuer_a_gets_no_second_opinion(route: Route_) -> None:
    route.machines.hits.clear()
    before = sum(1 for e in route.events if e["type"] == "verification")
    # Signed with the machines' key, claiming the users' issuer.
    now = int(time.time())
    claims = {
        "iss": route.users.issuer,
        "sub": "x",
        "aud": RESOURCE,
        "exp": now + 60,
        "iat": now,
        "client_id": "svc-a",
    }
    res = route.call(route.machines.sign(claims))
    assert res.status_code == 401
    assert 'error="invalid_token"' in res.headers["www-authenticate"]
    assert sum(route.machines.hits.values()) == 0, "the machines' verifier never looked at it"
    assert sum(1 for e in route.events if e["type"] == "verification") - before == 1


def test_no_token_gets_the_bare_challenge(route: Route_) -> None:
    res = route.call(None)
    assert res.status_code == 401
    assert res.headers["www-authenticate"].startswith(f'Bearer resource_metadata="{PRM}", DPoP')
    assert route.call("opaque-token-without-prefix").status_code == 401


def test_each_verifier_has_its_own_required_scopes(route: Route_) -> None:
    res = route.call(OTHER_KEY, path="/static")
    assert res.status_code == 403
    assert 'error="insufficient_scope"' in res.headers["www-authenticate"]
    assert route.call(route.users.token(RESOURCE), path="/static").status_code == 200


def test_keys_rotate_without_a_restart(route: Route_) -> None:
    route.loaded = [{"hash": hash_api_key(ROTATED_KEY), "subject": "rotated"}]
    time.sleep(1.1)

    async def go() -> list[httpx.Response]:
        # The first call after the interval starts the read; later ones see the new keys.
        first = await route.calls(ROTATED_KEY)
        await anyio.sleep(0.2)
        return first + await route.calls(ROTATED_KEY, KEY)

    _, rotated, old = anyio.run(go)
    assert rotated.status_code == 200
    assert rotated.json()["subject"] == "rotated"
    assert old.status_code == 401


def test_a_loader_failing_before_any_keys_is_503_and_retried(route: Route_) -> None:
    assert route.call(KEY, path="/failing").status_code == 503
    route.failing = False
    again = route.call(KEY, path="/failing")
    assert again.status_code == 200
    assert again.json()["subject"] == "late"


def test_the_single_mode_route_is_unchanged(route: Route_) -> None:
    res = route.call(route.users.token(RESOURCE), path="/single")
    assert res.status_code == 200
    assert res.json()["verifier"] is None


def _refused(auth: MCPAuth, verifiers: list[CredentialVerifier]) -> None:
    with pytest.raises(MCPAuthAuthServerException):
        auth.bearer_auth_middleware(verifiers, resource=RESOURCE)


def test_setup_refuses_plain_keys_clashing_names_unknown_issuers_and_overlaps(
    route: Route_,
) -> None:
    auth = route.auth
    _refused(auth, [{"mode": "api_key", "keys": [{"hash": KEY, "subject": "x"}]}])
    _refused(auth, [{"mode": "jwt"}, {"mode": "jwt"}])
    _refused(auth, [{"mode": "jwt", "issuer": "https://other.example"}])
    _refused(
        auth,
        [
            {"mode": "api_key", "prefix": "k_", "keys": []},
            {"mode": "api_key", "name": "b", "prefix": "k_x", "keys": []},
        ],
    )
    _refused(auth, [{"mode": "api_key", "keys": [], "refresh_interval": 0.01}])
    _refused(auth, [])


def test_hash_api_key() -> None:
    assert hash_api_key(KEY).startswith("sha256:") and len(hash_api_key(KEY)) == 7 + 43
    with pytest.raises(MCPAuthAuthServerException):
        hash_api_key("short")


def test_the_route_options_reach_every_verifier_of_the_list(route: Route_) -> None:
    """``strip_authorization_header`` and ``max_token_length`` hold on a list route too."""

    async def seen(request: Request) -> JSONResponse:
        return JSONResponse({"authorization": request.headers.get("authorization")})

    verifiers: list[CredentialVerifier] = [
        {"mode": "jwt"},
        {
            "mode": "api_key",
            "prefix": "mcpk_",
            "keys": [{"hash": hash_api_key(KEY), "subject": "k"}],
        },
    ]
    middleware = route.auth.bearer_auth_middleware(
        verifiers, resource=RESOURCE, strip_authorization_header=True, max_token_length=64
    )
    app = Starlette(routes=[Route("/mcp", seen, middleware=[Middleware(middleware)])])

    async def go(token: str) -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="https://mcp.example.com") as c:
            return await c.get("/mcp", headers={"authorization": f"Bearer {token}"})

    stripped = anyio.run(go, KEY)
    assert stripped.status_code == 200
    assert stripped.json() == {"authorization": None}
    # A user JWT is longer than 64 bytes: refused before its verifier is asked.
    assert anyio.run(go, route.users.token(RESOURCE)).status_code == 401
