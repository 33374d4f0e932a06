"""The Redis fleet store, as the Node package's ``redisStore(url | options)``.

It is the core's own Redis client (the same keys, prefix, records and TTLs
as a Node process's ``redisStore(url)``), so Node and Python processes on
one Redis share one fleet. Creating it does no I/O: it connects on first
use. The core checks every option and never echoes the URL's credentials.
"""

from __future__ import annotations

import json
from typing import Any

from typing_extensions import TypedDict, Unpack

from mcp_auth_rs import _native
from mcp_auth_rs._convert import camel_case, invalid_config
from mcp_auth_rs._native import RedisStore

__all__ = ["RedisStore", "RedisStoreOptions", "RedisUrlStoreOptions", "redis_store"]


class RedisStoreOptions(TypedDict, total=False):
    """The client's settings besides its URL (units and ranges as in the Node package)."""

    #: Prepended to every key, at most 1024 bytes (default ``"mcp-auth-rs:"``).
    prefix: str
    #: Milliseconds for one connection attempt, TLS included (default 1000, 1 to 60000).
    connect_timeout: float
    #: Milliseconds for one command's reply (default 200, 1 to 60000).
    response_timeout: float
    #: Longest wait between connection attempts, in ms (default 5000, 100 to 300000).
    reconnect_max_delay: float
    #: Commands awaiting a reply at once (default 1000, 1 to 100000).
    max_in_flight: int


class RedisUrlStoreOptions(RedisStoreOptions, total=False):
    #: ``redis://[user[:password]@]host[:port][/db]``, ``rediss://…`` or ``redis+unix:///path``.
    url: str


def redis_store(
    target: str | RedisUrlStoreOptions, **options: Unpack[RedisStoreOptions]
) -> RedisStore:
    """A fleet store for ``store=`` in the ``introspection`` and ``dpop`` options.

    ``redis_store("redis://127.0.0.1:6379", prefix="app:")`` or
    ``redis_store({"url": …, "prefix": …})``. Raises
    ``MCPAuthAuthServerException`` (``invalid_server_config``) naming a bad
    option; the URL's user and password are never shown.
    """
    if isinstance(target, str):
        settings: dict[str, Any] = {**options, "url": target}
    elif isinstance(target, dict):
        if options:
            raise invalid_config("Give redis_store one options mapping, or a URL and keywords.")
        settings = dict(target)
    else:
        raise invalid_config("redis_store needs a URL string or an options mapping with `url`.")
    text = json.dumps({camel_case(name): value for name, value in settings.items()})
    try:
        return _native.RedisStore(text)
    except _native.NativeAuthError as error:
        raise invalid_config(error.reason) from None
