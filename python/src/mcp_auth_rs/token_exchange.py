"""Added: token exchange for upstream calls, as the Node package's
``tokenExchange`` and ``exchangeToken``.

A tool trades the caller's access token for one aimed at an upstream API:
RFC 8693 token exchange, or Entra ID's on-behalf-of grant. The core's
``TokenExchanger`` validates every option, builds the request, judges the
answer, caches issued tokens until shortly before they expire and shares one
call among concurrent identical exchanges; with ``store`` it shares them with
the fleet (encrypted and signed records, one endpoint call per exchange for
all processes). This module converts spelling and errors only.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from mcp_auth_rs import _native
from mcp_auth_rs._client_auth import ClientAuthOptions, client_auth_options
from mcp_auth_rs._convert import camel_case, invalid_config
from mcp_auth_rs.config import AuthServerConfig
from mcp_auth_rs.exceptions import (
    MCPAuthException,
    MCPAuthTokenExchangeException,
    TokenExchangeExceptionCode,
    from_native,
)
from mcp_auth_rs.store import RedisStore
from mcp_auth_rs.types import AuthInfo

__all__ = ["ExchangedToken", "TokenExchangeOptions"]


class TokenExchangeOptions(ClientAuthOptions, total=False):
    """Set once (``MCPAuth(token_exchange=...)``); the core checks every value.
    Client authentication: ``ClientAuthOptions``."""

    #: The assertion's ``aud``: ``'issuer'`` (default with an issuer), ``'endpoint'`` or a URL.
    assertion_audience: str
    #: The authorization server; default the only one configured.
    issuer: str
    #: ``'oauth'`` (default) or ``'oidc'``: how its metadata is discovered.
    issuer_type: Literal["oauth", "oidc"]
    #: The token endpoint (default the issuer's ``token_endpoint``).
    token_endpoint: str
    #: ``'token_exchange'`` (RFC 8693, default) or ``'on_behalf_of'`` (Entra ID).
    grant: Literal["token_exchange", "on_behalf_of"]
    #: Milliseconds for one exchange (default 5000, 1 to 60000).
    timeout: float
    #: Larger answers are an outage (default 65536 bytes, 1024 to 1048576).
    max_response_bytes: int
    #: Issued tokens kept (default 1000, 0 to 100000; 0 turns the cache off).
    cache_size: int
    #: Bytes the cache may hold (default 4194304, 0 to 268435456; 0 turns it off).
    cache_max_bytes: int
    #: Milliseconds before ``expires_in`` runs out that a token stops being
    #: reused (default 30000, 0 to 3600000).
    expiry_margin: float
    #: The store a fleet shares, e.g. ``redis_store(url)``; needs ``store_secret``.
    #: Records hold the issued token encrypted (AES-256-GCM) and signed.
    store: RedisStore
    #: Signs the records and derives their encryption key: str or bytes of at
    #: least 32 bytes, the same for the whole fleet (Node processes included); never shown.
    store_secret: str | bytes
    #: Milliseconds for one store operation (default 250, 1 to 60000; with ``store`` only).
    store_timeout: float


@dataclass(frozen=True)
class ExchangedToken:
    """The token to call upstream with (``repr`` never shows it)."""

    access_token: str = field(repr=False)
    #: Usually ``Bearer``; ``N_A`` for a token that is not an access token.
    token_type: str
    issued_token_type: str
    #: Seconds; None when the server did not say (such a token is not cached).
    expires_in: int | None = None
    #: The granted scope, when the server named it.
    scope: str | None = None


def new_token_exchanger(
    options: object,
    servers: list[AuthServerConfig],
    on_store_event: Callable[[Mapping[str, object]], None] | None = None,
) -> _native.TokenExchanger:
    """The core's exchanger for ``options``; the core fills in ``issuer`` and
    ``token_endpoint`` from the sole configured server when neither is given.
    ``on_store_event`` hears the fleet store's events."""
    if not isinstance(options, dict):
        raise invalid_config("`token_exchange` must be a dict (at least `client_id`).")
    rest = client_auth_options(options, "token_exchange")
    store = rest.pop("store", None)
    store_secret = rest.pop("store_secret", None)
    store_timeout = rest.pop("store_timeout", None)
    if store is not None and not isinstance(store, RedisStore):
        raise invalid_config("`token_exchange.store` must be a store made by `redis_store`.")
    if store is not None and store_timeout is not None:
        rest["store_timeout"] = store_timeout
    try:
        text = json.dumps({camel_case(k): v for k, v in rest.items()})
    except (TypeError, ValueError):
        raise invalid_config("`token_exchange`: an option has a value of the wrong type.") from None
    try:
        return _native.TokenExchanger(
            text,
            # The core picks the sole one when no issuer or endpoint is given.
            [
                (server.metadata.issuer, server.type.value, server.metadata.token_endpoint)
                for server in servers
            ],
            store,
            None if store is None else store_secret,
            None if store is None else on_store_event,
        )
    except _native.NativeAuthError as error:
        # The core's reasons name the option, never a secret's value.
        raise invalid_config(error.reason) from None
    except TypeError:
        raise invalid_config(
            "`token_exchange.store_secret` must be a str or bytes of at least 32 bytes "
            "(it is a secret: its value is never shown)."
        ) from None


async def exchange(
    exchanger: _native.TokenExchanger,
    auth_info: AuthInfo,
    params: dict[str, Any],
) -> ExchangedToken:
    """One exchange of ``auth_info.token``; raises ``MCPAuthTokenExchangeException``
    (status 403 or 503) or, for bad parameters, ``MCPAuthAuthServerException``."""
    native = {camel_case(k): v for k, v in params.items() if v is not None}
    try:
        text = json.dumps(native)
    except (TypeError, ValueError):
        raise invalid_config(
            "`exchange_token`: a parameter has a value of the wrong type."
        ) from None
    try:
        issued = await exchanger.exchange_async(auth_info.token, text)
    except _native.NativeAuthError as error:
        raise _exchange_error(error) from None
    return ExchangedToken(
        access_token=issued["accessToken"],
        token_type=issued["tokenType"],
        issued_token_type=issued["issuedTokenType"],
        expires_in=issued.get("expiresIn"),
        scope=issued.get("scope"),
    )


def _exchange_error(error: _native.NativeAuthError) -> MCPAuthException:
    mapped = from_native(error)
    if error.code in ("token_exchange_refused", "invalid_config"):
        return mapped
    # Anything else (the subject token out of bounds, an internal error) is an
    # outage of the exchange, never a grant.
    outage = MCPAuthTokenExchangeException(
        TokenExchangeExceptionCode.TOKEN_EXCHANGE_UNAVAILABLE,
        {"code": error.code, "reason": error.reason, "url": error.url},
    )
    outage.native_code = mapped.native_code
    outage.native_fault = mapped.native_fault
    outage.retry_after = error.retry_after or 30
    return outage
