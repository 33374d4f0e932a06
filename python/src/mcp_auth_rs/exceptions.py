"""Exception classes with mcpauth's names, codes and messages, and the mapping
from the native core's errors onto them.

Classes, enums, members, messages, fallback messages and the three
``*_description`` dicts are those of ``mcpauth.exceptions`` (0.2.0b1).
One difference: ``to_json(show_cause=True)`` leaves ``cause`` out when there
is none (mcpauth writes the string ``"None"``).

Added: ``from_native`` turns an error of the native module (stable ``code``
and ``fault``) into the closest of these classes, keeping the core's code in
``native_code``, its fault in ``native_fault`` and ``retry_after``.
"""

from __future__ import annotations

from enum import Enum
from typing import Any, Literal, Protocol, cast

from pydantic import BaseModel

from mcp_auth_rs.types import Record

__all__ = [
    "FETCH_SERVER_CONFIG_ERROR",
    "AuthServerExceptionCode",
    "BearerAuthExceptionCode",
    "ExceptionCause",
    "MCPAuthAuthServerException",
    "MCPAuthBearerAuthException",
    "MCPAuthBearerAuthExceptionDetails",
    "MCPAuthConfigException",
    "MCPAuthException",
    "MCPAuthTokenExchangeException",
    "MCPAuthTokenVerificationException",
    "MCPAuthTokenVerificationExceptionCode",
    "NativeError",
    "NativeErrorCode",
    "NativeFault",
    "TokenExchangeExceptionCode",
    "auth_server_exception_description",
    "bearer_auth_exception_description",
    "from_native",
    "token_exchange_exception_description",
    "token_verification_exception_description",
]

ExceptionCause = Record | Exception | BaseModel | None

NativeFault = Literal["token", "infrastructure", "server", "proof", "nonce", "forbidden"]
"""Whose fault a native error is: decides 401 / 503 / 500 at the edge."""


class MCPAuthException(Exception):
    """Base class of every exception this package raises on purpose."""

    # Set by `from_native` only: the core's stable code, its fault, and the
    # seconds after which a retry may succeed (infrastructure faults).
    native_code: str | None = None
    native_fault: NativeFault | None = None
    retry_after: int | None = None

    def __init__(self, code: str | Enum, message: str, cause: ExceptionCause = None) -> None:
        """``code``: a snake_case code (or an enum of them); ``message``: what happened."""
        self.code: str | Enum = code
        self.message = message
        self.cause: ExceptionCause = cause
        super().__init__(message)

    def to_json(self, show_cause: bool = False) -> Record:
        """The exception as an OAuth-style JSON error body.

        ``{"error", "error_description"}``, plus ``"cause"`` when
        ``show_cause`` is true and there is one: a pydantic model's
        ``model_dump(exclude_none=True)``, anything else as ``str()``.
        """
        data: Record = {
            "error": self.code.value if isinstance(self.code, Enum) else self.code,
            "error_description": self.message,
        }
        if show_cause and self.cause is not None:
            cause = self.cause
            data["cause"] = (
                cause.model_dump(exclude_none=True) if isinstance(cause, BaseModel) else str(cause)
            )
        return data


class MCPAuthConfigException(MCPAuthException):
    """A configuration problem (e.g. code ``fetch_server_config_error``)."""


class AuthServerExceptionCode(str, Enum):
    INVALID_SERVER_METADATA = "invalid_server_metadata"
    INVALID_SERVER_CONFIG = "invalid_server_config"
    MISSING_JWKS_URI = "missing_jwks_uri"


auth_server_exception_description: dict[AuthServerExceptionCode, str] = {
    AuthServerExceptionCode.INVALID_SERVER_METADATA: "The server metadata is invalid or malformed.",
    AuthServerExceptionCode.INVALID_SERVER_CONFIG: (
        "The server configuration does not match the MCP specification."
    ),
    AuthServerExceptionCode.MISSING_JWKS_URI: (
        "The server metadata does not contain a JWKS URI, which is required for JWT verification."
    ),
}


class MCPAuthAuthServerException(MCPAuthException):
    """The authorization server's metadata or its configuration is unusable."""

    code: AuthServerExceptionCode

    def __init__(self, code: AuthServerExceptionCode, cause: ExceptionCause = None) -> None:
        message = auth_server_exception_description.get(
            code, "An exception occurred with the authorization server."
        )
        super().__init__(code.value, message, cause)
        self.code = code


class BearerAuthExceptionCode(str, Enum):
    MISSING_AUTH_HEADER = "missing_auth_header"
    INVALID_AUTH_HEADER_FORMAT = "invalid_auth_header_format"
    MISSING_BEARER_TOKEN = "missing_bearer_token"
    INVALID_ISSUER = "invalid_issuer"
    INVALID_AUDIENCE = "invalid_audience"
    MISSING_REQUIRED_SCOPES = "missing_required_scopes"
    INVALID_TOKEN = "invalid_token"


bearer_auth_exception_description: dict[BearerAuthExceptionCode, str] = {
    BearerAuthExceptionCode.MISSING_AUTH_HEADER: (
        "Missing `Authorization` header. Please provide a valid bearer token."
    ),
    BearerAuthExceptionCode.INVALID_AUTH_HEADER_FORMAT: (
        'Invalid `Authorization` header format. Expected "Bearer <token>".'
    ),
    BearerAuthExceptionCode.MISSING_BEARER_TOKEN: (
        "Missing bearer token in `Authorization` header. Please provide a valid token."
    ),
    BearerAuthExceptionCode.INVALID_ISSUER: "The token issuer does not match the expected issuer.",
    BearerAuthExceptionCode.INVALID_AUDIENCE: (
        "The token audience does not match the expected audience."
    ),
    BearerAuthExceptionCode.MISSING_REQUIRED_SCOPES: (
        "The token does not contain the necessary scopes for this request."
    ),
    BearerAuthExceptionCode.INVALID_TOKEN: "The provided token is not valid or has expired.",
}


class MCPAuthBearerAuthExceptionDetails(BaseModel):
    """What a bearer-auth failure is about; every field optional."""

    cause: Any = None
    uri: str | None = None
    missing_scopes: list[str] | None = None
    expected: Any = None
    actual: Any = None


class MCPAuthBearerAuthException(MCPAuthException):
    """The request's bearer credentials do not pass (header, issuer, audience, scopes)."""

    code: BearerAuthExceptionCode
    cause: MCPAuthBearerAuthExceptionDetails | None

    def __init__(
        self,
        code: BearerAuthExceptionCode,
        cause: MCPAuthBearerAuthExceptionDetails | None = None,
    ) -> None:
        message = bearer_auth_exception_description.get(
            code, "An exception occurred with the Bearer auth."
        )
        super().__init__(code.value, message, cause)
        self.code = code
        self.cause = cause

    def to_json(self, show_cause: bool = False) -> Record:
        """As the base class, plus ``error_uri`` and ``missing_scopes`` from the
        details whenever they are set (whatever ``show_cause`` is)."""
        data = super().to_json(show_cause)
        if self.cause is not None:
            if self.cause.uri is not None:
                data["error_uri"] = self.cause.uri
            if self.cause.missing_scopes is not None:
                data["missing_scopes"] = self.cause.missing_scopes
        return data


class MCPAuthTokenVerificationExceptionCode(str, Enum):
    INVALID_TOKEN = "invalid_token"
    TOKEN_VERIFICATION_FAILED = "token_verification_failed"


token_verification_exception_description: dict[MCPAuthTokenVerificationExceptionCode, str] = {
    MCPAuthTokenVerificationExceptionCode.INVALID_TOKEN: (
        "The provided token is invalid or malformed."
    ),
    MCPAuthTokenVerificationExceptionCode.TOKEN_VERIFICATION_FAILED: (
        "The token verification failed due to an error in the verification process."
    ),
}


class MCPAuthTokenVerificationException(MCPAuthException):
    """An access token could not be verified."""

    code: MCPAuthTokenVerificationExceptionCode

    def __init__(
        self, code: MCPAuthTokenVerificationExceptionCode, cause: ExceptionCause = None
    ) -> None:
        message = token_verification_exception_description.get(
            code, "An exception occurred while verifying the token."
        )
        super().__init__(code.value, message, cause)
        self.code = code


class TokenExchangeExceptionCode(str, Enum):
    TOKEN_EXCHANGE_REFUSED = "token_exchange_refused"
    TOKEN_EXCHANGE_UNAVAILABLE = "token_exchange_unavailable"


token_exchange_exception_description: dict[TokenExchangeExceptionCode, str] = {
    TokenExchangeExceptionCode.TOKEN_EXCHANGE_REFUSED: (
        "The authorization server refused to exchange the token for the upstream call."
    ),
    TokenExchangeExceptionCode.TOKEN_EXCHANGE_UNAVAILABLE: (
        "The token exchange could not be completed; try again later."
    ),
}


class MCPAuthTokenExchangeException(MCPAuthException):
    """Added: ``exchange_token`` failed.

    ``status`` is what a tool should answer: 403 when the authorization
    server refused (the caller may not act upstream), 503 (``retry_after``
    seconds) when it was unreachable, slow or answered garbage. ``cause``
    keeps the core's ``code``, ``reason`` (naming the server's OAuth
    ``error`` code, e.g. ``invalid_grant``) and the endpoint ``url``.
    """

    code: TokenExchangeExceptionCode

    def __init__(self, code: TokenExchangeExceptionCode, cause: ExceptionCause = None) -> None:
        super().__init__(code.value, token_exchange_exception_description[code], cause)
        self.code = code

    @property
    def status(self) -> int:
        """403 for a refusal, 503 for an outage."""
        return 403 if self.code is TokenExchangeExceptionCode.TOKEN_EXCHANGE_REFUSED else 503


# ---- native errors -----------------------------------------------------------

# The core's stable codes (`ErrorCode::as_str` in crates/mcp-auth-core/src/error.rs),
# for type checkers and documentation; a test keeps this list equal to the core's.
# Mapping uses the error's own `fault`, so a code added to the core maps sensibly
# before this list is updated.
NativeErrorCode = Literal[
    # fault "token"
    "malformed",
    "token_too_large",
    "unsupported_header",
    "alg_not_allowed",
    "unknown_kid",
    "ambiguous_key",
    "bad_signature",
    "expired",
    "not_yet_valid",
    "issued_in_future",
    "token_too_old",
    "issuer_untrusted",
    "audience_mismatch",
    "missing_claim",
    "invalid_claim",
    "type_not_allowed",
    "sender_constrained",
    "client_not_allowed",
    "tenant_not_allowed",
    "token_inactive",
    "dpop_required",
    "dpop_token_not_bound",
    "certificate_mismatch",
    # fault "proof"
    "dpop_proof_missing",
    "dpop_proof_multiple",
    "dpop_proof_malformed",
    "dpop_proof_type",
    "dpop_alg_not_allowed",
    "dpop_key_invalid",
    "dpop_bad_signature",
    "dpop_htm_mismatch",
    "dpop_htu_mismatch",
    "dpop_iat_out_of_window",
    "dpop_replayed",
    "dpop_ath_mismatch",
    "dpop_jkt_mismatch",
    # fault "nonce"
    "dpop_nonce_required",
    # fault "infrastructure"
    "jwks_unavailable",
    "discovery_unavailable",
    "keys_not_loaded",
    "introspection_unavailable",
    "introspection_refused",
    "token_exchange_unavailable",
    "dpop_replay_store_unavailable",
    "dpop_replay_share_exceeded",
    # fault "forbidden"
    "token_exchange_refused",
    # fault "server"
    "invalid_url",
    "invalid_server_metadata",
    "issuer_mismatch",
    "invalid_config",
    "internal_error",
]


class NativeError(Protocol):
    """What ``from_native`` reads: the shape of ``mcp_auth_rs._native.NativeAuthError``."""

    @property
    def code(self) -> str: ...
    @property
    def fault(self) -> str: ...
    @property
    def reason(self) -> str: ...
    @property
    def url(self) -> str | None: ...
    @property
    def retry_after(self) -> int | None: ...


_FAULTS: frozenset[str] = frozenset(
    ("token", "infrastructure", "server", "proof", "nonce", "forbidden")
)

# mcpauth's code for a failed metadata fetch.
FETCH_SERVER_CONFIG_ERROR = "fetch_server_config_error"


def from_native(error: NativeError, *, fetching: bool = False) -> MCPAuthException:
    """The mcpauth exception closest to a native error.

    ``fetching``: the error came from fetching authorization-server metadata
    (``fetch_server_config*``), where mcpauth raises
    ``MCPAuthConfigException("fetch_server_config_error", ...)`` for anything
    but invalid metadata.

    - ``token_exchange_refused`` / ``token_exchange_unavailable`` →
      ``MCPAuthTokenExchangeException`` (status 403 / 503);
    - token ``issuer_untrusted`` → ``MCPAuthBearerAuthException(INVALID_ISSUER)``;
    - token ``audience_mismatch`` → ``MCPAuthBearerAuthException(INVALID_AUDIENCE)``;
    - any other token, proof or nonce fault →
      ``MCPAuthTokenVerificationException(INVALID_TOKEN)``;
    - infrastructure → ``MCPAuthTokenVerificationException(TOKEN_VERIFICATION_FAILED)``
      (never the token's fault), or when ``fetching`` →
      ``MCPAuthConfigException("fetch_server_config_error")``;
    - ``invalid_server_metadata``, ``issuer_mismatch`` →
      ``MCPAuthAuthServerException(INVALID_SERVER_METADATA)``;
    - ``missing_jwks_uri`` → ``MCPAuthAuthServerException(MISSING_JWKS_URI)``;
    - ``invalid_config`` (and ``invalid_url`` unless ``fetching``) →
      ``MCPAuthAuthServerException(INVALID_SERVER_CONFIG)``, the core's reason
      appended to the message;
    - any other server fault when ``fetching`` →
      ``MCPAuthConfigException("fetch_server_config_error")``;
    - any other server fault (``internal_error``, unknown codes) →
      ``MCPAuthConfigException(<the native code>, <its reason>)``.

    An unknown fault counts as ``server`` (fails closed). The ``cause`` is
    ``{"code", "reason", "url"}`` (for the bearer class: its details'
    ``cause``); reasons are fixed phrases of the core, never token content.
    """
    code, reason, url = error.code, error.reason, error.url
    fault = cast(NativeFault, error.fault) if error.fault in _FAULTS else "server"
    detail: Record = {"code": code, "reason": reason, "url": url}
    mapped: MCPAuthException

    if code in ("token_exchange_refused", "token_exchange_unavailable"):
        mapped = MCPAuthTokenExchangeException(TokenExchangeExceptionCode(code), detail)
    elif fault in ("token", "proof", "nonce"):
        if code == "issuer_untrusted":
            mapped = _bearer(BearerAuthExceptionCode.INVALID_ISSUER, detail)
        elif code == "audience_mismatch":
            mapped = _bearer(BearerAuthExceptionCode.INVALID_AUDIENCE, detail)
        else:
            mapped = MCPAuthTokenVerificationException(
                MCPAuthTokenVerificationExceptionCode.INVALID_TOKEN, detail
            )
    elif fault == "infrastructure" and not fetching:
        mapped = MCPAuthTokenVerificationException(
            MCPAuthTokenVerificationExceptionCode.TOKEN_VERIFICATION_FAILED, detail
        )
    elif code in ("invalid_server_metadata", "issuer_mismatch"):
        mapped = MCPAuthAuthServerException(AuthServerExceptionCode.INVALID_SERVER_METADATA, detail)
    elif code == "missing_jwks_uri":
        mapped = MCPAuthAuthServerException(AuthServerExceptionCode.MISSING_JWKS_URI, detail)
    elif code == "invalid_config" or (code == "invalid_url" and not fetching):
        mapped = MCPAuthAuthServerException(AuthServerExceptionCode.INVALID_SERVER_CONFIG, detail)
        mapped.message = f"{mapped.message} {reason}"
        mapped.args = (mapped.message,)
    elif fetching:
        where = f" from {url}" if url else ""
        mapped = MCPAuthConfigException(
            FETCH_SERVER_CONFIG_ERROR, f"Failed to fetch server config{where}: {reason}", detail
        )
    else:
        mapped = MCPAuthConfigException(code, reason, detail)

    mapped.native_code = code
    mapped.native_fault = fault
    mapped.retry_after = error.retry_after
    return mapped


def _bearer(code: BearerAuthExceptionCode, detail: Record) -> MCPAuthBearerAuthException:
    return MCPAuthBearerAuthException(code, MCPAuthBearerAuthExceptionDetails(cause=detail))
