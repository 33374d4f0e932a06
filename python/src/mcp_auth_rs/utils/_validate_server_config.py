"""``validate_server_config``: whether an authorization server can serve MCP
clients, judged by the core's one rule (the Node package's too)."""

from __future__ import annotations

from typing import Any

from mcp_auth_rs import _native
from mcp_auth_rs._convert import camel_case
from mcp_auth_rs.config import AuthServerConfig
from mcp_auth_rs.utils._server_config_validation import (
    AuthServerConfigError,
    AuthServerConfigErrorCode,
    AuthServerConfigValidationResult,
    AuthServerConfigWarning,
    AuthServerConfigWarningCode,
)


def validate_server_config(config: AuthServerConfig) -> AuthServerConfigValidationResult:
    """Checks the metadata: the code flow, PKCE with S256, dynamic registration (a warning)."""
    metadata = {
        camel_case(name): value
        for name, value in config.metadata.model_dump(exclude_none=True).items()
    }
    native_config: dict[str, Any] = {"type": config.type.value, "metadata": metadata}
    result = _native.validate_server_config(native_config)
    return AuthServerConfigValidationResult(
        is_valid=result["is_valid"],
        errors=[
            AuthServerConfigError(
                code=AuthServerConfigErrorCode(found["code"]),
                description=found["description"],
                cause=found["cause"],
            )
            for found in result["errors"]
        ],
        warnings=[
            AuthServerConfigWarning(
                code=AuthServerConfigWarningCode(found["code"]), description=found["description"]
            )
            for found in result["warnings"]
        ],
    )
