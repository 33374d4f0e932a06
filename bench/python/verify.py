"""In-process token verification: mcp-auth-rs against its Python peers, same run.

    python bench/python/verify.py [--rounds 5] [--ops 2000] [--pool 6000]

Peers: mcpauth 0.2.0b1 (PyJWT), both as it ships ('jwt' mode builds a new
PyJWKClient, so fetches the key set, for every verification) and as
``create_verify_jwt(PyJWKClient(uri))`` with one client reused (its fair
in-process cost); FastMCP 4's ``JWTVerifier`` (``jwks_uri``, warm). Ours:
the native ``Verifier.verify_sync`` and the whole gate,
``MCPAuth.bearer_auth_middleware('jwt')`` called as an ASGI app in process,
beside mcpauth's and FastMCP's own middleware called the same way. Floor:
``cryptography``'s RSA PKCS#1 v1.5 SHA-256 verify of the same signing input.

Distinct tokens come from a pool (default 6000) larger than our verified-token
cache (4096 entries), walked in order per implementation across rounds, so
every one of our calls checks a signature. Cells are interleaved (order
reversed every other round), each after a ``gc.collect()``; reported: the
median µs per token, the spread over rounds, JWKS fetches per token (the
loopback provider counts them) and ratios. Progress goes to stderr, the
Markdown table and the target lines to stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import sys
import time
from collections.abc import Callable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from fastmcp.server.auth.middleware import RequireAuthMiddleware
from fastmcp.server.auth.providers.jwt import JWTVerifier
from jwt import PyJWKClient
from mcp_auth_rs import MCPAuth
from mcp_auth_rs._native import Verifier
from mcp_auth_rs.config import AuthServerType
from mcp_auth_rs.types import AuthInfo, ResourceServerConfig, ResourceServerMetadata
from mcp_auth_rs.utils import fetch_server_config
from mcpauth import MCPAuth as PeerMCPAuth  # type: ignore[import-untyped]
from mcpauth.auth.token_verifier import TokenVerifier  # type: ignore[import-untyped]
from mcpauth.config import AuthServerType as PeerAuthServerType  # type: ignore[import-untyped]
from mcpauth.types import (  # type: ignore[import-untyped]
    ResourceServerConfig as PeerResourceServerConfig,
)
from mcpauth.types import (
    ResourceServerMetadata as PeerResourceServerMetadata,
)
from mcpauth.utils import create_verify_jwt  # type: ignore[import-untyped]
from mcpauth.utils import fetch_server_config as peer_fetch_server_config
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from common import AuthServer, Signer, command_line, environment, fixed, median, today

RESOURCE = "http://127.0.0.1:3001/mcp"
Call = Callable[[str], Any]


@dataclass(frozen=True)
class Impl:
    name: str
    call: Call
    is_async: bool
    # The row a peer is compared with: ours of the same kind (library or gate).
    ours: str | None
    # Compared only for distinct tokens (the floor) or only for a repeated one.
    kinds: tuple[str, ...] = ("distinct", "repeated")


OURS_LIB = "mcp-auth-rs Verifier.verify_sync"
OURS_GATE = "mcp-auth-rs bearer_auth_middleware('jwt'), ASGI in process"
FLOOR = "signature only (cryptography RSA verify)"


def asgi_caller(app: ASGIApp, var: ContextVar[Any] | None = None) -> Call:
    """Calls ``app`` with one GET /mcp carrying the token; raises unless it answers 200.

    ``var``: a context variable the gate sets and never resets (mcpauth's), cleared
    after each call, as a server's fresh per-request context would be; otherwise
    every call after the first logs mcpauth's "Overwriting existing auth info".
    """

    async def call(token: str) -> None:
        scope: Scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "GET",
            "scheme": "http",
            "path": "/mcp",
            "raw_path": b"/mcp",
            "root_path": "",
            "query_string": b"",
            "headers": [
                (b"host", b"127.0.0.1:3001"),
                (b"authorization", b"Bearer " + token.encode()),
            ],
            "client": ("127.0.0.1", 50000),
            "server": ("127.0.0.1", 3001),
            "state": {},
        }
        sent_request = False
        status = 0

        async def receive() -> Message:
            nonlocal sent_request
            if not sent_request:
                sent_request = True
                return {"type": "http.request", "body": b"", "more_body": False}
            await asyncio.sleep(3600)  # a client that stays connected
            return {"type": "http.disconnect"}

        async def send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]

        await app(scope, receive, send)
        if var is not None:
            var.set(None)
        if status != 200:
            raise RuntimeError(f"the gate answered {status}")

    return call


async def ok_app(scope: Scope, receive: Receive, send: Send) -> None:
    """The protected app: a small JSON body, as every route of the server bench."""
    body = b'{"ok":true}'
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json"), (b"content-length", b"11")],
        }
    )
    await send({"type": "http.response.body", "body": body})


def build(issuer: str, jwks_uri: str, public_key: rsa.RSAPublicKey, pool: list[str]) -> list[Impl]:
    options = {"issuers": [{"issuer": issuer, "jwksUri": jwks_uri}], "audiences": [RESOURCE]}
    verifier = Verifier(json.dumps(options))
    verifier.prepare()

    ours = MCPAuth(
        protected_resources=ResourceServerConfig(
            metadata=ResourceServerMetadata(
                resource=RESOURCE,
                authorization_servers=[fetch_server_config(issuer, AuthServerType.OIDC)],
            )
        ),
        context_var=ContextVar[AuthInfo | None]("bench_ours", default=None),
    )
    ours_gate = ours.bearer_auth_middleware("jwt", resource=RESOURCE, audience=RESOURCE)(ok_app)

    peer_var: ContextVar[Any] = ContextVar("bench_mcpauth", default=None)
    peer_config = peer_fetch_server_config(issuer, PeerAuthServerType.OIDC)
    peer = PeerMCPAuth(
        protected_resources=PeerResourceServerConfig(
            metadata=PeerResourceServerMetadata(
                resource=RESOURCE, authorization_servers=[peer_config]
            )
        ),
        context_var=peer_var,
    )
    peer_gate = peer.bearer_auth_middleware("jwt", resource=RESOURCE, audience=RESOURCE)(ok_app)
    # What its 'jwt' mode calls per request (mcpauth/auth/token_verifier.py).
    peer_shipped = TokenVerifier([peer_config]).create_verify_jwt_function()
    peer_reused = create_verify_jwt(PyJWKClient(jwks_uri))

    fast = JWTVerifier(jwks_uri=jwks_uri, issuer=issuer, audience=RESOURCE)
    # FastMCP's provider middleware plus the SDK gate it mounts in front of the MCP app.
    fast_gate: ASGIApp = RequireAuthMiddleware(ok_app, required_scopes=[])
    for middleware in reversed(fast.get_middleware()):
        fast_gate = middleware.cls(fast_gate, *middleware.args, **middleware.kwargs)

    async def fast_verify(token: str) -> None:
        if await fast.verify_token(token) is None:
            raise RuntimeError("FastMCP JWTVerifier refused a valid token")

    # The floor: the same signing inputs and signatures, split beforehand.
    split = []
    for token in pool:
        signing_input, _, signature = token.rpartition(".")
        split.append((signing_input.encode(), _b64decode(signature)))
    floor_index = 0
    pkcs1, sha256 = padding.PKCS1v15(), hashes.SHA256()

    def floor(_: str) -> None:
        nonlocal floor_index
        signing_input, signature = split[floor_index % len(split)]
        floor_index += 1
        public_key.verify(signature, signing_input, pkcs1, sha256)

    return [
        Impl(OURS_LIB, verifier.verify_sync, False, None),
        Impl("mcpauth create_verify_jwt(PyJWKClient), reused", peer_reused, False, OURS_LIB),
        Impl("mcpauth 'jwt' as shipped (new PyJWKClient per token)", peer_shipped, False, OURS_LIB),
        Impl("FastMCP JWTVerifier.verify_token (JWKS, warm)", fast_verify, True, OURS_LIB),
        Impl(OURS_GATE, asgi_caller(ours_gate), True, None),
        Impl(
            "mcpauth bearer_auth_middleware('jwt'), ASGI in process",
            asgi_caller(peer_gate, peer_var),
            True,
            OURS_GATE,
        ),
        Impl(
            "FastMCP auth middleware + RequireAuthMiddleware, ASGI in process",
            asgi_caller(fast_gate),
            True,
            OURS_GATE,
        ),
        Impl(FLOOR, floor, False, None, ("distinct",)),
    ]


def _b64decode(text: str) -> bytes:
    import base64

    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


async def measure(impl: Impl, tokens: list[str]) -> float:
    """µs per token over ``tokens``, one call at a time."""
    gc.collect()
    call = impl.call
    start = time.perf_counter_ns()
    if impl.is_async:
        for token in tokens:
            await call(token)
    else:
        for token in tokens:
            call(token)
    return (time.perf_counter_ns() - start) / 1000 / len(tokens)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--ops", type=int, default=2000, help="tokens per cell")
    parser.add_argument("--pool", type=int, default=6000, help="distinct tokens (keep > 4096)")
    args = parser.parse_args()
    if args.pool <= 4096:
        print(
            f"warning: a pool of {args.pool} fits our 4096-entry cache: "
            "later rounds measure cache hits",
            file=sys.stderr,
        )

    signer = Signer()
    server = AuthServer(signer.jwks())
    try:
        started = time.perf_counter()
        pool = [signer.token(server.issuer, RESOURCE, f"t{i}") for i in range(args.pool)]
        repeated = signer.token(server.issuer, RESOURCE, "repeated")
        print(
            f"verify: {len(pool)} tokens signed in {time.perf_counter() - started:.1f} s",
            file=sys.stderr,
        )
        impls = build(server.issuer, server.jwks_uri, signer.key.public_key(), pool)
        cursors = {impl.name: 0 for impl in impls}

        def tokens_for(kind: str, impl: Impl) -> list[str]:
            if kind == "repeated":
                return [repeated] * args.ops
            start = cursors[impl.name]
            cursors[impl.name] = start + args.ops
            return [pool[(start + i) % len(pool)] for i in range(args.ops)]

        # Correctness first, then a short warm-up (keys fetched, code paths hot).
        for impl in impls:
            await measure(impl, [repeated, pool[-1]])
        cells = [
            (kind, impl)
            for kind in ("distinct", "repeated")
            for impl in impls
            if kind in impl.kinds
        ]
        for kind, impl in cells:
            await measure(impl, tokens_for(kind, impl)[: max(1, args.ops // 10)])

        results: dict[tuple[str, str], list[float]] = {(k, i.name): [] for k, i in cells}
        fetches: dict[tuple[str, str], int] = {(k, i.name): 0 for k, i in cells}
        for round_ in range(args.rounds):
            for kind, impl in cells if round_ % 2 == 0 else list(reversed(cells)):
                before = server.hits()
                micros = await measure(impl, tokens_for(kind, impl))
                fetches[(kind, impl.name)] += server.hits() - before
                results[(kind, impl.name)].append(micros)
                print(
                    f"  round {round_ + 1} {kind:9} {micros:9.1f} µs  {impl.name}", file=sys.stderr
                )
    finally:
        server.close()

    report(args, cells, results, fetches)


def report(
    args: argparse.Namespace,
    cells: Sequence[tuple[str, Impl]],
    results: dict[tuple[str, str], list[float]],
    fetches: dict[tuple[str, str], int],
) -> None:
    med = {key: median(xs) for key, xs in results.items()}
    floor = med[("distinct", FLOOR)]
    print(
        f"verify (Python): {today()}, `{command_line()}`; {environment()}; "
        f"RS256 2048, {args.rounds} interleaved rounds × {args.ops} tokens per cell, "
        f"distinct tokens from a pool of {args.pool}"
    )
    print()
    print(
        "| tokens | implementation | µs/token (median) | range µs | JWKS fetches/token "
        "| × ours (peer ÷ ours) | × floor (÷ floor) |"
    )
    print("|---|---|---:|---:|---:|---:|---:|")
    for kind, impl in cells:
        xs = results[(kind, impl.name)]
        m = med[(kind, impl.name)]
        per_token = fetches[(kind, impl.name)] / (args.rounds * args.ops)
        versus = f"{m / med[(kind, impl.ours)]:.2f}" if impl.ours else "—"
        print(
            f"| {kind} | {impl.name} | {fixed(m)} | {fixed(min(xs))}–{fixed(max(xs))} "
            f"| {per_token:.2f} | {versus} | {m / floor:.2f} |"
        )

    # The in-process goals, on this run; a ratio per round shows the spread.
    print()

    def ratio_range(kind: str, peer: str, ours: str) -> str:
        per_round = [
            p / o for p, o in zip(results[(kind, peer)], results[(kind, ours)], strict=True)
        ]
        return f"rounds {min(per_round):.2f}–{max(per_round):.2f}"

    for kind, goal in (("distinct", 2.0), ("repeated", 20.0)):
        for _, impl in [c for c in cells if c[0] == kind and c[1].ours]:
            assert impl.ours is not None
            r = med[(kind, impl.name)] / med[(kind, impl.ours)]
            verdict = "met" if r >= goal else "NOT met"
            print(
                f"- {kind}: {impl.name} takes {r:.2f}× {impl.ours} "
                f"({ratio_range(kind, impl.name, impl.ours)}; goal ≥ {goal:g}×): {verdict}"
            )
    for ours in (OURS_LIB, OURS_GATE):
        r = med[("distinct", ours)] / floor
        verdict = "met" if r <= 1.3 else "NOT met"
        print(
            f"- distinct: {ours} takes {r:.2f}× the signature-only floor "
            f"({ratio_range('distinct', ours, FLOOR)}; goal ≤ 1.3×): {verdict}"
        )


if __name__ == "__main__":
    asyncio.run(main())
