"""One DPoP proof checker per resource, built at setup and shared by every
middleware of that resource, so a proof used at one is a replay at the next.
The core's ``DpopChecker`` validates every option; this module converts the
spelling and keeps the store object aside.
"""

from __future__ import annotations

import json
from typing import Any

from mcp_auth_rs import _native
from mcp_auth_rs._convert import camel_case, invalid_config
from mcp_auth_rs._native import DpopChecker, RedisStore
from mcp_auth_rs.events import Emitter


def resolve_dpop(setting: object, resource: str | None, events: Emitter) -> DpopChecker | None:
    """The checker for ``resource``, or ``None`` when DPoP is off. Without a
    setting, DPoP is ``'allowed'`` when there is a resource URL to check
    ``htu`` against (as in Node), else off."""
    if setting is None and resource is None:
        return None
    if setting is None:
        options: dict[str, Any] = {}
    elif isinstance(setting, str):
        options = {"mode": setting}
    elif isinstance(setting, dict):
        options = dict(setting)
    else:
        raise invalid_config("`dpop` must be 'off', 'allowed', 'required' or an options mapping.")
    if options.get("mode") == "off":
        return None
    if resource is None:
        raise invalid_config(
            "`dpop` needs `resource`: a proof's `htu` is checked against the resource's origin."
        )
    store = options.pop("store", None)
    if store is not None and not isinstance(store, RedisStore):
        raise invalid_config("`dpop.store` must be a store made by `redis_store`.")
    if store is None:
        # Checked (by the core) only with a store, as in Node.
        options.pop("store_timeout", None)
    nonce = options.pop("nonce", None)
    native: dict[str, Any] = {camel_case(k): v for k, v in options.items()}
    if isinstance(nonce, dict):
        secret = nonce.get("secret")
        if secret is not None and not isinstance(secret, str):
            raise invalid_config(
                "`dpop.nonce.secret` must be a string (it is a secret: its value is never shown)."
            )
        unknown = set(nonce) - {"secret", "lifetime"}
        if unknown:
            raise invalid_config(f"dpop: unknown option `nonce.{sorted(unknown)[0]}`.")
        native["nonce"] = True
        if secret is not None:
            native["nonceSecret"] = secret
        if "lifetime" in nonce:
            native["nonceLifetime"] = nonce["lifetime"]
    elif nonce is not None:
        native["nonce"] = nonce
    native["resource"] = resource
    try:
        return _native.DpopChecker(
            json.dumps(native), store, None if store is None else events.emit
        )
    except _native.NativeAuthError as error:
        raise invalid_config(error.reason) from None
    except (TypeError, ValueError):
        raise invalid_config("`dpop`: an option has a value of the wrong type.") from None
