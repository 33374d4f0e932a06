"""The ``scope_hierarchy`` option, read for the core's one rule.

The core validates it (shape, scope tokens, ``offline_access``, cycles) and
names the option in its errors; this module only hands it a mapping's
entries in order, each implied value as its string or as Python prints it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from mcp_auth_rs import _native
from mcp_auth_rs._convert import invalid_config

#: A validated hierarchy: each broader scope with the scopes it implies directly.
HierarchyEntries = list[tuple[str, list[str]]]


def compile_scope_hierarchy(hierarchy: object, option: str) -> HierarchyEntries | None:
    """``None`` without a hierarchy; raises ``invalid_server_config`` naming ``option``."""
    if hierarchy is None:
        return None
    options: dict[str, Any] = {"option": option}
    if isinstance(hierarchy, Mapping):
        entries = []
        for scope, implied in hierarchy.items():
            if not isinstance(scope, str):
                raise invalid_config(f"`{option}`: every key must be a scope (a str).")
            entry: dict[str, Any] = {"scope": scope}
            if isinstance(implied, (list, tuple)):
                entry["implies"] = [
                    {"scope": item} if isinstance(item, str) else {"printed": repr(item)}
                    for item in implied
                ]
            entries.append(entry)
        options["entries"] = entries
    try:
        return _native.compile_scope_hierarchy(json.dumps(options))
    except _native.NativeAuthError as error:
        raise invalid_config(error.reason) from None


def native_rules(entries: HierarchyEntries) -> list[dict[str, Any]]:
    """The Authenticator's ``scopeHierarchy`` option."""
    return [{"scope": scope, "implies": implies} for scope, implies in entries]
