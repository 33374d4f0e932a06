"""mcp-auth-rs for Python: OAuth 2.1 authorization for MCP servers on a Rust core.

API-compatible with ``mcpauth`` 0.2: change ``mcpauth`` to ``mcp_auth_rs`` in
the imports. The modules keep mcpauth's layout: ``mcp_auth_rs.config``,
``.types``, ``.utils``, ``.exceptions``.
"""

from mcp_auth_rs._mcp_auth import MCPAuth

__all__ = ["MCPAuth"]
