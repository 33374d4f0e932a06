"""mcp-auth-rs for Python: token verification for MCP servers on a Rust core.

Skeleton (issue 22): the native ``Verifier`` and its error type, plus the
mcpauth-compatible pure-Python modules (``config``, ``types``,
``exceptions``, ``utils``). ``VerifiedToken`` (what ``verify_sync`` returns)
exists for type checkers only: import it from ``mcp_auth_rs._native`` under
``TYPE_CHECKING``.
"""

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mcp_auth_rs._native import NativeAuthError, Verifier

__all__ = ["NativeAuthError", "Verifier"]


def __getattr__(name: str) -> Any:
    # Loaded on first use, so the pure-Python submodules import (and their
    # tests run) without a built native module.
    if name in __all__:
        from mcp_auth_rs import _native

        return getattr(_native, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
