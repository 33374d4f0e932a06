"""A tool's own scope demand, answered as the core's 403 ``insufficient_scope``.

The Python MCP SDKs have no per-tool scope challenge: an exception in a tool
becomes an ``isError`` result inside an HTTP 200, and an OAuth client never
learns that more scopes would help. The bearer middleware therefore opens a
``Demand`` per request, in a context variable the tool's task inherits (a
mutable object, so what the tool records is visible to the middleware after
the tool returns). ``require_scopes`` records the missing scopes there and
raises; when the app then starts its response, the middleware sends the
core's 403 ``insufficient_scope`` challenge in its place, so the client steps
up (re-authorizes for the named scopes) and retries.

That works only when the response starts after the tool ran: stateless
Streamable HTTP with ``json_response=True``. With an event stream the
response has already started (200) when the tool runs; then nothing is
replaced and the caller gets the tool error (``Demand.answerable`` says which
case applies).
"""

from __future__ import annotations

from collections.abc import Iterable
from contextvars import ContextVar

from mcp_auth_rs.exceptions import (
    BearerAuthExceptionCode,
    MCPAuthBearerAuthException,
    MCPAuthBearerAuthExceptionDetails,
)
from mcp_auth_rs.types import AuthInfo


class Demand:
    """One request's scope demand, written by a tool, read by the middleware."""

    __slots__ = ("description", "missing", "started")

    def __init__(self) -> None:
        #: The scopes a tool asked for and the caller lacks, in the tool's order.
        self.missing: list[str] = []
        #: The first demanding tool's reason, for the challenge's error_description.
        self.description: str | None = None
        #: The response has started: a demand can no longer change it.
        self.started = False

    @property
    def answerable(self) -> bool:
        """Whether a demand recorded now still becomes the 403 answer."""
        return not self.started


#: Set by the bearer middleware around each accepted request; ``None`` elsewhere.
current_demand: ContextVar[Demand | None] = ContextVar("mcp_auth_rs_demand", default=None)


def require_scopes(
    auth_info: AuthInfo | None, scopes: Iterable[str], description: str | None = None
) -> None:
    """Returns when ``auth_info`` grants every scope; otherwise records the demand and raises.

    The raised ``MCPAuthBearerAuthException`` (``missing_required_scopes``,
    ``cause.missing_scopes`` set) is what the caller sees as the tool's error
    when the demand cannot become the 403 (see the module's text);
    ``description`` replaces its message then, and is the 403 challenge's
    ``error_description`` otherwise (sanitised by the core).
    """
    wanted = list(dict.fromkeys(scopes))
    held = _held(auth_info)
    missing = [scope for scope in wanted if scope not in held]
    if not missing:
        return
    demand = current_demand.get()
    if demand is not None and demand.answerable:
        demand.missing.extend(s for s in missing if s not in demand.missing)
        if demand.description is None:
            demand.description = description
    error = MCPAuthBearerAuthException(
        BearerAuthExceptionCode.MISSING_REQUIRED_SCOPES,
        MCPAuthBearerAuthExceptionDetails(missing_scopes=missing),
    )
    if description is not None:
        error.message = description
        error.args = (description,)
    raise error


def _held(auth_info: AuthInfo | None) -> set[str]:
    if auth_info is None:
        return set()
    # A scope hierarchy's implied scopes count; the token's own scopes otherwise.
    effective = getattr(auth_info, "effective_scopes", None)
    return set(effective if effective is not None else auth_info.scopes)
