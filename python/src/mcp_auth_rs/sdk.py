"""The core as a ``TokenVerifier`` for the official ``mcp`` SDK (1.x and 2.x).

The SDK's bearer backend calls ``verify_token`` with the text after
``Bearer ``; the gate ('jwt' route, no required scopes: the SDK checks
those) judges it as if it had arrived in an ``Authorization`` header, so
every check is the core's. Only the HTTP answers are the SDK's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

from mcp_auth_rs._gate import Gate, Reply
from mcp_auth_rs.exceptions import MCPAuthException
from mcp_auth_rs.types import AuthInfo

if TYPE_CHECKING:
    from mcp.server.auth.provider import AccessToken

__all__ = ["MCPAuthVerificationUnavailableException", "McpTokenVerifier"]

#: ``AccessToken.client_id`` when the token names no client (neither
#: ``client_id`` nor ``azp``): empty rather than invented, so that no
#: ``sub`` can pass for a real client's id.
NO_CLIENT_ID = ""

# The gate judges a request; these stand for the SDK's one.
_METHOD = "POST"
_URL = "/"

T = TypeVar("T")


class MCPAuthVerificationUnavailableException(MCPAuthException):
    """The token could not be judged: the authorization server's keys are unreachable.

    Raised (not ``None``) so that a client is not told its token is bad during an
    outage; the SDK has no 503, so the request ends as a 500 (FastMCP: raised as
    ``TokenVerificationError``). ``status`` is the answer the core would send
    (503, or 500 for a fault of its own); ``retry_after`` is in seconds.
    """

    def __init__(self, status: int, retry_after: int | None) -> None:
        super().__init__("verification_unavailable", "The access token could not be verified now.")
        self.status = status
        self.retry_after = retry_after


async def judge(gate: Gate, token: str) -> AuthInfo | None:
    """The core's verdict on ``token``: its identity, ``None`` when refused, or raises."""
    decided = await gate.decide(_METHOD, _URL, None, ["authorization", f"Bearer {token}"])
    if not isinstance(decided, Reply):
        return decided
    if decided.status >= 500:
        raise MCPAuthVerificationUnavailableException(decided.status, _retry_after(decided))
    return None


def to_access_token(info: AuthInfo, resource: str, cls: type[T]) -> T:
    """``info`` as the SDK's ``AccessToken`` (or a subclass such as FastMCP's)."""
    # A hierarchy's implied scopes count as granted for the SDK's scope checks.
    scopes = info.effective_scopes if info.effective_scopes is not None else info.scopes
    expires_at = info.expires_at
    fields: dict[str, Any] = {
        "token": info.token,
        "client_id": info.client_id or NO_CLIENT_ID,
        "scopes": list(scopes),
        "expires_at": None if expires_at is None else int(expires_at),
        "resource": resource,
        "subject": info.subject,
        # `iss` included: mcp 2.x binds sessions to (client_id, iss, sub).
        "claims": dict(info.claims),
    }
    return cls(**fields)


class McpTokenVerifier:
    """``mcp.server.auth.provider.TokenVerifier`` on the core (made by ``MCPAuth.token_verifier``).

    ``verify_token`` never blocks the event loop: key fetches and heavy checks
    run on the core's runtime. A refused token is ``None`` (the SDK answers 401);
    an outage raises ``MCPAuthVerificationUnavailableException``.
    """

    def __init__(self, gate: Gate, resource: str) -> None:
        self._gate = gate
        self.resource = resource

    async def verify_token(self, token: str) -> AccessToken | None:
        from mcp.server.auth.provider import AccessToken

        info = await judge(self._gate, token)
        return None if info is None else to_access_token(info, self.resource, AccessToken)


def _retry_after(reply: Reply) -> int | None:
    for name, value in reply.headers:
        if name.lower() == "retry-after" and value.isdigit():
            return int(value)
    return None
