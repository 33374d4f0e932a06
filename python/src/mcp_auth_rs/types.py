"""Resource configuration, verified identities and token-verifier types.

Same names and fields as ``mcpauth.types`` (0.2.0b1). Differences, all
additive: ``AuthInfo`` has four optional fields after mcpauth's seven, and a
``VerifyAccessTokenFunction`` may also be ``async`` (see its docstring).
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Annotated, Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, SkipValidation, StringConstraints
from typing_extensions import TypedDict

from mcp_auth_rs.config import AuthServerConfig, ProtectedResourceMetadataBase
from mcp_auth_rs.dpop import DpopSetting
from mcp_auth_rs.mtls import MtlsOptions

__all__ = [
    "AuthInfo",
    "JwtPayload",
    "NonEmptyString",
    "Operations",
    "Record",
    "Requirement",
    "ResourceServerConfig",
    "ResourceServerMetadata",
    "VerifyAccessTokenFunction",
]

# A JSON object.
Record = dict[str, Any]

NonEmptyString = Annotated[str, StringConstraints(min_length=1)]


class ResourceServerMetadata(ProtectedResourceMetadataBase):
    """A protected resource as configured: its authorization servers in full.

    ``utils.transpile_resource_metadata`` turns it into the served document,
    where each server is named by its issuer only.
    """

    authorization_servers: list[AuthServerConfig] | None = None
    """The authorization servers whose tokens this resource accepts."""


class ResourceServerConfig(BaseModel):
    """One protected resource (an MCP server) and its metadata.

    Added (optional): ``dpop``, the resource's DPoP setting as in the Node
    package's ``protectedResources[].dpop``: ``'allowed'`` (the default),
    ``'required'``, ``'off'`` or ``DpopOptions``; and ``scope_hierarchy``,
    as Node's ``protectedResources[].scopeHierarchy``.
    """

    # The DPoP options hold a native store object; the core validates them all.
    model_config = ConfigDict(arbitrary_types_allowed=True)

    metadata: ResourceServerMetadata

    dpop: SkipValidation[DpopSetting | None] = None
    """Added: DPoP (RFC 9449) for this resource; see ``mcp_auth_rs.dpop``."""

    # Checked by the core when ``MCPAuth`` is built (its errors name the option).
    scope_hierarchy: SkipValidation[dict[str, list[str]] | None] = None
    """Added: which scopes a broader scope implies (transitively), e.g.
    ``{"todos:admin": ["todos:read", "todos:write"]}``. Every scope check of
    this resource honours it (the middleware's ``required_scopes``,
    ``require_scopes`` in tools). Cycles, invalid scopes and
    ``offline_access`` are refused."""

    # Checked by the core when a middleware is built (its errors name the option).
    mtls: SkipValidation[MtlsOptions | None] = None
    """Added: RFC 8705 certificate-bound tokens (``cnf["x5t#S256"]``); where the
    client certificate is read. Off by default; see ``mcp_auth_rs.mtls``. The
    metadata then says ``tls_client_certificate_bound_access_tokens: true``."""


class AuthInfo(BaseModel):
    """The identity a verified access token carries.

    The first seven fields, in this order, are mcpauth's. Added (optional,
    from the Node package's ``AuthInfo``): ``expires_at``, ``resource``,
    ``resource_metadata_url``, ``effective_scopes`` and ``verifier``.
    """

    token: str
    """The access token as received. Never log it."""

    issuer: str
    """``iss`` of the token: the authorization server that issued it."""

    client_id: str | None = None
    """The client the token was issued to: ``client_id`` (RFC 9068), else ``azp``."""

    scopes: list[str] = []  # pydantic copies a default per instance
    """The scopes the token was granted."""

    subject: str
    """``sub`` of the token: the user or principal it was issued for."""

    audience: str | list[str] | None = None
    """``aud`` of the token, as the token carries it (RFC 7519 §4.1.3, RFC 8707)."""

    claims: dict[str, Any]
    """Every claim of the token."""

    expires_at: int | None = None
    """Added: ``exp`` of the token, in seconds since the epoch."""

    resource: str | None = None
    """Added: the protected resource (RFC 8707) the request was accepted for."""

    resource_metadata_url: str | None = None
    """Added: URL of that resource's RFC 9728 document, as our challenges advertise it."""

    effective_scopes: list[str] | None = None
    """Added: ``scopes`` plus every scope they imply under a scope hierarchy.

    ``None`` when no hierarchy applies (then it equals ``scopes``).
    """

    verifier: str | None = None
    """Added: on a route with several credential kinds, the ``name`` of the
    verifier that accepted the request (``bearer_auth_middleware([...])``)."""


class VerifyAccessTokenFunction(Protocol):
    """A custom access-token verifier.

    It returns an ``AuthInfo`` for a valid token and raises
    ``MCPAuthTokenVerificationException`` for an invalid one. It must check
    at least the signature (or ask the issuer) and the expiry; the middleware
    checks issuer, audience and scopes afterwards.

    Unlike mcpauth, the function may be ``async``: a plain function runs
    inline, and when the result is awaitable the middleware awaits it.
    """

    def __call__(self, token: str, /) -> AuthInfo | Awaitable[AuthInfo]:
        """Verifies ``token``; returns (or resolves to) its ``AuthInfo``."""
        ...


class JwtPayload(BaseModel):
    """The registered claims a JWT access token is read for."""

    aud: NonEmptyString | list[NonEmptyString] | None = None
    """``aud``: the intended recipient(s)."""

    iss: NonEmptyString
    """``iss``: the issuer."""

    client_id: str | None = None
    """``client_id`` (RFC 9068)."""

    azp: str | None = None
    """``azp``: the authorized party, used by some servers instead of ``client_id``."""

    sub: NonEmptyString
    """``sub``: the subject."""

    scope: str | list[str] | None = None
    """``scope``: granted scopes, space-separated or a list."""

    scopes: str | list[str] | None = None
    """Used when ``scope`` is absent."""

    exp: int | None = None
    """``exp``: expiry, in seconds since the epoch."""


#: What one MCP operation needs: ``"public"`` (no token; a token that is sent
#: is still verified and sets the identity, no scope is checked),
#: ``"protected"`` (a valid token with the route's ``required_scopes``) or a
#: list of scopes (a valid token with the route's scopes and these).
Requirement = Literal["public", "protected"] | list[str]


class Operations(TypedDict, total=False):
    """Added: per-tool authorization, ``bearer_auth_middleware(..., operations=...)``
    (the Node package's ``operations``; docs/per-tool-authorization.md).

    The middleware reads the JSON-RPC request (a batch: every item must pass)
    and the core judges it. Keys as written here (snake_case); the core checks
    every value at setup (names, scope grammar, ranges, unknown keys).
    """

    #: ``tools/call`` by the tool's name.
    tools: dict[str, Requirement]
    #: ``prompts/get`` by the prompt's name.
    prompts: dict[str, Requirement]
    #: ``resources/read|subscribe|unsubscribe`` by URI: an exact key, or a key
    #: ending in ``*`` (a prefix; the longest wins, an exact key first).
    resources: dict[str, Requirement]
    #: Any JSON-RPC method; overrides every other rule for that method.
    methods: dict[str, Requirement]
    #: ``initialize``, ``tools/list`` and the other discovery/session methods,
    #: and every GET/DELETE (they follow ``initialize``); default ``"public"``.
    discovery: Requirement
    #: Anything not listed; default ``"protected"``.
    default: Requirement
    #: ``"http"`` (the default: 401/403 with ``WWW-Authenticate``) or
    #: ``"tool-result"`` (a refused single ``tools/call`` gets a JSON-RPC
    #: result with ``isError`` and ``_meta["mcp/www_authenticate"]``, SEP-1489).
    signal: Literal["http", "tool-result"]
    #: The longest request body read, in bytes (default 4194304 = 4 MiB, the
    #: SDKs' limit; an integer from 1024 to 67108864); longer is 413.
    max_body_bytes: int
