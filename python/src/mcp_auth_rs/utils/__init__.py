"""Helpers with mcpauth's names (``mcpauth.utils``, 0.2.0b1).

Discovery, the resource-metadata URL and ``create_verify_jwt``'s checks come
from the native core (the rules live there once).
"""

from mcp_auth_rs.utils._create_verify_jwt import create_verify_jwt
from mcp_auth_rs.utils._fetch_server_config import (
    fetch_server_config,
    fetch_server_config_async,
    fetch_server_config_by_well_known_url,
    fetch_server_config_by_well_known_url_async,
)
from mcp_auth_rs.utils._resource_metadata import create_resource_metadata_endpoint
from mcp_auth_rs.utils._server_config_validation import (
    AuthServerConfigError,
    AuthServerConfigErrorCode,
    AuthServerConfigValidationResult,
    AuthServerConfigWarning,
    AuthServerConfigWarningCode,
)
from mcp_auth_rs.utils._transpile_resource_metadata import transpile_resource_metadata
from mcp_auth_rs.utils._validate_server_config import validate_server_config
from mcp_auth_rs.utils._www_authenticate import BearerWWWAuthenticateHeader

__all__ = [
    "AuthServerConfigError",
    "AuthServerConfigErrorCode",
    "AuthServerConfigValidationResult",
    "AuthServerConfigWarning",
    "AuthServerConfigWarningCode",
    "BearerWWWAuthenticateHeader",
    "create_resource_metadata_endpoint",
    "create_verify_jwt",
    "fetch_server_config",
    "fetch_server_config_async",
    "fetch_server_config_by_well_known_url",
    "fetch_server_config_by_well_known_url_async",
    "transpile_resource_metadata",
    "validate_server_config",
]
