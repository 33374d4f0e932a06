"""mcp-auth-rs for Python: token verification for MCP servers on a Rust core.

Skeleton (issue 22): only the native ``Verifier`` and its error type are
exposed so far; the mcpauth-compatible API is still to be written on top.
``VerifiedToken`` (what ``verify_sync`` returns) exists for type checkers
only: import it from ``mcp_auth_rs._native`` under ``TYPE_CHECKING``.
"""

from mcp_auth_rs._native import NativeAuthError, Verifier

__all__ = ["NativeAuthError", "Verifier"]
