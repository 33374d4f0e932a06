"""Options of the ``'introspection'`` and ``'auto'`` modes (RFC 7662), as the
Node package's ``introspection``.

The core's ``Introspector`` validates every option, calls the endpoint,
judges its answers and keeps the optional fleet store (signed records whose
scope is these settings and the resource). This module converts spelling
only; it passes exactly what the Node wrapper passes for the same route, so
a Python and a Node process of one fleet share their records.
"""

from __future__ import annotations

import json
from typing import Any

from mcp_auth_rs import _native
from mcp_auth_rs._client_auth import ClientAuthOptions, client_auth_options
from mcp_auth_rs._convert import camel_case, invalid_config
from mcp_auth_rs._native import Introspector, RedisStore
from mcp_auth_rs.config import AuthServerConfig
from mcp_auth_rs.events import Emitter

__all__ = ["IntrospectionOptions"]


class IntrospectionOptions(ClientAuthOptions, total=False):
    """Units, defaults and ranges are the Node package's (the core checks them).
    Client authentication: ``ClientAuthOptions``."""

    #: The assertion's ``aud``: ``'issuer'`` (default), ``'endpoint'`` or a URL.
    assertion_audience: str
    #: Where to ask (default the issuer's ``introspection_endpoint``).
    endpoint: str
    #: Whose endpoint, when the resource trusts several issuers.
    issuer: str
    #: Milliseconds for one call (default 5000, 1 to 60000).
    timeout: float
    #: Longest reuse of an active answer in ms, never past its ``exp``
    #: (default 60000, 0 to 86400000).
    cache_max_age: float
    #: Reuse of an inactive answer in ms (default 10000, 0 to 86400000).
    negative_cache_ttl: float
    #: Local cache entries (default 4096, 0 to 1000000; 0 turns it off).
    cache_size: int
    #: Larger answers are an outage (default 65536 bytes, 1024 to 1048576).
    max_response_bytes: int
    #: Accept an active answer without ``aud`` (dangerous; default False).
    accept_missing_audience: bool
    #: The cache a fleet shares, e.g. ``redis_store(url)``; needs ``store_secret``.
    store: RedisStore
    #: Signs the records and keys their scope: str or bytes of at least 32 bytes,
    #: the same for the whole fleet (Node processes included); never shown.
    store_secret: str | bytes
    #: Milliseconds for one store operation (default 250, 1 to 60000; with ``store`` only).
    store_timeout: float


def new_introspector(
    options: object,
    servers: list[AuthServerConfig],
    audiences: list[str] | None,
    max_token_length: int,
    clock_tolerance: object,
    required_claims: object,
    claim_rules: dict[str, Any],
    resource: str | None,
    events: Emitter,
) -> Introspector:
    if not isinstance(options, dict):
        raise invalid_config(
            "bearer_auth_middleware 'introspection' and 'auto' need the `introspection` "
            "options (at least `client_id`)."
        )
    rest = client_auth_options(options, "introspection")
    store = rest.pop("store", None)
    store_secret = rest.pop("store_secret", None)
    store_timeout = rest.pop("store_timeout", None)
    if store is not None and not isinstance(store, RedisStore):
        raise invalid_config("`introspection.store` must be a store made by `redis_store`.")
    server = _pick_server(servers, rest.pop("issuer", None))
    metadata = server.metadata
    native: dict[str, Any] = {camel_case(k): v for k, v in rest.items()}
    native["issuer"] = metadata.issuer
    native["issuerType"] = server.type.value
    if audiences is None:
        native["allowAnyAudience"] = True
    else:
        native["audiences"] = audiences
    native["maxTokenLength"] = max_token_length
    if clock_tolerance is not None:
        native["clockTolerance"] = clock_tolerance
    if required_claims is not None:
        native["requiredClaims"] = required_claims
    native.update(claim_rules)
    if store is not None and store_timeout is not None:
        native["storeTimeout"] = store_timeout
    if metadata.introspection_endpoint:
        # The issuer's own endpoint (the core prefers a chosen `endpoint`).
        native["metadataEndpoint"] = metadata.introspection_endpoint
    try:
        text = json.dumps(native)
    except (TypeError, ValueError):
        raise invalid_config("`introspection`: an option has a value of the wrong type.") from None
    try:
        return _native.Introspector(
            text,
            store,
            None if store is None else store_secret,
            resource,
            None if store is None else events.emit,
        )
    except _native.NativeAuthError as error:
        # The core's reasons name the option, never a secret's value.
        raise invalid_config(error.reason) from None
    except TypeError:
        raise invalid_config(
            "`introspection.store_secret` must be a str or bytes of at least 32 bytes "
            "(it is a secret: its value is never shown)."
        ) from None


def _pick_server(servers: list[AuthServerConfig], issuer: object) -> AuthServerConfig:
    if issuer is not None:
        for server in servers:
            if server.metadata.issuer == issuer:
                return server
        raise invalid_config(
            f"`introspection.issuer` {issuer} is not a configured authorization server."
        )
    if len(servers) != 1:
        raise invalid_config(
            "Several authorization servers are trusted: set `introspection.issuer` "
            "to the one whose endpoint is asked."
        )
    return servers[0]
