"""mcpauth's ``mcpauth.middleware.create_bearer_auth`` (0.2.0b1), on the core.

``create_bearer_auth(verify_access_token, config, context_var)`` returns this
package's pure ASGI middleware class with ``verify_access_token`` as its
custom verifier: the core parses the header, answers every refusal (the
same statuses and challenges as ``bearer_auth_middleware``) and checks the
scopes; here only the configured issuer rule is applied to the verifier's
answer. ``get_bearer_token_from_headers`` reads a header through the core's
RFC 6750 parser and raises mcpauth's exceptions.
"""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

from pydantic import BaseModel
from starlette.datastructures import Headers

from mcp_auth_rs import _native
from mcp_auth_rs._gate import Gate, Verify_, bearer_limits, new_authenticator
from mcp_auth_rs.exceptions import (
    BearerAuthExceptionCode,
    MCPAuthBearerAuthException,
)
from mcp_auth_rs.middleware.asgi import BearerAuthMiddleware
from mcp_auth_rs.types import AuthInfo, Record, VerifyAccessTokenFunction

__all__ = [
    "AuthInfo",
    "BearerAuthConfig",
    "Record",
    "VerifyAccessTokenFunction",
    "create_bearer_auth",
    "get_bearer_token_from_headers",
]


class BearerAuthConfig(BaseModel):
    """What ``create_bearer_auth`` checks besides the verifier's own checks."""

    issuer: str | Callable[[str], None]
    """The expected ``iss``: a URL (exact match) or a function that raises for a wrong one."""

    audience: str | None = None
    """The expected audience. Unlike mcpauth, it defaults to ``resource`` (RFC 8707)."""

    required_scopes: list[str] | None = None
    """Scopes every token must hold; a missing one is 403 ``insufficient_scope``."""

    resource: str | None = None
    """The protected resource: its metadata URL is named in the challenges."""

    show_error_details: bool = False
    """Put the verifier's error cause in the 401 body."""


# The core's reasons for a header it cannot take, as mcpauth's codes.
_HEADER_CODES = {
    "missing_authorization": BearerAuthExceptionCode.MISSING_AUTH_HEADER,
    "missing_token": BearerAuthExceptionCode.MISSING_BEARER_TOKEN,
}

_reader: _native.Authenticator | None = None


def get_bearer_token_from_headers(headers: Headers) -> str:
    """The bearer token of a request's ``Authorization`` header(s).

    Raises ``MCPAuthBearerAuthException``: ``missing_auth_header``,
    ``missing_bearer_token``, or ``invalid_auth_header_format`` for anything
    else RFC 6750 refuses (another scheme, bad grammar, two headers).
    """
    global _reader
    if _reader is None:
        _reader = new_authenticator(
            None, [], False, bearer_limits(None), "caller", None, None, None
        )
    flat: list[str] = []
    for value in headers.getlist("authorization"):
        flat += ("authorization", value)
    read = _reader.authenticate("GET", "/", None, flat, False)
    if isinstance(read, _native.Verify):
        return read.token
    reason = read.reason if isinstance(read, _native.Answer) else ""
    code = _HEADER_CODES.get(reason, BearerAuthExceptionCode.INVALID_AUTH_HEADER_FORMAT)
    raise MCPAuthBearerAuthException(code)


def create_bearer_auth(
    verify_access_token: VerifyAccessTokenFunction,
    config: BearerAuthConfig,
    context_var: ContextVar[AuthInfo | None],
) -> type[BearerAuthMiddleware]:
    """A pure ASGI middleware class admitting requests whose token
    ``verify_access_token`` accepts (sync or async) and whose issuer,
    audience and scopes match ``config``; use it as ``Middleware(cls)``.

    The caller's ``AuthInfo`` is in ``context_var`` while the app runs.
    Raises ``TypeError`` as mcpauth does for a verifier that is not callable
    or an issuer that is neither a URL nor a function.
    """
    if not callable(verify_access_token):
        raise TypeError(
            "`verify_access_token` must be a function that takes a token and returns an "
            "`AuthInfo` object."
        )
    issuer = config.issuer
    if isinstance(issuer, str):
        try:
            _native.check_server_url(issuer, "issuer")
        except _native.NativeAuthError:
            raise TypeError("`issuer` must be a valid URL.") from None
    elif not callable(issuer):
        raise TypeError("`issuer` must be either a string or a callable.")

    audience = config.audience if config.audience is not None else config.resource
    audiences = [audience] if audience else None
    if audiences is None:
        warnings.warn(
            "create_bearer_auth accepts tokens for any audience: set `resource` or `audience`.",
            stacklevel=2,
        )
    metadata_url = (
        _native.protected_resource_metadata_url(config.resource) if config.resource else None
    )
    native = new_authenticator(
        metadata_url,
        list(config.required_scopes or []),
        config.show_error_details,
        bearer_limits(audiences),
        "caller",
        None,
        None,
        None,
        caller_checks=_caller_checks(issuer, audiences),
    )
    gate = Gate(
        native,
        verify=_with_issuer_check(verify_access_token, issuer),
        resource=config.resource,
        show_error_details=config.show_error_details,
    )
    attributes: dict[str, Any] = {"gate": gate, "context_var": context_var}
    return type("BearerAuthMiddleware", (BearerAuthMiddleware,), attributes)


def _caller_checks(issuer: object, audiences: list[str] | None) -> dict[str, Any] | None:
    # The core checks the verifier's identity against a configured issuer URL
    # and the audiences; an issuer function runs in Python, before it.
    checks: dict[str, Any] = {}
    if isinstance(issuer, str):
        checks["issuers"] = [issuer]
    if audiences:
        checks["audiences"] = audiences
    return checks or None


def _with_issuer_check(
    verify: VerifyAccessTokenFunction, issuer: str | Callable[[str], None]
) -> Verify_:
    """``verify``, then a function ``issuer`` on the answer (a URL is checked by the gate)."""
    if isinstance(issuer, str):
        return verify

    async def verified(token: str) -> AuthInfo:
        result = verify(token)
        auth = await result if inspect.isawaitable(result) else result
        if isinstance(auth, AuthInfo):
            issuer(auth.issuer)
        return auth

    return verified
