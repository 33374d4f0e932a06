"""Authorization-server discovery (RFC 8414 / OIDC Discovery) through the core.

The core fetches (bounded, https except to loopback), checks that the
document's ``issuer`` is exactly the one asked for, and validates it; this
module converts to mcpauth's models and exceptions. The synchronous
functions block the calling thread only (the GIL is released); from
asyncio, use the ``_async`` variants, which never block the event loop.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Literal

from pydantic import ValidationError

from mcp_auth_rs import _native
from mcp_auth_rs.config import AuthServerConfig, AuthServerType
from mcp_auth_rs.exceptions import (
    AuthServerExceptionCode,
    MCPAuthAuthServerException,
    from_native,
)

Record = dict[str, Any]
Transpile = Callable[[Record], "Record | Awaitable[Record]"]


def fetch_server_config(
    issuer: str, type: AuthServerType, transpile_data: Callable[[Record], Record] | None = None
) -> AuthServerConfig:
    """Discovers ``issuer``'s metadata (``type`` picks the well-known path)."""
    kind = _kind(type)
    try:
        if transpile_data is None:
            return _model(_native.fetch_server_config(issuer, kind))
        _, document = _native.fetch_server_metadata(issuer, kind)
        return _model(_native.to_server_config(kind, transpile_data(document), issuer))
    except _native.NativeAuthError as error:
        raise from_native(error, fetching=True) from None


async def fetch_server_config_async(
    issuer: str, type: AuthServerType, transpile_data: Transpile | None = None
) -> AuthServerConfig:
    """``fetch_server_config`` for asyncio; ``transpile_data`` may be async."""
    kind = _kind(type)
    try:
        if transpile_data is None:
            return _model(await _native.fetch_server_config_async(issuer, kind))
        _, document = await _native.fetch_server_metadata_async(issuer, kind)
        return _model(
            _native.to_server_config(kind, await _settle(transpile_data(document)), issuer)
        )
    except _native.NativeAuthError as error:
        raise from_native(error, fetching=True) from None


def fetch_server_config_by_well_known_url(
    well_known_url: str,
    type: AuthServerType,
    transpile_data: Callable[[Record], Record] | None = None,
) -> AuthServerConfig:
    """Fetches the metadata at one URL (no fallback, no issuer to compare with)."""
    kind = _kind(type)
    try:
        if transpile_data is None:
            return _model(_native.fetch_server_config_by_well_known_url(well_known_url, kind))
        _, document = _native.fetch_server_metadata_by_well_known_url(well_known_url)
        return _model(_native.to_server_config(kind, transpile_data(document), None))
    except _native.NativeAuthError as error:
        raise from_native(error, fetching=True) from None


async def fetch_server_config_by_well_known_url_async(
    well_known_url: str, type: AuthServerType, transpile_data: Transpile | None = None
) -> AuthServerConfig:
    kind = _kind(type)
    try:
        if transpile_data is None:
            config = await _native.fetch_server_config_by_well_known_url_async(well_known_url, kind)
            return _model(config)
        _, document = await _native.fetch_server_metadata_by_well_known_url_async(well_known_url)
        return _model(_native.to_server_config(kind, await _settle(transpile_data(document)), None))
    except _native.NativeAuthError as error:
        raise from_native(error, fetching=True) from None


def _kind(type: AuthServerType) -> Literal["oidc", "oauth"]:
    return "oidc" if AuthServerType(type) is AuthServerType.OIDC else "oauth"


async def _settle(value: Record | Awaitable[Record]) -> Record:
    return await value if inspect.isawaitable(value) else value


def _model(config: Mapping[str, Any]) -> AuthServerConfig:
    try:
        return AuthServerConfig.from_native(config)
    except ValidationError as error:
        raise MCPAuthAuthServerException(
            AuthServerExceptionCode.INVALID_SERVER_METADATA, cause=error
        ) from None
