"""Spelling conversions and the setup error, shared by the option modules.

Kept apart from ``_setup`` so option modules it imports can use them too.
"""

from __future__ import annotations

from mcp_auth_rs.exceptions import AuthServerExceptionCode, MCPAuthAuthServerException


def invalid_config(description: str) -> MCPAuthAuthServerException:
    """mcpauth's setup error: ``invalid_server_config`` with the reason in ``cause``."""
    return MCPAuthAuthServerException(
        AuthServerExceptionCode.INVALID_SERVER_CONFIG, cause={"error_description": description}
    )


def camel_case(name: str) -> str:
    """A snake_case option name in the core's camelCase spelling."""
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)
