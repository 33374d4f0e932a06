"""``MCPAuth``: mcpauth 0.2's entry point, on the Rust core.

It validates the configuration once, at construction, then hands out the
metadata router and bearer-token middleware classes built from it.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from starlette.routing import Route, Router

from mcp_auth_rs import _native
from mcp_auth_rs._convert import operations_options
from mcp_auth_rs._dpop import resolve_dpop
from mcp_auth_rs._gate import Gate, Verify_, bearer_limits, new_authenticator
from mcp_auth_rs._metadata import MetadataDocument, metadata_router
from mcp_auth_rs._scopes import HierarchyEntries, compile_scope_hierarchy
from mcp_auth_rs._setup import Legacy, Resource, Resources, invalid_config, resolve
from mcp_auth_rs._step_up import require_scopes
from mcp_auth_rs._verifier_cache import VerifierCache
from mcp_auth_rs.bearer_options import (
    CacheOptions,
    ClaimOptions,
    JwtVerifyOptions,
    RemoteJwkSetOptions,
    claim_options,
    key_set_options,
    verify_timeout_ms,
)
from mcp_auth_rs.config import AuthServerConfig, ServerMetadataPaths
from mcp_auth_rs.credential_kinds import CredentialVerifier, credential_gate, member_rules
from mcp_auth_rs.dpop import DpopSetting
from mcp_auth_rs.events import AuthEventListener, Emitter
from mcp_auth_rs.introspection import IntrospectionOptions, new_introspector
from mcp_auth_rs.middleware.asgi import BearerAuthMiddleware
from mcp_auth_rs.token_exchange import (
    ExchangedToken,
    TokenExchangeOptions,
    exchange,
    new_token_exchanger,
)
from mcp_auth_rs.types import AuthInfo, Operations, ResourceServerConfig

if TYPE_CHECKING:
    from mcp_auth_rs.fastmcp import FastMCPAuthProvider
    from mcp_auth_rs.sdk import McpTokenVerifier


#: The modes the core verifies itself ('introspection' and 'auto' need ``introspection``).
Mode = Literal["jwt", "introspection", "auto"]
_MODES = ("jwt", "introspection", "auto")


@dataclass(frozen=True)
class _Checks:
    """What judges one call's tokens: shared by the gates built from it."""

    target: Resource | None
    verify: Verify_ | None
    route: str
    trusted_issuers: frozenset[str]
    audiences: list[str] | None
    max_token_length: int
    #: Seconds a custom verifier's awaitable may take.
    verify_timeout: float
    verifier: _native.Verifier | None
    introspector: _native.Introspector | None
    dpop: _native.DpopChecker | None
    hierarchy: HierarchyEntries | None
    events: Emitter
    #: An API-key member: its identity has no issuer, audience or expiry to check.
    bound_key: bool = False


@dataclass(frozen=True)
class _Limits:
    """The Node package's bearer limits, as given (the core checks them)."""

    remote_jwk_set: RemoteJwkSetOptions | None = None
    cache: CacheOptions | None = None
    max_token_length: int | None = None
    verify_timeout: float | None = None


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
        token_exchange: TokenExchangeOptions | None = None,
    ) -> None:
        self.server = server
        self.protected_resources = protected_resources
        self._context_var = context_var
        self._on_auth_event = on_auth_event
        self._resolved = resolve(server, protected_resources)
        self._exchanger = (
            None
            if token_exchange is None
            else new_token_exchanger(token_exchange, _servers(self._resolved), self._store_event)
        )
        # Verifiers with the same trust settings share one key-set cache; their
        # key-set events go to every middleware using them.
        self._verifiers = VerifierCache()

    def _store_event(self, event: Mapping[str, object]) -> None:
        # The token-exchange store's events reach the configuration's listener.
        Emitter([self._on_auth_event]).emit(event)

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

    async def exchange_token(
        self,
        auth_info: AuthInfo | None = None,
        *,
        audience: str | list[str] | None = None,
        resource: str | list[str] | None = None,
        scope: str | list[str] | None = None,
        requested_token_type: str | None = None,
    ) -> ExchangedToken:
        """Added: trades the caller's access token (``auth_info``, default the
        current request's) for one aimed at an upstream API, at the
        ``token_exchange`` authorization server (RFC 8693, or Entra ID's
        on-behalf-of grant). Issued tokens are reused until shortly before
        they expire; concurrent identical exchanges share one call.

        Raises ``MCPAuthTokenExchangeException``: ``status`` 403 when the
        server refused, 503 (``retry_after``) when it was unavailable.
        """
        if self._exchanger is None:
            raise invalid_config("`exchange_token` needs the `token_exchange` configuration.")
        info = auth_info if auth_info is not None else self.auth_info
        if info is None:
            raise invalid_config("`exchange_token` needs the AuthInfo of an accepted request.")
        params = {
            "audience": audience,
            "resource": resource,
            "scope": scope,
            "requested_token_type": requested_token_type,
        }
        return await exchange(self._exchanger, info, params)

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
        mode_or_verify: Mode | Verify_ | list[CredentialVerifier],
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
        remote_jwk_set: RemoteJwkSetOptions | None = None,
        cache: CacheOptions | None = None,
        max_token_length: int | None = None,
        verify_timeout: float | None = None,
        strip_authorization_header: bool = False,
        operations: Operations | None = None,
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
        ``MCPAuth`` one. A list of verifiers puts several credential kinds on
        one route (``docs/credential-kinds.md``).

        The Node package's limits, in its units (the core checks every value):
        ``remote_jwk_set`` (``RemoteJwkSetOptions``, ms) and ``cache``
        (``CacheOptions``) tune the key-set fetches and the verified-token
        cache ('jwt' and 'auto'); ``max_token_length`` is the longest token
        accepted in bytes (default 8192, 1 to 1048576; a longer one gets 401
        ``invalid_token``); ``verify_timeout`` is the milliseconds a custom
        verify function's awaitable may take (default 10000, 1 to 300000),
        after which the request gets 503 with ``Retry-After`` (a synchronous
        verify function cannot be interrupted: it is not bounded);
        ``strip_authorization_header=True`` removes ``Authorization`` from the
        ASGI scope the app receives once the token is accepted, so handlers
        cannot forward it.

        ``operations`` (``Operations``) declares per-tool authorization: which
        MCP operations are public and the scopes each protected one needs;
        the middleware then reads the JSON-RPC body (bounded, replayed to the
        app) and the class gets ``tool_meta(name)`` and
        ``security_schemes(name)`` (docs/per-tool-authorization.md).
        """
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
            limits=_Limits(remote_jwk_set, cache, max_token_length, verify_timeout),
            operations=None if operations is None else operations_options(operations),
        )
        if not isinstance(strip_authorization_header, bool):
            raise invalid_config("`strip_authorization_header` must be True or False.")
        attributes: dict[str, Any] = {
            "gate": gate,
            "context_var": self._context_var,
            "strip_authorization": strip_authorization_header,
        }
        return type("BearerAuth", (BearerAuthMiddleware,), attributes)

    def _credential_route(
        self,
        verifiers: list[CredentialVerifier],
        audience: str | None,
        required_scopes: list[str] | None,
        show_error_details: bool,
        leeway: float | None,
        resource: str | None,
        on_auth_event: AuthEventListener | None,
        limits: _Limits | None,
        operations: dict[str, object] | None,
    ) -> Gate:
        target = self._target(resource)
        servers = list(target.authorization_servers) if target else self._legacy_servers()

        def member(
            verify: Mode | Verify_, conf: CredentialVerifier, issuers: list[str] | None
        ) -> Gate:
            jwt_verify, claims, scopes = member_rules(conf, required_scopes)
            checks = self._checks(
                verify,
                audience,
                leeway,
                resource,
                jwt_verify,
                claims=claims,
                on_auth_event=on_auth_event,
                limits=limits,
                issuers=issuers,
                bound_key=verify != "jwt",
            )
            return self._gate_from(checks, scopes, show_error_details, operations)

        return credential_gate(verifiers, [s.metadata.issuer for s in servers], member)

    def token_verifier(
        self,
        resource: str,
        audience: str | None = None,
        leeway: float | None = None,
        *,
        mode_or_verify: Mode | Verify_ = "jwt",
        jwt_verify: JwtVerifyOptions | None = None,
        claims: ClaimOptions | None = None,
        introspection: IntrospectionOptions | None = None,
        on_auth_event: AuthEventListener | None = None,
        remote_jwk_set: RemoteJwkSetOptions | None = None,
        cache: CacheOptions | None = None,
        max_token_length: int | None = None,
        verify_timeout: float | None = None,
        operations: Operations | None = None,
    ) -> McpTokenVerifier:
        """A ``TokenVerifier`` for the official ``mcp`` SDK (1.x ``FastMCP``, 2.x ``MCPServer``).

        Tokens are judged by the core exactly as ``bearer_auth_middleware(
        mode_or_verify, resource=resource, …)`` judges them: 'jwt' (the
        default), 'introspection' and 'auto' with ``introspection``, or a
        custom verify function; ``audience`` defaults to ``resource``. The SDK
        then answers the HTTP side itself (see ``docs/sdk.md`` for what that
        loses). ``mcp`` is imported on first use only. ``remote_jwk_set``,
        ``cache``, ``max_token_length`` and ``verify_timeout`` are
        ``bearer_auth_middleware``'s. ``operations`` is refused (see
        ``_refuse_operations``).
        """
        _refuse_operations(operations, "token_verifier")
        from mcp_auth_rs.sdk import McpTokenVerifier

        checks = self._checks(
            mode_or_verify,
            audience,
            leeway,
            resource,
            jwt_verify,
            claims=claims,
            introspection=introspection,
            on_auth_event=on_auth_event,
            limits=_Limits(remote_jwk_set, cache, max_token_length, verify_timeout),
        )
        return McpTokenVerifier(self._gate_from(checks, None, False), resource)

    def fastmcp_auth(
        self,
        resource: str,
        audience: str | None = None,
        required_scopes: list[str] | None = None,
        show_error_details: bool = False,
        leeway: float | None = None,
        *,
        mode_or_verify: Mode | Verify_ = "jwt",
        jwt_verify: JwtVerifyOptions | None = None,
        claims: ClaimOptions | None = None,
        introspection: IntrospectionOptions | None = None,
        on_auth_event: AuthEventListener | None = None,
        remote_jwk_set: RemoteJwkSetOptions | None = None,
        cache: CacheOptions | None = None,
        max_token_length: int | None = None,
        verify_timeout: float | None = None,
        operations: Operations | None = None,
    ) -> FastMCPAuthProvider:
        """An auth provider for FastMCP 4: ``FastMCP(..., auth=mcp_auth.fastmcp_auth(R))``.

        Its middleware is this package's gate on the MCP endpoint (the core's
        400/401/403/503 and challenges), its route serves this resource's RFC 9728
        document, and tools see the caller through ``get_access_token()``.
        ``mode_or_verify``, ``introspection`` and the other options are
        ``bearer_auth_middleware``'s. Needs ``fastmcp`` (imported here, not before).
        ``operations`` is refused (see ``_refuse_operations``).
        """
        _refuse_operations(operations, "fastmcp_auth")
        from mcp_auth_rs.fastmcp import new_provider

        target = self._target(resource)
        if target is None:
            raise invalid_config("`fastmcp_auth` needs the `protected_resources` configuration.")
        # One verifier and one introspector (one cache) behind both gates.
        checks = self._checks(
            mode_or_verify,
            audience,
            leeway,
            resource,
            jwt_verify,
            claims=claims,
            introspection=introspection,
            on_auth_event=on_auth_event,
            limits=_Limits(remote_jwk_set, cache, max_token_length, verify_timeout),
        )
        gate = self._gate_from(checks, required_scopes, show_error_details)
        verifier_gate = self._gate_from(checks, None, False)
        return new_provider(target, gate, verifier_gate, self._context_var)

    def _gate(
        self,
        mode_or_verify: Mode | Verify_ | list[CredentialVerifier],
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
        limits: _Limits | None = None,
        operations: dict[str, object] | None = None,
    ) -> Gate:
        if isinstance(mode_or_verify, list):
            route = (audience, required_scopes, show_error_details, leeway, resource)
            return self._credential_route(mode_or_verify, *route, on_auth_event, limits, operations)
        checks = self._checks(
            mode_or_verify,
            audience,
            leeway,
            resource,
            jwt_verify,
            claims=claims,
            introspection=introspection,
            dpop=dpop,
            scope_hierarchy=scope_hierarchy,
            on_auth_event=on_auth_event,
            limits=limits,
        )
        return self._gate_from(checks, required_scopes, show_error_details, operations)

    def _checks(
        self,
        mode_or_verify: Mode | Verify_,
        audience: str | None,
        leeway: float | None,
        resource: str | None,
        jwt_verify: JwtVerifyOptions | None,
        *,
        claims: ClaimOptions | None = None,
        introspection: IntrospectionOptions | None = None,
        dpop: DpopSetting | None = None,
        scope_hierarchy: dict[str, list[str]] | None = None,
        on_auth_event: AuthEventListener | None = None,
        limits: _Limits | None = None,
        issuers: list[str] | None = None,
        bound_key: bool = False,
    ) -> _Checks:
        """The native parts that judge tokens, built once for any number of gates."""
        if mode_or_verify not in _MODES and not callable(mode_or_verify):
            raise ValueError(
                "mode_or_verify must be 'jwt', 'introspection', 'auto' or a callable "
                "function that verifies tokens."
            )
        target = self._target(resource)
        listeners = [self._on_auth_event, on_auth_event]
        events = Emitter(listeners)
        servers = list(target.authorization_servers) if target else self._legacy_servers()
        if issuers is not None:
            # A member of a credential route trusts only its own issuers.
            servers = [server for server in servers if server.metadata.issuer in issuers]
        audiences = [audience] if audience is not None else [resource] if resource else None
        if audiences is None:
            warnings.warn(
                "bearer_auth_middleware accepts tokens for any audience: "
                "set `resource` or `audience`.",
                stacklevel=4,
            )
        limits = limits or _Limits()
        max_token_length = bearer_limits(audiences, limits.max_token_length)
        verify_timeout = verify_timeout_ms(limits.verify_timeout) / 1000
        key_sets = key_set_options(limits.remote_jwk_set, limits.cache)
        checks: dict[str, Any] = dict(jwt_verify or {})
        if leeway is not None:
            checks.setdefault("clock_tolerance", leeway)
        claim_rules = claim_options(claims)
        verifier = None
        if mode_or_verify in ("jwt", "auto"):
            verifier = self._verifiers.verifier(
                servers, audiences, checks, {**claim_rules, **key_sets}, max_token_length, listeners
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
        return _Checks(
            target=target,
            verify=None if isinstance(mode_or_verify, str) else mode_or_verify,
            route=mode_or_verify if isinstance(mode_or_verify, str) else "caller",
            # A custom verifier's answer must name a configured issuer, as 'jwt' mode's tokens do.
            trusted_issuers=frozenset(server.metadata.issuer for server in servers),
            audiences=audiences,
            max_token_length=max_token_length,
            verify_timeout=verify_timeout,
            verifier=verifier,
            introspector=introspector,
            dpop=checker,
            hierarchy=hierarchy,
            events=events,
            bound_key=bound_key,
        )

    def _gate_from(
        self,
        checks: _Checks,
        required_scopes: list[str] | None,
        show_error_details: bool,
        operations: dict[str, object] | None = None,
    ) -> Gate:
        target = checks.target
        native = new_authenticator(
            target.metadata_url if target else None,
            required_scopes or [],
            show_error_details,
            checks.max_token_length,
            checks.route,
            checks.verifier,
            checks.dpop,
            checks.introspector,
            hierarchy=checks.hierarchy,
            caller_checks=self._caller_checks(checks),
            mtls=target.mtls if target is not None else None,
            operations=operations,
        )
        return Gate(
            native,
            verify=checks.verify,
            resource=target.resource if target else None,
            show_error_details=show_error_details,
            events=checks.events,
            verify_timeout=checks.verify_timeout,
            mtls=target.mtls if target is not None else None,
        )

    @staticmethod
    def _caller_checks(checks: _Checks) -> dict[str, Any] | None:
        # A custom verifier's answer must name a configured issuer, as 'jwt'
        # mode's tokens do; the core checks it (and the audiences) in `finish`.
        if checks.verify is None:
            return None
        if checks.bound_key:
            # An API key is bound to this route by configuration.
            return {}
        caller_checks: dict[str, Any] = {"issuers": sorted(checks.trusted_issuers)}
        if checks.audiences is not None:
            caller_checks["audiences"] = checks.audiences
        return caller_checks

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


def _refuse_operations(operations: object, mode: str) -> None:
    """The SDKs' own auth (mcp's ``RequireAuthMiddleware``, FastMCP's) answers 401
    to any request without a token before a verifier runs, so a public
    operation could never pass there: per-tool authorization is the ASGI
    middleware's."""
    if operations is not None:
        raise invalid_config(
            f"`operations` is not supported by `{mode}`: the SDK's auth refuses every "
            "request without a token. Build the server without SDK auth (auth=None) "
            "and mount bearer_auth_middleware(..., operations=...) in front of it."
        )


def _servers(resolved: Resources | Legacy) -> list[AuthServerConfig]:
    if isinstance(resolved, Legacy):
        return [resolved.server]
    return [s for r in resolved.by_resource.values() for s in r.authorization_servers]
