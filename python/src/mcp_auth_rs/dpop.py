"""DPoP (RFC 9449) settings of a protected resource, as the Node package's ``dpop``:
``ResourceServerConfig(metadata=…, dpop='required' | DpopOptions(…))``.

The core validates every option (names, units, ranges) at ``MCPAuth(…)``.
"""

from __future__ import annotations

from typing import Literal

from typing_extensions import TypedDict

from mcp_auth_rs._native import RedisStore

__all__ = ["DpopMode", "DpopNonceOptions", "DpopOptions", "DpopSetting"]

DpopMode = Literal["off", "allowed", "required"]


class DpopNonceOptions(TypedDict, total=False):
    #: HMAC secret a fleet shares (a str of at least 32 bytes); default random per process.
    secret: str
    #: Seconds per nonce slot (default 300, 10 to 86400); a nonce lives one to two slots.
    lifetime: float


class DpopOptions(TypedDict, total=False):
    #: Default ``'allowed'`` (with a resource).
    mode: DpopMode
    #: Accepted proof algorithms (default every asymmetric JWS algorithm the core knows).
    algorithms: list[str]
    #: Largest accepted |now - iat| of a proof, in seconds (default 300, 1 to 3600).
    iat_window: float
    #: Require server nonces (RFC 9449 §8): ``True`` or the nonce options (default off).
    nonce: bool | DpopNonceOptions
    #: Proofs the in-process replay cache holds (default 100000, 1 to 10000000).
    replay_cache_size: int
    #: Of those, how many one key may hold (default a tenth, rounded up; 1 to replay_cache_size).
    replay_cache_per_key: int
    #: The replay store a fleet shares, e.g. ``redis_store(url)``.
    store: RedisStore
    #: Milliseconds for one store operation (default 250, 1 to 60000; with ``store`` only).
    store_timeout: float


DpopSetting = DpopMode | DpopOptions
