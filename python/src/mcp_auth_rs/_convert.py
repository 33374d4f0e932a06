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


_OPERATIONS_KEYS = (
    "tools",
    "prompts",
    "resources",
    "methods",
    "discovery",
    "default",
    "signal",
    "max_body_bytes",
)


def operations_options(operations: object) -> dict[str, object]:
    """``operations`` in the core's spelling (``max_body_bytes`` → ``maxBodyBytes``).

    Only the top-level keys are closed here, so an error names the snake_case
    key; names inside (tools, URIs, methods) are kept as written and every
    value is checked by the core."""
    if not isinstance(operations, dict):
        raise invalid_config(
            f"`operations` must be a dict of options ({', '.join(_OPERATIONS_KEYS)})."
        )
    unknown = sorted(str(key) for key in operations if key not in _OPERATIONS_KEYS)
    if unknown:
        raise invalid_config(
            f"unknown option `operations.{unknown[0][:64]}` (known: {', '.join(_OPERATIONS_KEYS)})."
        )
    return {camel_case(key): value for key, value in operations.items()}
