"""Helpers with mcpauth's names (``mcpauth.utils``, 0.2.0b1).

Still to come, from the native core (the rules live there once):
``fetch_server_config``, ``fetch_server_config_by_well_known_url`` (and
async variants), ``validate_server_config``,
``create_resource_metadata_endpoint`` and ``create_verify_jwt``.
"""

from mcp_auth_rs.utils._server_config_validation import (
    AuthServerConfigError,
    AuthServerConfigErrorCode,
    AuthServerConfigValidationResult,
    AuthServerConfigWarning,
    AuthServerConfigWarningCode,
)
from mcp_auth_rs.utils._transpile_resource_metadata import transpile_resource_metadata
from mcp_auth_rs.utils._www_authenticate import BearerWWWAuthenticateHeader

__all__ = [
    "AuthServerConfigError",
    "AuthServerConfigErrorCode",
    "AuthServerConfigValidationResult",
    "AuthServerConfigWarning",
    "AuthServerConfigWarningCode",
    "BearerWWWAuthenticateHeader",
    "transpile_resource_metadata",
]
