"""Configured resource metadata → the RFC 9728 document that is served."""

from __future__ import annotations

from mcp_auth_rs.config import ProtectedResourceMetadata
from mcp_auth_rs.types import ResourceServerMetadata

__all__ = ["transpile_resource_metadata"]


def transpile_resource_metadata(metadata: ResourceServerMetadata) -> ProtectedResourceMetadata:
    """The served form of ``metadata``: each authorization server by its issuer.

    Unset members stay unset; an empty or absent server list is left out.
    """
    members = metadata.model_dump(exclude={"authorization_servers"}, exclude_none=True)
    issuers = [server.metadata.issuer for server in metadata.authorization_servers or []]
    if issuers:
        members["authorization_servers"] = issuers
    return ProtectedResourceMetadata.model_validate(members)
