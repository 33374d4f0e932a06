"""mcp-auth-rs for Python: OAuth 2.1 authorization for MCP servers on a Rust core.

API-compatible with ``mcpauth`` 0.2: change ``mcpauth`` to ``mcp_auth_rs`` in
the imports. The modules keep mcpauth's layout: ``mcp_auth_rs.config``,
``.types``, ``.utils``, ``.exceptions``. Added, as in the Node package:
``redis_store`` (the fleet store), ``.introspection``, ``.dpop``, ``.events``.
"""

from mcp_auth_rs._mcp_auth import MCPAuth
from mcp_auth_rs.store import redis_store

__all__ = ["MCPAuth", "redis_store"]
