"""Where a resource's RFC 9728 metadata lives, by the core's one rule."""

from __future__ import annotations

from mcp_auth_rs import _native


def create_resource_metadata_endpoint(resource: str) -> str:
    """The well-known URL: ``/.well-known/oauth-protected-resource`` goes
    between the host and the resource's path (RFC 9728 §3.1), the query kept.

    Raises ``TypeError`` for a value that is not an absolute URL, as mcpauth does.
    """
    try:
        return _native.protected_resource_metadata_url(resource)
    except _native.NativeAuthError as error:
        raise TypeError(f"Invalid resource identifier URI: {error.reason}") from None
