"""The framework-neutral decision behind the ASGI middleware.

Given a request's method, URL and credential headers, the native
``Authenticator`` (the core's ``flow.rs``) either accepts it, with the
identity as one JSON text, or answers with the exact response. A custom
verify function is the only thing that runs here: the core decides
everything before and after it (RFC 6750 parsing, DPoP, scopes, texts).
"""

from __future__ import annotations

import inspect
import json
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal

import anyio

from mcp_auth_rs import _native
from mcp_auth_rs._convert import invalid_config
from mcp_auth_rs._native import Answer, NativeAuthError, Verify
from mcp_auth_rs._scopes import HierarchyEntries, native_rules
from mcp_auth_rs.events import Emitter, token_id
from mcp_auth_rs.exceptions import (
    BearerAuthExceptionCode,
    MCPAuthAuthServerException,
    MCPAuthBearerAuthException,
    MCPAuthConfigException,
    MCPAuthTokenVerificationException,
)
from mcp_auth_rs.mtls import MtlsOptions, native_options
from mcp_auth_rs.types import AuthInfo

Scheme = Literal["bearer", "dpop"]
Refusal = Literal["coded", "missingScopes", "described", "server", "unexpected"]

#: A custom verifier: mcpauth's are synchronous; an awaitable result is awaited.
Verify_ = Callable[[str], AuthInfo | Awaitable[AuthInfo]]

# The Node wrapper's refusal for a verifier that did not settle in time (503 + Retry-After).
_VERIFY_TIMEOUT_REASON = "the token verifier did not answer in time"


class _TimedOut(Exception):
    """A custom verifier's awaitable outlived ``verify_timeout``."""


@dataclass(frozen=True)
class RequestBody:
    """What the middleware read of a request for the core to judge (``operations``).

    ``state``: ``'json'`` (``data`` holds the bytes), ``'none'`` (not a POST),
    ``'not-json'`` (a POST whose Content-Type is not ``application/json``),
    ``'too-large'`` (over ``max_body_bytes``, by Content-Length or by the bytes
    read) or ``'unreadable'``."""

    state: Literal["json", "none", "not-json", "too-large", "unreadable"]
    data: bytes | None = None


@dataclass(frozen=True)
class Reply:
    """A response to send instead of calling the app: status, headers, body."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes


# Fixed, so it can be sent when the core itself is what failed.
_INTERNAL_ERROR = Reply(
    500,
    [("Content-Type", "application/json; charset=utf-8")],
    b'{"error":"server_error","error_description":"An internal error occurred."}',
)


class Gate:
    """One resource's decision: ``decide`` answers an ``AuthInfo`` or a ``Reply``."""

    def __init__(
        self,
        native: _native.Authenticator,
        *,
        verify: Verify_ | None,
        resource: str | None,
        show_error_details: bool,
        events: Emitter | None = None,
        verify_timeout: float = 10.0,
        mtls: MtlsOptions | None = None,
    ) -> None:
        self._native = native
        # Seconds an awaitable verify result may take (a synchronous one cannot be stopped).
        self._verify_timeout = verify_timeout
        self._events = events if events is not None and events.active else None
        self._verify = verify
        self._resource = resource
        self._show_error_details = show_error_details
        #: mTLS on: the middleware reads the connection's certificate
        #: (``reads_connection``) and the proxy header (``proxy_header``, lower case).
        self.mtls = mtls is not None
        self.reads_connection = bool(mtls and mtls.get("connection") is True)
        header = (mtls or {}).get("proxy_header")
        name = header.get("name") if isinstance(header, dict) else None
        self.proxy_header = name.lower().encode("latin-1") if isinstance(name, str) else None
        #: Per-tool authorization (``operations``): the longest body the
        #: middleware reads; ``None`` without it (no body is read then).
        self.max_body_bytes: int | None = native.max_body_bytes()

    def security_schemes(self, tool: str) -> str | None:
        """The tool's ``securitySchemes`` as JSON text (``None`` without ``operations``)."""
        return self._native.security_schemes(tool)

    async def decide(
        self,
        method: str,
        url: str,
        original_url: str | None,
        headers: list[str],
        certificate: bytes | None = None,
    ) -> AuthInfo | Reply:
        """Never raises: a bug or a hostile value becomes a 500, never a pass.
        ``certificate``: the DER client certificate of the TLS connection (mTLS)."""
        decided = await self._judge(method, url, original_url, headers, certificate, None)
        # Only an operation (a body) can be anonymous.
        return _INTERNAL_ERROR if decided is None else decided

    async def decide_operation(
        self,
        method: str,
        url: str,
        original_url: str | None,
        headers: list[str],
        certificate: bytes | None,
        body: RequestBody,
    ) -> AuthInfo | Reply | None:
        """``decide`` for a route with ``operations``: the core judges the
        JSON-RPC ``body`` too; ``None`` is an anonymous pass (a public
        operation, no credentials), which emits no event."""
        return await self._judge(method, url, original_url, headers, certificate, body)

    async def _judge(
        self,
        method: str,
        url: str,
        original_url: str | None,
        headers: list[str],
        certificate: bytes | None,
        body: RequestBody | None,
    ) -> AuthInfo | Reply | None:
        try:
            decided = await self._decide(method, url, original_url, headers, certificate, body)
        except Exception:
            if self._events:
                self._rejected(500, "server_error", "internal_error")
            return _INTERNAL_ERROR
        if decided is None:
            return None
        if isinstance(decided, Answer):
            if self._events:
                self._rejected(decided.status, decided.error, decided.reason)
            return reply(decided)
        if self._events:
            self._events.emit(
                {
                    "type": "accepted",
                    "resource": self._resource,
                    "issuer": decided.issuer,
                    "subject": decided.subject,
                    "client_id": decided.client_id,
                    "token_id": token_id(decided.token),
                }
            )
        return decided

    async def _decide(
        self,
        method: str,
        url: str,
        original_url: str | None,
        headers: list[str],
        certificate: bytes | None,
        body: RequestBody | None = None,
    ) -> AuthInfo | Answer | None:
        # With listeners, the core also times its verifier (`verification` events).
        timed = self._events is not None
        outcome: str | Answer | Verify | Awaitable[str | Answer | None] | None
        if body is None:
            outcome = self._native.authenticate(
                method, url, original_url, headers, timed, certificate
            )
        else:
            outcome = self._native.authenticate_operation(
                method, url, original_url, headers, timed, certificate, body.data, body.state
            )
        if inspect.isawaitable(outcome):
            outcome = await outcome
        if outcome is None:
            return None  # anonymous: a public operation without credentials
        if isinstance(outcome, str):
            return self._accepted(headers, outcome)
        if isinstance(outcome, Answer):
            if timed and outcome.verify_ms is not None:
                # The native verifier ran; `valid` is its verdict on the token alone.
                self._verification(outcome.verify_ms, outcome.verify_valid is True)
            return outcome
        return await self._verify_then_finish(method, url, original_url, outcome)

    def _verification(self, duration_ms: float, valid: bool) -> None:
        assert self._events is not None
        self._events.emit(
            {
                "type": "verification",
                "resource": self._resource,
                "duration_ms": duration_ms,
                "valid": valid,
            }
        )

    def _rejected(self, status: int, error: str | None, reason: str) -> None:
        assert self._events is not None
        self._events.emit(
            {
                "type": "rejected",
                "resource": self._resource,
                "status": status,
                "error": error,
                "reason": reason,
            }
        )

    def insufficient_scope(
        self, missing: list[str], used: Scheme | None, description: str | None = None
    ) -> Reply:
        """The core's 403 ``insufficient_scope`` for scopes a tool demanded (``_step_up``):
        its challenge names them, so the client asks for exactly those."""
        try:
            return reply(self._native.step_up(missing, description, used))
        except Exception:
            return _INTERNAL_ERROR

    def _accepted(self, headers: list[str], text: str) -> AuthInfo:
        # An array with fixed places (``place`` in the core's accepted_json.rs):
        # claims, scheme, token length, issuer, subject, client id, scopes,
        # expiry, then the effective scopes and the verifier's time when present.
        accepted: list[Any] = json.loads(text)
        verify_ms = accepted[9] if len(accepted) > 9 else None
        if self._events is not None and verify_ms is not None:
            self._verification(verify_ms, True)
        # The token is the end of the Authorization value (the first header passed).
        authorization = headers[1]
        token = authorization[len(authorization) - accepted[2] :]
        claims: dict[str, Any] = accepted[0]
        return _auth_info(
            token=token,
            issuer=accepted[3],
            client_id=accepted[5],
            scopes=accepted[6],
            subject=accepted[4],
            audience=claims.get("aud"),
            claims=claims,
            expires_at=accepted[7],
            effective_scopes=accepted[8] if len(accepted) > 8 else None,
            resource=self._resource,
        )

    async def _verify_then_finish(
        self, method: str, url: str, original_url: str | None, outcome: Verify
    ) -> AuthInfo | Answer:
        scheme = outcome.scheme
        # Per-tool authorization: the refusal is the operation's (its signal applies).
        operation = outcome.operation
        if self._verify is None:
            return self._native.refuse("unexpected", used=scheme, operation=operation)
        start = time.perf_counter()
        try:
            result = self._verify(outcome.token)
            auth = await self._within(result) if inspect.isawaitable(result) else result
        except _TimedOut:
            if self._events is not None:
                self._verification((time.perf_counter() - start) * 1000, False)
            return self._native.refuse(
                "coded",
                code="verify_timeout",
                fault="infrastructure",
                reason=_VERIFY_TIMEOUT_REASON,
                used=scheme,
                operation=operation,
            )
        except Exception as error:
            if self._events is not None:
                self._verification((time.perf_counter() - start) * 1000, False)
            kind, details = self._refusal(error)
            return self._native.refuse(kind, used=scheme, operation=operation, **details)
        if self._events is not None:
            # A custom verifier is timed here, as the Node wrapper times it.
            self._verification((time.perf_counter() - start) * 1000, True)
        if not isinstance(auth, AuthInfo) or not all(isinstance(s, str) for s in auth.scopes):
            return self._native.refuse("unexpected", used=scheme, operation=operation)
        claims = auth.claims or {}
        cnf = claims.get("cnf")
        jkt = cnf.get("jkt") if isinstance(cnf, dict) else None
        finished = self._native.finish(
            scheme,
            cnf is not None,
            jkt if isinstance(jkt, str) else None,
            outcome.proof,
            method,
            original_url or url,
            outcome.token,
            list(auth.scopes),
            _identity(auth),
            x5t=_certificate_bound(cnf),
            certificate=outcome.certificate,
            operation=operation,
        )
        if inspect.isawaitable(finished):
            finished = await finished
        if isinstance(finished, Answer):
            return finished
        return auth.model_copy(update={"effective_scopes": finished.effective_scopes})

    async def _within(self, pending: Awaitable[AuthInfo]) -> AuthInfo:
        """``pending``'s result, cancelled after ``verify_timeout`` (anyio: asyncio or trio)."""
        with anyio.move_on_after(self._verify_timeout):
            return await pending
        # Only the deadline leaves the block without a result; the verifier's own
        # TimeoutError propagates as any other error of it.
        raise _TimedOut

    def _refusal(self, error: Exception) -> tuple[Refusal, dict[str, Any]]:
        """Which kind of failure ``error`` is, for the core's ``refuse``: never a decision."""
        if isinstance(error, NativeAuthError):
            return "coded", {
                "code": error.code,
                "fault": error.fault,
                "reason": error.reason,
                "retry_after": error.retry_after,
            }
        if (
            isinstance(error, MCPAuthBearerAuthException)
            and error.code == BearerAuthExceptionCode.MISSING_REQUIRED_SCOPES
        ):
            missing = getattr(error.cause, "missing_scopes", None)
            return "missingScopes", {"missing": list(missing) if missing else None}
        if isinstance(error, (MCPAuthBearerAuthException, MCPAuthTokenVerificationException)):
            cause = error.to_json(True).get("cause") if self._show_error_details else None
            return "described", {
                "code": _code_text(error.code),
                "message": error.message,
                "cause_json": None if cause is None else json.dumps(cause, default=str),
            }
        if isinstance(error, (MCPAuthAuthServerException, MCPAuthConfigException)):
            return "server", {"code": _code_text(error.code), "description": error.message}
        return "unexpected", {}


def new_authenticator(
    metadata_url: str | None,
    required_scopes: list[str],
    show_error_details: bool,
    max_token_length: int,
    route: str,
    verifier: _native.Verifier | None,
    dpop: _native.DpopChecker | None,
    introspector: _native.Introspector | None,
    *,
    hierarchy: HierarchyEntries | None = None,
    caller_checks: dict[str, Any] | None = None,
    mtls: MtlsOptions | None = None,
    operations: dict[str, object] | None = None,
) -> _native.Authenticator:
    """The native decision for one gate; the core checks every option.

    ``caller_checks`` (``issuers``, ``audiences``): what a custom verifier's
    identity must name, checked by the core after the verifier. ``mtls``: the
    resource's RFC 8705 option as configured (the core judges it).
    ``operations``: per-tool authorization in the core's spelling."""
    options: dict[str, Any] = {
        "requiredScopes": required_scopes,
        "showErrorDetails": show_error_details,
        "maxTokenLength": max_token_length,
        "route": route,
    }
    if metadata_url is not None:
        options["resourceMetadataUrl"] = metadata_url
    if hierarchy is not None:
        options["scopeHierarchy"] = native_rules(hierarchy)
    if caller_checks is not None:
        options["callerChecks"] = caller_checks
    if mtls is not None:
        options["mtls"] = native_options(mtls)
    if operations is not None:
        try:
            json.dumps(operations, allow_nan=False)
        except (TypeError, ValueError):
            raise invalid_config("`operations` holds a value that is not JSON.") from None
        options["operations"] = operations
    try:
        return _native.Authenticator(json.dumps(options), verifier, dpop, introspector)
    except _native.NativeAuthError as error:
        raise invalid_config(error.reason) from None


def bearer_limits(audiences: list[str] | None, max_token_length: object = None) -> int:
    """The core's checks of the audiences and ``max_token_length`` (bytes);
    returns the longest token accepted."""
    options: dict[str, Any] = {"audiences": audiences if audiences is not None else False}
    if max_token_length is not None:
        options["maxTokenLength"] = max_token_length
    try:
        text = json.dumps(options, allow_nan=False)
    except (TypeError, ValueError):
        # Not expressible as JSON (NaN, an object): refused by the core, naming the option.
        text = json.dumps({**options, "maxTokenLength": "NaN"})
    try:
        return _native.check_bearer_limits(text)
    except _native.NativeAuthError as error:
        raise invalid_config(error.reason) from None


def _certificate_bound(cnf: object) -> str | None:
    """``cnf["x5t#S256"]`` when ``cnf`` holds nothing else but a DPoP ``jkt``:
    any other member keeps the token refused, as before."""
    if not isinstance(cnf, dict) or not all(k in ("x5t#S256", "jkt") for k in cnf):
        return None
    x5t = cnf.get("x5t#S256")
    return x5t if isinstance(x5t, str) else None


def reply(answer: Answer) -> Reply:
    return Reply(answer.status, list(answer.headers), answer.body.encode())


def _identity(auth: AuthInfo) -> tuple[str | None, list[str], float | None]:
    """What the core's ``finish`` checks of a custom verifier's answer: the issuer,
    the audience's strings and the expiry (NaN for anything but a number)."""
    audience: object = auth.audience
    values = [audience] if isinstance(audience, str) else audience or []
    expires_at: object = getattr(auth, "expires_at", None)
    return (
        auth.issuer if isinstance(auth.issuer, str) else None,
        [v for v in values if isinstance(v, str)] if isinstance(values, list) else [],
        None
        if expires_at is None
        else float(expires_at)
        if isinstance(expires_at, (int, float))
        else math.nan,
    )


def _auth_info(**fields: Any) -> AuthInfo:
    # The values come from the core's verified identity: no second validation.
    known = AuthInfo.model_fields
    return AuthInfo.model_construct(**{k: v for k, v in fields.items() if k in known})


def _code_text(code: object) -> str:
    value = getattr(code, "value", code)
    return value if isinstance(value, str) else str(value)
