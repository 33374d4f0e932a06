"""Result types of ``validate_server_config`` (codes as mcpauth's).

The validation itself and the descriptions come from the native core.
"""

from __future__ import annotations

from enum import Enum
from typing import Any

from pydantic import BaseModel

__all__ = [
    "AuthServerConfigError",
    "AuthServerConfigErrorCode",
    "AuthServerConfigValidationResult",
    "AuthServerConfigWarning",
    "AuthServerConfigWarningCode",
]


class AuthServerConfigErrorCode(str, Enum):
    """Why an authorization server cannot serve MCP clients."""

    INVALID_SERVER_METADATA = "invalid_server_metadata"
    CODE_RESPONSE_TYPE_NOT_SUPPORTED = "code_response_type_not_supported"
    AUTHORIZATION_CODE_GRANT_NOT_SUPPORTED = "authorization_code_grant_not_supported"
    PKCE_NOT_SUPPORTED = "pkce_not_supported"
    S256_CODE_CHALLENGE_METHOD_NOT_SUPPORTED = "s256_code_challenge_method_not_supported"


class AuthServerConfigError(BaseModel):
    """One reason the configuration is not valid."""

    code: AuthServerConfigErrorCode
    description: str
    cause: Any
    """Required, as in mcpauth; ``None`` when there is nothing more to say."""


class AuthServerConfigWarningCode(str, Enum):
    """Findings a server can work with."""

    DYNAMIC_REGISTRATION_NOT_SUPPORTED = "dynamic_registration_not_supported"


class AuthServerConfigWarning(BaseModel):
    """One finding that does not make the configuration invalid."""

    code: AuthServerConfigWarningCode
    description: str


class AuthServerConfigValidationResult(BaseModel):
    """``is_valid`` is false exactly when ``errors`` is not empty."""

    is_valid: bool
    errors: list[AuthServerConfigError]
    warnings: list[AuthServerConfigWarning]
