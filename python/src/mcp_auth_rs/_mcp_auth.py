"""``MCPAuth``: mcpauth 0.2's entry point, on the Rust core.

It validates the configuration once, at construction, then hands out the
metadata router and bearer-token middleware classes built from it.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterable
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, Literal, TypedDict

from starlette.routing import Route, Router

from mcp_auth_rs import _native
from mcp_auth_rs._dpop import resolve_dpop
from mcp_auth_rs._gate import Gate, Verify_
from mcp_auth_rs._metadata import MetadataDocument, metadata_router
from mcp_auth_rs._scopes import HierarchyEntries, compile_scope_hierarchy, native_rules
from mcp_auth_rs._setup import Legacy, Resource, Resources, camel_case, invalid_config, resolve
from mcp_auth_rs._step_up import require_scopes
from mcp_auth_rs.config import AuthServerConfig, ServerMetadataPaths
from mcp_auth_rs.dpop import DpopSetting
from mcp_auth_rs.events import AuthEventListener, Emitter
from mcp_auth_rs.introspection import IntrospectionOptions, new_introspector
from mcp_auth_rs.middleware.asgi import BearerAuthMiddleware
from mcp_auth_rs.mtls import native_options
from mcp_auth_rs.types import AuthInfo, ResourceServerConfig

if TYPE_CHECKING:
    from mcp_auth_rs.fastmcp import FastMCPAuthProvider
    from mcp_auth_rs.sdk import McpTokenVerifier


class JwtVerifyOptions(TypedDict, total=False):
    """Extra checks for 'jwt' mode (the Node package's ``jwtVerify``)."""

    #: Accepted ``alg`` values, a subset of the asymmetric algorithms the core knows.
    algorithms: list[str]
    #: Seconds of leeway for ``exp``, ``nbf`` and ``iat`` (default 30, at most 300).
    clock_tolerance: float
    #: Oldest accepted ``iat``, in seconds.
    max_token_age: float
    #: Claims that must be present.
    required_claims: list[str]
    #: Required JOSE ``typ`` (e.g. ``"at+jwt"`` for RFC 9068).
    typ: str


class ClaimOptions(TypedDict, total=False):
    """Claim rules beyond ``jwt_verify`` (the Node package's ``claims``), for
    'jwt', 'introspection' and 'auto'; the core checks them at setup."""

    #: Claims whose scopes are granted, all of them, in order (1 to 32 distinct
    #: names, e.g. ``["scp", "roles"]``); default the first of ``scope``,
    #: ``scopes``, ``scp`` present.
    scope_claims: list[str]
    #: Clients whose tokens are accepted, compared exactly (1 to 1000 ids); the
    #: token's client is its first of ``client_id``, ``azp``, ``appid``, ``cid``.
    client_ids: list[str]
    #: Claims that must equal these strings exactly (at most 32), e.g.
    #: ``{"token_use": "access"}``; absent → 401 ``missing_claim``.
    required_claim_values: dict[str, str]


_CLAIM_KEYS = ("scope_claims", "client_ids", "required_claim_values")


#: The modes the core verifies itself ('introspection' and 'auto' need ``introspection``).
Mode = Literal["jwt", "introspection", "auto"]
_MODES = ("jwt", "introspection", "auto")

# mcpauth's default: one variable for every instance unless one is passed.
_DEFAULT_CONTEXT_VAR: ContextVar[AuthInfo | None] = ContextVar("mcp_auth_context", default=None)


class MCPAuth:
    """OAuth 2.1 resource-server authorization for an MCP server.

    Give ``protected_resources`` (one ``ResourceServerConfig`` or a list), or
    the deprecated ``server``, not both. Raises ``MCPAuthAuthServerException``
    (``invalid_server_config``) when the configuration cannot work.
    ``on_auth_event`` (added) hears every middleware's events (``mcp_auth_rs.events``).
    """

    def __init__(
        self,
        server: AuthServerConfig | None = None,
        protected_resources: ResourceServerConfig | list[ResourceServerConfig] | None = None,
        context_var: ContextVar[AuthInfo | None] = _DEFAULT_CONTEXT_VAR,
        *,
        on_auth_event: AuthEventListener | None = None,
    ) -> None:
        self.server = server
        self.protected_resources = protected_resources
        self._context_var = context_var
        self._on_auth_event = on_auth_event
        self._resolved = resolve(server, protected_resources)
        # Verifiers with the same trust settings share one key-set cache; their
        # key-set events go to every middleware using them.
        self._verifiers: dict[str, tuple[_native.Verifier, Emitter]] = {}

    @property
    def auth_info(self) -> AuthInfo | None:
        """The caller of the current request, set by the bearer middleware."""
        return self._context_var.get()

    def require_scopes(self, scopes: Iterable[str], description: str | None = None) -> None:
        """In a tool: returns when the caller holds every scope in ``scopes``.

        Otherwise raises ``MCPAuthBearerAuthException`` (``missing_required_scopes``)
        and, when the response has not started yet (stateless Streamable HTTP with
        ``json_response=True``), the bearer middleware answers the request with the
        core's 403 ``insufficient_scope`` naming the missing scopes, so an OAuth
        client steps up and retries. ``description`` is the tool error's message.
        """
        require_scopes(self.auth_info, scopes, description)

    def resource_metadata_router(self) -> Router:
        """RFC 9728 documents for every resource, at ``/.well-known/oauth-protected-resource…``."""
        if not isinstance(self._resolved, Resources):
            raise invalid_config(
                "`resource_metadata_router` needs the `protected_resources` configuration."
            )
        return metadata_router(list(self._resolved.by_resource.values()))

    def metadata_route(self) -> Route:
        """Deprecated: mirrors the authorization server's metadata (legacy ``server`` mode)."""
        warnings.warn(
            "Use resource_metadata_router() instead for resource server mode",
            DeprecationWarning,
            stacklevel=2,
        )
        if not isinstance(self._resolved, Legacy):
            raise invalid_config(
                "`metadata_route` is only available with the `server` configuration."
            )
        document = json.dumps(self._resolved.server.metadata.model_dump(exclude_none=True))
        return Route(ServerMetadataPaths.OAUTH.value, endpoint=MetadataDocument({"": document}))

    def bearer_auth_middleware(
        self,
        mode_or_verify: Mode | Verify_,
        audience: str | None = None,
        required_scopes: list[str] | None = None,
        show_error_details: bool = False,
        leeway: float | None = None,
        resource: str | None = None,
        *,
        jwt_verify: JwtVerifyOptions | None = None,
        claims: ClaimOptions | None = None,
        introspection: IntrospectionOptions | None = None,
        dpop: DpopSetting | None = None,
        scope_hierarchy: dict[str, list[str]] | None = None,
        on_auth_event: AuthEventListener | None = None,
    ) -> type[BearerAuthMiddleware]:
        """A pure ASGI middleware class admitting only acceptable tokens.

        ``audience`` defaults to ``resource`` (RFC 8707). ``leeway`` is the
        clock tolerance in seconds for ``exp``/``nbf`` (default 30, at most 300).
        ``jwt_verify`` ('jwt' and 'auto') narrows the checks further; see
        ``JwtVerifyOptions``; ``claims`` adds claim rules (``ClaimOptions``).
        'introspection' and 'auto' (opaque tokens, RFC 7662) need
        ``introspection`` (see ``IntrospectionOptions``). DPoP and the scope
        hierarchy are set on the protected resource; ``dpop`` and
        ``scope_hierarchy`` here are for the deprecated ``server`` mode only.
        ``on_auth_event`` hears this middleware's events, after the
        ``MCPAuth`` one.
        """
        if mode_or_verify not in _MODES and not callable(mode_or_verify):
            raise ValueError(
                "mode_or_verify must be 'jwt', 'introspection', 'auto' or a callable "
                "function that verifies tokens."
            )
        gate = self._gate(
            mode_or_verify,
            audience,
            required_scopes,
            show_error_details,
            leeway,
            resource,
            jwt_verify,
            claims=claims,
            introspection=introspection,
            dpop=dpop,
            scope_hierarchy=scope_hierarchy,
            on_auth_event=on_auth_event,
        )
        attributes: dict[str, Any] = {"gate": gate, "context_var": self._context_var}
        return type("BearerAuth", (BearerAuthMiddleware,), attributes)

    def token_verifier(
        self,
        resource: str,
        audience: str | None = None,
        leeway: float | None = None,
        *,
        jwt_verify: JwtVerifyOptions | None = None,
        claims: ClaimOptions | None = None,
    ) -> McpTokenVerifier:
        """A ``TokenVerifier`` for the official ``mcp`` SDK (1.x ``FastMCP``, 2.x ``MCPServer``).

        Tokens are verified by the core exactly as ``bearer_auth_middleware('jwt',
        resource=resource)`` verifies them (``audience`` defaults to ``resource``);
        the SDK then answers the HTTP side itself (see ``docs/sdk.md`` for what
        that loses). ``mcp`` is imported on first use only.
        """
        from mcp_auth_rs.sdk import McpTokenVerifier

        gate = self._gate("jwt", audience, None, False, leeway, resource, jwt_verify, claims=claims)
        return McpTokenVerifier(gate, resource)

    def fastmcp_auth(
        self,
        resource: str,
        audience: str | None = None,
        required_scopes: list[str] | None = None,
        show_error_details: bool = False,
        leeway: float | None = None,
        *,
        jwt_verify: JwtVerifyOptions | None = None,
        claims: ClaimOptions | None = None,
    ) -> FastMCPAuthProvider:
        """An auth provider for FastMCP 4: ``FastMCP(..., auth=mcp_auth.fastmcp_auth(R))``.

        Its middleware is this package's gate on the MCP endpoint (the core's
        400/401/403/503 and challenges), its route serves this resource's RFC 9728
        document, and tools see the caller through ``get_access_token()``.
        Needs ``fastmcp`` (imported here, not before).
        """
        from mcp_auth_rs.fastmcp import new_provider

        target = self._target(resource)
        if target is None:
            raise invalid_config("`fastmcp_auth` needs the `protected_resources` configuration.")
        gate = self._gate(
            "jwt",
            audience,
            required_scopes,
            show_error_details,
            leeway,
            resource,
            jwt_verify,
            claims=claims,
        )
        verifier_gate = self._gate(
            "jwt", audience, None, False, leeway, resource, jwt_verify, claims=claims
        )
        return new_provider(target, gate, verifier_gate, self._context_var)

    def _gate(
        self,
        mode_or_verify: Mode | Verify_,
        audience: str | None,
        required_scopes: list[str] | None,
        show_error_details: bool,
        leeway: float | None,
        resource: str | None,
        jwt_verify: JwtVerifyOptions | None,
        *,
        claims: ClaimOptions | None = None,
        introspection: IntrospectionOptions | None = None,
        dpop: DpopSetting | None = None,
        scope_hierarchy: dict[str, list[str]] | None = None,
        on_auth_event: AuthEventListener | None = None,
    ) -> Gate:
        target = self._target(resource)
        listeners = [self._on_auth_event, on_auth_event]
        events = Emitter(listeners)
        servers = list(target.authorization_servers) if target else self._legacy_servers()
        audiences = [audience] if audience is not None else [resource] if resource else None
        if audiences is None:
            warnings.warn(
                "bearer_auth_middleware accepts tokens for any audience: "
                "set `resource` or `audience`.",
                stacklevel=3,
            )
        max_token_length = self._bearer_limits(audiences)
        checks: dict[str, Any] = dict(jwt_verify or {})
        if leeway is not None:
            checks.setdefault("clock_tolerance", leeway)
        claim_rules = _claim_options(claims)
        verifier = None
        if mode_or_verify in ("jwt", "auto"):
            verifier = self._verifier(
                servers, audiences, checks, claim_rules, max_token_length, listeners
            )
        introspector = None
        if mode_or_verify in ("introspection", "auto"):
            # The same verdict settings as the Node wrapper's, so a mixed fleet shares records.
            introspector = new_introspector(
                introspection,
                servers,
                audiences,
                max_token_length,
                checks.get("clock_tolerance"),
                checks.get("required_claims"),
                claim_rules,
                target.resource if target else resource,
                events,
            )
        if target is not None:
            for name, value in (("scope_hierarchy", scope_hierarchy), ("dpop", dpop)):
                if value is not None:
                    raise invalid_config(
                        f"With `protected_resources`, set `{name}` on the protected resource, "
                        "not on bearer_auth_middleware."
                    )
            hierarchy = target.scope_hierarchy
            checker = target.dpop
            if target.dpop_events is not None:
                target.dpop_events.add(self._on_auth_event)
                target.dpop_events.add(on_auth_event)
        else:
            hierarchy = compile_scope_hierarchy(scope_hierarchy, "scope_hierarchy")
            checker = resolve_dpop(dpop if dpop is not None else "off", resource, events)
        native = self._authenticator(
            target,
            required_scopes or [],
            show_error_details,
            max_token_length,
            mode_or_verify if isinstance(mode_or_verify, str) else "caller",
            hierarchy,
            verifier,
            checker,
            introspector,
        )
        return Gate(
            native,
            verify=None if isinstance(mode_or_verify, str) else mode_or_verify,
            resource=target.resource if target else None,
            # A custom verifier's answer must name a configured issuer, as 'jwt' mode's tokens do.
            trusted_issuers=frozenset(server.metadata.issuer for server in servers),
            audiences=tuple(audiences)
            if audiences is not None and not isinstance(mode_or_verify, str)
            else None,
            show_error_details=show_error_details,
            events=events,
            mtls=target.mtls if target is not None else None,
        )

    def _target(self, resource: str | None) -> Resource | None:
        if isinstance(self._resolved, Legacy):
            return None
        if resource is None:
            raise invalid_config(
                "A `resource` must be specified in the `bearer_auth_middleware` configuration "
                "when using a `protected_resources` configuration."
            )
        found = self._resolved.by_resource.get(resource)
        if found is None:
            raise invalid_config(f"The resource {resource} is not configured.")
        return found

    def _legacy_servers(self) -> list[AuthServerConfig]:
        assert isinstance(self._resolved, Legacy)
        return [self._resolved.server]

    @staticmethod
    def _bearer_limits(audiences: list[str] | None) -> int:
        options = {"audiences": audiences if audiences is not None else False}
        try:
            return _native.check_bearer_limits(json.dumps(options))
        except _native.NativeAuthError as error:
            raise invalid_config(error.reason) from None

    def _verifier(
        self,
        servers: list[AuthServerConfig],
        audiences: list[str] | None,
        checks: dict[str, Any],
        claim_rules: dict[str, Any],
        max_token_length: int,
        listeners: list[AuthEventListener | None],
    ) -> _native.Verifier:
        issuers = []
        for server in servers:
            metadata = server.metadata
            if not metadata.jwks_uri:
                from mcp_auth_rs.exceptions import (
                    AuthServerExceptionCode,
                    MCPAuthAuthServerException,
                )

                raise MCPAuthAuthServerException(
                    AuthServerExceptionCode.MISSING_JWKS_URI,
                    cause={
                        "error_description": f"The metadata of {metadata.issuer} has no jwks_uri."
                    },
                )
            issuers.append(
                {"issuer": metadata.issuer, "jwksUri": metadata.jwks_uri, "type": server.type.value}
            )
        options: dict[str, Any] = {"issuers": issuers, "maxTokenLength": max_token_length}
        if audiences is None:
            options["allowAnyAudience"] = True
        else:
            options["audiences"] = audiences
        if checks:
            # The core judges names, types and ranges; only the spelling changes here.
            options["jwtVerify"] = {camel_case(name): value for name, value in checks.items()}
        options.update(claim_rules)
        try:
            text = json.dumps(options)
        except (TypeError, ValueError):
            raise invalid_config("An option has a value of the wrong type.") from None
        shared = self._verifiers.get(text)
        if shared is None:
            jwks_events = Emitter()
            try:
                verifier = _native.Verifier(text, jwks_events.emit)
            except _native.NativeAuthError as error:
                raise invalid_config(error.reason) from None
            shared = (verifier, jwks_events)
            self._verifiers[text] = shared
        # Added once each, however many middlewares share the verifier.
        for listener in listeners:
            shared[1].add(listener)
        return shared[0]

    @staticmethod
    def _authenticator(
        target: Resource | None,
        required_scopes: list[str],
        show_error_details: bool,
        max_token_length: int,
        route: str,
        hierarchy: HierarchyEntries | None,
        verifier: _native.Verifier | None,
        dpop: _native.DpopChecker | None,
        introspector: _native.Introspector | None,
    ) -> _native.Authenticator:
        options: dict[str, Any] = {
            "requiredScopes": required_scopes,
            "showErrorDetails": show_error_details,
            "maxTokenLength": max_token_length,
            "route": route,
        }
        if target is not None:
            options["resourceMetadataUrl"] = target.metadata_url
            if target.mtls is not None:
                options["mtls"] = native_options(target.mtls)
        if hierarchy is not None:
            options["scopeHierarchy"] = native_rules(hierarchy)
        try:
            return _native.Authenticator(json.dumps(options), verifier, dpop, introspector)
        except _native.NativeAuthError as error:
            raise invalid_config(error.reason) from None


def _claim_options(claims: object) -> dict[str, Any]:
    """The core's claim options (top level of the verifier's and introspector's
    options): only the known keys, so nothing else (issuers, audiences) can be
    slipped in through ``claims``; the core checks their values."""
    if claims is None:
        return {}
    if not isinstance(claims, dict):
        raise invalid_config("`claims` must be a dict of claim options.")
    unknown = sorted(str(key) for key in claims if key not in _CLAIM_KEYS)
    if unknown:
        raise invalid_config(
            f"unknown option `claims.{unknown[0]}` (known: {', '.join(_CLAIM_KEYS)})."
        )
    # Claim names inside `required_claim_values` are kept as written.
    return {camel_case(key): value for key, value in claims.items() if value is not None}
