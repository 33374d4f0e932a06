"""The bearer middleware's option groups, as the Node package's ``bearerAuth``
``jwtVerify``, ``claims``, ``remoteJwkSet``, ``cache`` and ``verifyTimeout``.

Units, defaults and ranges are the Node package's (milliseconds, bytes,
entries) and the core checks every value: this module only closes the key
sets (so a typo cannot leave a limit at its default, and nothing else can be
slipped into the verifier's options) and changes the spelling.
"""

from __future__ import annotations

import json
from typing import Any

from typing_extensions import TypedDict

from mcp_auth_rs import _native
from mcp_auth_rs._convert import camel_case, invalid_config

__all__ = ["CacheOptions", "ClaimOptions", "JwtVerifyOptions", "RemoteJwkSetOptions"]


class JwtVerifyOptions(TypedDict, total=False):
    """Extra checks for 'jwt' mode (the Node package's ``jwtVerify``)."""

    #: Accepted ``alg`` values, a subset of the asymmetric algorithms the core knows.
    algorithms: list[str]
    #: Seconds of leeway for ``exp``, ``nbf`` and ``iat`` (default 30, at most 300).
    clock_tolerance: float
    #: Oldest accepted ``iat``, in seconds.
    max_token_age: float
    #: Claims that must be present.
    required_claims: list[str]
    #: Required JOSE ``typ`` (e.g. ``"at+jwt"`` for RFC 9068).
    typ: str


class ClaimOptions(TypedDict, total=False):
    """Claim rules beyond ``jwt_verify`` (the Node package's ``claims``), for
    'jwt', 'introspection' and 'auto'; the core checks them at setup."""

    #: Claims whose scopes are granted, all of them, in order (1 to 32 distinct
    #: names, e.g. ``["scp", "roles"]``); default the first of ``scope``,
    #: ``scopes``, ``scp`` present.
    scope_claims: list[str]
    #: Clients whose tokens are accepted, compared exactly (1 to 1000 ids); the
    #: token's client is its first of ``client_id``, ``azp``, ``appid``, ``cid``.
    client_ids: list[str]
    #: Claims that must equal these strings exactly (at most 32), e.g.
    #: ``{"token_use": "access"}``; absent → 401 ``missing_claim``.
    required_claim_values: dict[str, str]


_CLAIM_KEYS = ("scope_claims", "client_ids", "required_claim_values")


class RemoteJwkSetOptions(TypedDict, total=False):
    """How the authorization servers' key sets (JWKS) are fetched, in milliseconds
    (jose's ``createRemoteJWKSet`` names; 'jwt' and 'auto' modes)."""

    #: One key-set fetch's time limit (default 5000, 1 to 300000).
    timeout_duration: float
    #: Least time between retries after a failed fetch, and between refetches
    #: for an unknown ``kid`` (default 30000, 0 to 86400000).
    cooldown_duration: float
    #: How long a fetched key set is used before it is refreshed (default
    #: 600000, 1 to 604800000).
    cache_max_age: float


class CacheOptions(TypedDict, total=False):
    """The verifier's caches and response limit ('jwt' and 'auto' modes)."""

    #: How long past ``remote_jwk_set.cache_max_age`` a key set is still used
    #: while refreshes fail, in ms (default 3600000, 0 to 604800000).
    stale_max_age: float
    #: Verified tokens kept (default 4096, 0 to 1000000; 0 turns the cache off,
    #: so every request verifies its token again).
    token_cache_size: int
    #: Longest reuse of a verified token, in ms, never past its ``exp``
    #: (default 300000, 0 to 86400000).
    token_cache_max_age: float
    #: Largest metadata or key-set response accepted, in bytes (default
    #: 1048576, 1024 to 67108864).
    max_response_bytes: int


_REMOTE_JWK_SET_KEYS = ("timeout_duration", "cooldown_duration", "cache_max_age")
_CACHE_KEYS = ("stale_max_age", "token_cache_size", "token_cache_max_age", "max_response_bytes")


def key_set_options(remote_jwk_set: object, cache: object) -> dict[str, Any]:
    """The core verifier's members for ``remote_jwk_set`` and ``cache``: the key
    set's under ``remoteJwkSet``, the cache's at the top level (Node's layout)."""
    options: dict[str, Any] = {}
    fetch = _closed(remote_jwk_set, "remote_jwk_set", _REMOTE_JWK_SET_KEYS)
    if fetch:
        options["remoteJwkSet"] = fetch
    options.update(_closed(cache, "cache", _CACHE_KEYS))
    return options


def verify_timeout_ms(verify_timeout: object) -> int:
    """The milliseconds a custom verify function may take (the core's default
    and range: 10000, 1 to 300000)."""
    options = {} if verify_timeout is None else {"verifyTimeout": verify_timeout}
    try:
        text = json.dumps(options, allow_nan=False)
    except (TypeError, ValueError):
        text = '{"verifyTimeout": "NaN"}'  # refused by the core, naming the option
    try:
        return _native.check_verify_timeout(text)
    except _native.NativeAuthError as error:
        raise invalid_config(error.reason) from None


def _closed(value: object, name: str, known: tuple[str, ...]) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise invalid_config(f"`{name}` must be a dict of options ({', '.join(known)}).")
    unknown = sorted(str(key) for key in value if key not in known)
    if unknown:
        raise invalid_config(
            f"unknown option `{name}.{unknown[0][:64]}` (known: {', '.join(known)})."
        )
    return {camel_case(key): item for key, item in value.items() if item is not None}


def claim_options(claims: object) -> dict[str, Any]:
    """The core's claim options (top level of the verifier's and introspector's
    options): only the known keys, so nothing else (issuers, audiences) can be
    slipped in through ``claims``; the core checks their values."""
    if claims is None:
        return {}
    if not isinstance(claims, dict):
        raise invalid_config("`claims` must be a dict of claim options.")
    unknown = sorted(str(key) for key in claims if key not in _CLAIM_KEYS)
    if unknown:
        raise invalid_config(
            f"unknown option `claims.{unknown[0]}` (known: {', '.join(_CLAIM_KEYS)})."
        )
    # Claim names inside `required_claim_values` are kept as written.
    return {camel_case(key): value for key, value in claims.items() if value is not None}
