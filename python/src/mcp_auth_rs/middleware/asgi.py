"""The bearer-token gate as a pure ASGI middleware (no ``BaseHTTPMiddleware``).

It hands each HTTP request's method, path and credential headers to the
decision (``_gate.Gate``) and either sends the decision's exact response or
calls the app with the caller's ``AuthInfo`` in the context variable. Other
scopes (``lifespan``, ``websocket``) pass through untouched. A tool's scope
demand (``_step_up``) replaces the app's response with the core's 403. With
``operations`` (per-tool authorization) the body is read first (``_body``)
and the core judges the JSON-RPC request too; a public operation without
credentials reaches the app with no identity.
"""

from __future__ import annotations

import json
import ssl
from collections.abc import Awaitable, Callable, MutableMapping
from contextvars import ContextVar
from typing import Any, ClassVar

from mcp_auth_rs import _native
from mcp_auth_rs._convert import invalid_config
from mcp_auth_rs._gate import Gate, Reply, Scheme
from mcp_auth_rs._step_up import Demand, current_demand
from mcp_auth_rs.middleware._body import read_body
from mcp_auth_rs.types import AuthInfo

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_EXPOSE = b"access-control-expose-headers"
_WWW_AUTHENTICATE = b"WWW-Authenticate"


class BearerAuthMiddleware:
    """Admits only requests with an acceptable access token.

    Made by ``MCPAuth.bearer_auth_middleware``, which binds the decision to a
    subclass; Starlette's ``Middleware(cls)`` then builds it with the app.
    """

    gate: ClassVar[Gate]
    context_var: ClassVar[ContextVar[AuthInfo | None]]
    #: ``strip_authorization_header``: the app gets the request without ``Authorization``.
    strip_authorization: ClassVar[bool] = False

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    @classmethod
    def security_schemes(cls, tool: str) -> list[dict[str, Any]]:
        """The tool's ``securitySchemes`` from ``operations`` (OpenAI Apps SDK):
        ``[{"type": "noauth"}]`` for a public tool, ``[{"type": "oauth2",
        "scopes": [...]}]`` (the route's scopes and the tool's) otherwise; an
        undeclared tool gets ``default``'s."""
        text = cls.gate.security_schemes(tool)
        if text is None:
            raise invalid_config("`security_schemes` needs bearer_auth_middleware(operations=...).")
        schemes: list[dict[str, Any]] = json.loads(text)
        return schemes

    @classmethod
    def tool_meta(cls, tool: str) -> dict[str, Any]:
        """The tool descriptor's ``_meta`` members: ``{"securitySchemes": [...]}``,
        e.g. ``@mcp.tool(meta=BearerAuth.tool_meta("search"))``."""
        return {"securitySchemes": cls.security_schemes(tool)}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method: str = scope["method"]
        headers = credential_headers(scope["headers"])
        # The core's rule decides; asking only for OPTIONS spares converting the headers.
        if method == "OPTIONS" and is_cors_preflight(method, scope["headers"]):
            # Preflights carry no credentials; the CORS layer answers them.
            await self.app(scope, receive, send)
            return
        url, original_url = request_target(scope)
        gate = self.gate
        certificate = None
        if gate.mtls:
            certificate = tls_certificate(scope) if gate.reads_connection else None
            if gate.proxy_header is not None:
                headers += proxy_headers(scope["headers"], gate.proxy_header)
        if gate.max_body_bytes is not None:
            read = await read_body(method, scope["headers"], receive, gate.max_body_bytes)
            if read is None:
                return  # the client went away mid-body: nobody to answer
            body, receive = read
            judged = await gate.decide_operation(
                method, url, original_url, headers, certificate, body
            )
            if judged is None:
                await self._anonymous(scope, receive, send)
                return
            decided = judged
        elif gate.mtls:
            decided = await gate.decide(method, url, original_url, headers, certificate)
        else:
            decided = await gate.decide(method, url, original_url, headers)
        if isinstance(decided, Reply):
            await send_reply(send, decided, head=method == "HEAD")
            return
        state = scope.get("state")
        if isinstance(state, dict):
            state["auth_info"] = decided
        if self.strip_authorization:
            # A copy: what the app sees has no token to forward; outer layers keep theirs.
            scope = {**scope, "headers": without_authorization(scope["headers"])}
        token = self.context_var.set(decided)
        demand = Demand()
        demanded = current_demand.set(demand)
        try:
            sending = expose_challenge(send)
            await self.app(scope, receive, self._step_up(send, sending, demand, headers, method))
        finally:
            current_demand.reset(demanded)
            self.context_var.reset(token)

    async def _anonymous(self, scope: Scope, receive: Receive, send: Send) -> None:
        """A public operation without credentials: the app sees no identity
        (the context variable is ``None``; ``scope["state"]`` gets no ``auth_info``)."""
        token = self.context_var.set(None)
        try:
            await self.app(scope, receive, expose_challenge(send))
        finally:
            self.context_var.reset(token)

    def _step_up(
        self, raw: Send, sending: Send, demand: Demand, headers: list[str], method: str
    ) -> Send:
        """``sending``, unless a tool demanded scopes before the response started."""
        replaced = False

        async def send(message: Message) -> None:
            nonlocal replaced
            if replaced:
                return  # the app's own response, dropped for the 403
            if message["type"] == "http.response.start":
                demand.started = True
                if demand.missing:
                    replaced = True
                    used = scheme_used(headers)
                    answer = self.gate.insufficient_scope(demand.missing, used, demand.description)
                    await send_reply(raw, answer, head=method == "HEAD")
                    return
            await sending(message)

        return send


def credential_headers(raw: Any) -> list[str]:
    """``Authorization`` then ``DPoP`` as ``[name, value, …]``, one entry per header received."""
    authorizations: list[str] = []
    proofs: list[str] = []
    for name, value in raw:
        if len(name) == 13 and name.lower() == b"authorization":
            authorizations.append(value.decode("latin-1"))
        elif len(name) == 4 and name.lower() == b"dpop":
            proofs.append(value.decode("latin-1"))
    flat: list[str] = []
    for value in authorizations:
        flat += ("authorization", value)
    for value in proofs:
        flat += ("dpop", value)
    return flat


def without_authorization(raw: Any) -> list[tuple[bytes, bytes]]:
    """The ASGI headers minus every ``Authorization`` one."""
    return [(name, value) for name, value in raw if name.lower() != b"authorization"]


def tls_certificate(scope: Scope) -> bytes | None:
    """The client certificate's DER from the ASGI ``tls`` extension
    (``client_cert_chain``: PEM strings, the client's first); ``None`` when
    the server gives none (uvicorn does not provide the extension)."""
    extensions = scope.get("extensions")
    tls = extensions.get("tls") if isinstance(extensions, dict) else None
    chain = tls.get("client_cert_chain") if isinstance(tls, dict) else None
    if not chain or not isinstance(chain[0], str):
        return None
    try:
        return ssl.PEM_cert_to_DER_cert(chain[0])
    except ValueError:
        return None


def proxy_headers(raw: Any, lower: bytes) -> list[str]:
    """A trusted proxy's certificate header, one entry per header received
    (the core takes exactly one)."""
    flat: list[str] = []
    name = lower.decode("latin-1")
    for key, value in raw:
        if key.lower() == lower:
            flat += (name, value.decode("latin-1"))
    return flat


def scheme_used(headers: list[str]) -> Scheme | None:
    """The scheme of the (first) Authorization value, which the gate accepted."""
    scheme = headers[1].split(" ", 1)[0].lower() if len(headers) > 1 else ""
    return "dpop" if scheme == "dpop" else "bearer" if scheme == "bearer" else None


def is_cors_preflight(method: str, raw: Any) -> bool:
    return _native.is_cors_preflight(method, [name.decode("latin-1") for name, _ in raw])


def request_target(scope: Scope) -> tuple[str, str]:
    """(the path below the mount point + query, the full path + query), as received."""
    raw_path = scope.get("raw_path")
    full = raw_path.decode("latin-1") if isinstance(raw_path, bytes) else scope["path"]
    root = scope.get("root_path", "")
    # Starlette ≥ 0.33 keeps the mount prefix in `path`; older servers stripped it.
    if root and not full.startswith(root):
        full = root + full
    below = full[len(root) :] if root and full.startswith(root) else full
    query: bytes = scope.get("query_string", b"")
    suffix = "?" + query.decode("latin-1") if query else ""
    return (below or "/") + suffix, full + suffix


async def send_reply(send: Send, reply: Reply, *, head: bool = False) -> None:
    headers = [(n.lower().encode("latin-1"), v.encode("latin-1")) for n, v in reply.headers]
    if not any(n == b"content-length" for n, _ in headers):
        headers.append((b"content-length", str(len(reply.body)).encode()))
    await send({"type": "http.response.start", "status": reply.status, "headers": headers})
    await send({"type": "http.response.body", "body": b"" if head else reply.body})


def expose_challenge(send: Send) -> Send:
    """Browser clients must be able to read a handler's own 403 challenge too."""

    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = list(message.get("headers", []))
            for i, (name, value) in enumerate(headers):
                if name.lower() == _EXPOSE:
                    listed = [v.strip() for v in value.split(b",") if v.strip()]
                    if not any(v.lower() == _WWW_AUTHENTICATE.lower() for v in listed):
                        headers[i] = (name, b", ".join([*listed, _WWW_AUTHENTICATE]))
                    break
            else:
                headers.append((_EXPOSE, _WWW_AUTHENTICATE))
            message = {**message, "headers": headers}
        await send(message)

    return sending
