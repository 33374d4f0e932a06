"""Auth events, as the Node package's ``onAuthEvent``: an optional hook for logs and metrics.

Events name a token by ``token_id`` (``sha256:`` + the first 16 hex digits
of the token's SHA-256), never by the token or a claim such as ``jti``.
A listener that raises changes nothing: the request is decided the same.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from typing import Literal

from typing_extensions import NotRequired, TypedDict

__all__ = [
    "AcceptedEvent",
    "AuthEvent",
    "AuthEventListener",
    "JwksOutageCode",
    "JwksRefreshedEvent",
    "JwksUnavailableEvent",
    "RejectedEvent",
    "StoreEvent",
    "VerificationEvent",
    "token_id",
]


class AcceptedEvent(TypedDict):
    type: Literal["accepted"]
    resource: str | None
    issuer: str
    subject: str | None
    client_id: str | None
    token_id: str


class RejectedEvent(TypedDict):
    type: Literal["rejected"]
    resource: str | None
    status: int
    #: The RFC 6750 error sent, ``None`` for a bare 401 challenge.
    error: str | None
    #: Why, as a stable code of the core (``expired``, ``audience_mismatch``, ``dpop_replayed``…).
    reason: str


class StoreEvent(TypedDict):
    """A fleet store (introspection cache, token exchange, DPoP replay store) failed,
    recovered, or held a record that failed its check (``reason`` ``bad_mac`` /
    ``unreadable`` / ``undecryptable``)."""

    type: Literal["store_unavailable", "store_recovered", "store_record_rejected"]
    operation: NotRequired[str]
    reason: NotRequired[str]


class JwksRefreshedEvent(TypedDict):
    """A verifier fetched an issuer's key set."""

    type: Literal["jwks_refreshed"]
    #: The issuer whose key set this is, when the URL tells (else ``None``).
    issuer: str | None
    jwks_uri: str
    key_count: int
    #: Keys skipped as unusable, and similar findings.
    warnings: list[str]


#: Why a key set could not be fetched, one of a fixed set: safe as a metric label.
JwksOutageCode = Literal[
    "timeout",
    "connection_failed",
    "redirect_refused",
    "http_status",
    "not_found",
    "content_type",
    "too_large",
    "invalid_json",
    "invalid_key_set",
    "no_usable_keys",
    "other",
]


class JwksUnavailableEvent(TypedDict):
    """A key-set fetch failed (requests needing it get 503 unless a stale set serves)."""

    type: Literal["jwks_unavailable"]
    issuer: str | None
    jwks_uri: str
    code: JwksOutageCode
    #: The same in words; it may echo what the server sent, so keep it out of metric labels.
    reason: str


class VerificationEvent(TypedDict):
    """How long verifying one token took (signature, claims, any key fetch it waited for)."""

    type: Literal["verification"]
    resource: str | None
    #: Milliseconds, fractional.
    duration_ms: float
    #: Whether the verifier accepted the token (scopes are checked after). For a
    #: custom verify function: that it returned an identity; its issuer, audience
    #: and expiry are checked after it, by the core, with the scopes.
    valid: bool


AuthEvent = (
    AcceptedEvent
    | RejectedEvent
    | StoreEvent
    | JwksRefreshedEvent
    | JwksUnavailableEvent
    | VerificationEvent
)

#: Store and key-set events arrive on a worker thread of the core; the others
#: on the request's task.
AuthEventListener = Callable[[AuthEvent], object]


def token_id(token: str) -> str:
    """A token's id for events: derived from the token itself, never from its claims."""
    return "sha256:" + hashlib.sha256(token.encode()).hexdigest()[:16]


class Emitter:
    """Fans events out to listeners; a listener's failure never reaches the request."""

    def __init__(self, listeners: list[AuthEventListener | None] | None = None) -> None:
        self._listeners: list[AuthEventListener] = []
        for listener in listeners or []:
            self.add(listener)

    def add(self, listener: AuthEventListener | None) -> None:
        if listener is not None and listener not in self._listeners:
            self._listeners.append(listener)

    @property
    def active(self) -> bool:
        return bool(self._listeners)

    def emit(self, event: Mapping[str, object]) -> None:
        for listener in list(self._listeners):
            try:
                listener(event)  # type: ignore[arg-type]  # one of AuthEvent's shapes
            except Exception:  # observability must not change an outcome
                pass
