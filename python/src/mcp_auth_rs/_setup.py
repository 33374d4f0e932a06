"""Validates an ``MCPAuth`` configuration once, at construction.

Server URLs, the metadata document and its well-known URL come from the
core (``_native``); this module only walks mcpauth's models, refuses what
cannot work (duplicates, both modes at once) and keeps the result.
"""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass
from typing import Any, Literal

from mcp_auth_rs import _native
from mcp_auth_rs._convert import camel_case as camel_case
from mcp_auth_rs._convert import invalid_config as invalid_config
from mcp_auth_rs._dpop import resolve_dpop
from mcp_auth_rs._scopes import HierarchyEntries, compile_scope_hierarchy
from mcp_auth_rs.config import AuthServerConfig
from mcp_auth_rs.events import Emitter
from mcp_auth_rs.mtls import MtlsOptions
from mcp_auth_rs.types import ResourceServerConfig, ResourceServerMetadata
from mcp_auth_rs.utils._validate_server_config import validate_server_config


@dataclass(frozen=True)
class Resource:
    """One protected resource, validated."""

    resource: str
    metadata: ResourceServerMetadata
    authorization_servers: tuple[AuthServerConfig, ...]
    #: RFC 9728 §3.1 well-known URL of the document.
    metadata_url: str
    #: The document's exact JSON text, built by the core.
    document: str
    #: The resource's DPoP proof checker (``dpop``, default 'allowed'); ``None`` when off.
    dpop: _native.DpopChecker | None = None
    #: Listeners for the DPoP replay store's events (added per middleware).
    dpop_events: Emitter | None = None
    #: The validated ``scope_hierarchy``, if any.
    scope_hierarchy: HierarchyEntries | None = None
    #: RFC 8705 ``mtls`` as configured (the core checks it); ``None`` when off.
    mtls: MtlsOptions | None = None


@dataclass(frozen=True)
class Resources:
    by_resource: dict[str, Resource]


@dataclass(frozen=True)
class Legacy:
    """The deprecated ``server`` mode: one authorization server, no resource metadata."""

    server: AuthServerConfig


def resolve(
    server: AuthServerConfig | None,
    protected_resources: ResourceServerConfig | list[ResourceServerConfig] | None,
) -> Resources | Legacy:
    if server is not None and protected_resources is not None:
        raise invalid_config(
            "Either `server` or `protected_resources` must be provided, but not both."
        )
    if server is not None:
        check_server_url(server.metadata.issuer, "issuer")
        return Legacy(server)
    if protected_resources is None:
        raise invalid_config("Either `server` or `protected_resources` must be provided.")
    entries = (
        protected_resources if isinstance(protected_resources, list) else [protected_resources]
    )
    by_resource: dict[str, Resource] = {}
    paths: set[str] = set()
    for entry in entries:
        resolved = _resolve_resource(entry.metadata, entry.dpop, entry.scope_hierarchy, entry.mtls)
        if resolved.resource in by_resource:
            raise invalid_config(f"The resource metadata ('{resolved.resource}') is duplicated.")
        path, query = url_target(resolved.metadata_url)
        if query:
            path += "?" + query
        if path in paths:
            raise invalid_config(
                f"Two resources would be described at the same path {path}; "
                "serve them from separate apps."
            )
        by_resource[resolved.resource] = resolved
        paths.add(path)
    return Resources(by_resource)


def check_server_url(value: str, what: Literal["resource", "issuer"]) -> None:
    """The core's one rule for resources and issuers (https, http only for loopback)."""
    try:
        _native.check_server_url(value, what)
    except _native.NativeAuthError as error:
        raise invalid_config(error.reason) from None


def _resolve_resource(
    metadata: ResourceServerMetadata,
    dpop_setting: object,
    scope_hierarchy: object,
    mtls: MtlsOptions | None = None,
) -> Resource:
    resource = metadata.resource
    check_server_url(resource, "resource")
    if "#" in resource:
        raise invalid_config(f"The resource {resource} must not have a fragment.")
    hierarchy = compile_scope_hierarchy(scope_hierarchy, f"scope_hierarchy of {resource}")
    servers = tuple(metadata.authorization_servers or ())
    issuers: set[str] = set()
    for server in servers:
        issuer = server.metadata.issuer
        if issuer in issuers:
            raise invalid_config(
                f"The authorization server ('{issuer}') for resource '{resource}' is duplicated."
            )
        issuers.add(issuer)
        check_server_url(issuer, "issuer")
        _check_can_serve_clients(server)
    events = Emitter()
    dpop = resolve_dpop(dpop_setting, resource, events)
    try:
        options = _document_options(metadata, dpop, mtls is not None)
        url, document = _native.protected_resource_metadata(options)
    except _native.NativeAuthError as error:
        raise invalid_config(error.reason) from None
    return Resource(resource, metadata, servers, url, document, dpop, events, hierarchy, mtls)


# Findings a resource server can live with: clients need PKCE and dynamic
# registration, checking tokens does not. They are warnings (as in Node).
_TOLERATED = {
    "pkce_not_supported",
    "s256_code_challenge_method_not_supported",
    "dynamic_registration_not_supported",
}


def _check_can_serve_clients(server: AuthServerConfig) -> None:
    result = validate_server_config(server)
    findings = [(e.code.value, e.description) for e in result.errors]
    findings += [(w.code.value, w.description) for w in result.warnings]
    blocking = [code for code, _ in findings if code not in _TOLERATED]
    issuer = server.metadata.issuer
    if blocking:
        raise invalid_config(
            f"The authorization server {issuer} cannot serve MCP clients: {', '.join(blocking)}."
        )
    for _, description in findings:
        warnings.warn(f"Authorization server {issuer}: {description}", stacklevel=4)


def _document_options(
    metadata: ResourceServerMetadata, dpop: _native.DpopChecker | None, mtls: bool = False
) -> str:
    """The core's metadata option: the members in camelCase, servers by issuer,
    and the DPoP members the middleware enforces (RFC 9449 §5.2)."""
    members: dict[str, Any] = {}
    for name, value in metadata.model_dump(exclude_none=True).items():
        if name == "authorization_servers":
            continue
        members[camel_case(name)] = value
    members["authorizationServers"] = [
        {"issuer": server.metadata.issuer} for server in metadata.authorization_servers or ()
    ]
    options: dict[str, Any] = {"metadata": json.dumps(members)}
    if dpop is not None:
        options["dpop"] = {"required": dpop.mode == "required", "algorithms": dpop.algorithms}
    if mtls:
        options["mtls"] = True
    return json.dumps(options)


def url_target(url: str) -> tuple[str, str]:
    """(path, query) of an absolute URL the core built; a root URL's path is ``/``."""
    rest = url.split("://", 1)[-1]
    slash = rest.find("/")
    path, _, query = (rest[slash:] if slash >= 0 else "/").partition("?")
    return path, query
