"""A FastMCP 4 auth provider on the core (made by ``MCPAuth.fastmcp_auth``).

FastMCP wires a provider in three places: its ``get_middleware()`` runs on
every request, its ``get_routes()`` join the app, and FastMCP's own
``RequireAuthMiddleware`` guards the MCP endpoint by ``scope["user"]``.
Here the middleware is this package's gate on the MCP endpoint, so every
refusal (400/401/403/503, the challenges) is the core's and FastMCP's guard
only ever sees admitted callers; the one route serves this resource's RFC
9728 document as ``resource_metadata_router()`` does. This module imports
``fastmcp``: import it only when FastMCP is installed.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

from fastmcp.server.auth import (  # type: ignore[import-not-found, unused-ignore]
    AccessToken,
    AuthProvider,
    TokenVerificationError,
)
from mcp.server.auth.middleware.auth_context import auth_context_var
from mcp.server.auth.middleware.bearer_auth import AuthenticatedUser
from pydantic import AnyHttpUrl
from starlette.authentication import AuthCredentials, UnauthenticatedUser
from starlette.middleware import Middleware
from starlette.routing import Route

from mcp_auth_rs._gate import Gate
from mcp_auth_rs._metadata import MetadataDocument
from mcp_auth_rs._setup import Resource, url_target
from mcp_auth_rs.middleware.asgi import ASGIApp, BearerAuthMiddleware, Receive, Scope, Send
from mcp_auth_rs.sdk import MCPAuthVerificationUnavailableException, judge, to_access_token
from mcp_auth_rs.types import AuthInfo

__all__ = ["FastMCPAuthProvider", "new_provider"]


class FastMCPAuthProvider(AuthProvider):  # type: ignore[misc, unused-ignore]
    """``fastmcp.server.auth.AuthProvider`` whose checks and answers are the core's.

    ``required_scopes`` stays empty on the FastMCP side: the gate enforces the
    scopes given to ``MCPAuth.fastmcp_auth`` (with the core's 403 challenge).
    """

    def __init__(
        self,
        resource: Resource,
        gate: Gate,
        verifier_gate: Gate,
        context_var: ContextVar[AuthInfo | None],
    ) -> None:
        super().__init__(resource_base_url=resource.resource)
        self._resource = resource
        self._verifier_gate = verifier_gate
        self._context_var = context_var
        self._metadata_path, self._metadata_query = url_target(resource.metadata_url)
        attributes: dict[str, Any] = {"gate": gate, "context_var": context_var}
        self._bearer: type[BearerAuthMiddleware] = type(
            "BearerAuth", (BearerAuthMiddleware,), attributes
        )

    @property
    def resource(self) -> str:
        return self._resource.resource

    async def verify_token(self, token: str) -> AccessToken | None:
        """The core's verdict for code that calls the provider directly (the HTTP path
        does not: the gate decides there). An outage raises ``TokenVerificationError``."""
        try:
            info = await judge(self._verifier_gate, token)
        except MCPAuthVerificationUnavailableException as error:
            raise TokenVerificationError(error.message) from error
        return None if info is None else to_access_token(info, self.resource, AccessToken)

    @property
    def scopes_supported(self) -> list[str]:
        return list(self._resource.metadata.scopes_supported or [])

    def _get_resource_url(self, path: str | None = None) -> AnyHttpUrl | None:
        # The configured resource, wherever FastMCP mounts the endpoint.
        return AnyHttpUrl(self._resource.resource)

    def get_routes(self, mcp_path: str | None = None) -> list[Route]:
        self.set_mcp_path(mcp_path)
        document = MetadataDocument({self._metadata_query: self._resource.document})
        return [Route(self._metadata_path, endpoint=document)]

    def get_middleware(self) -> list[Middleware]:
        return [Middleware(_GateOnEndpoint, provider=self)]

    def guards(self, scope: Scope) -> bool:
        """Whether the request is for the MCP endpoint (other routes stay public)."""
        path: str = scope["path"]
        root: str = scope.get("root_path", "")
        if root and path.startswith(root):
            path = path[len(root) :] or "/"
        if path == self._metadata_path:
            return False
        endpoint = self._mcp_path
        if endpoint is None:
            return True
        base = endpoint.rstrip("/")
        return path == endpoint or path == base or path.startswith(base + "/")

    def admitted(self) -> AccessToken | None:
        info = self._context_var.get()
        return None if info is None else to_access_token(info, self.resource, AccessToken)


class _GateOnEndpoint:
    """The gate on the MCP endpoint; elsewhere an anonymous user, as Starlette's would."""

    def __init__(self, app: ASGIApp, provider: FastMCPAuthProvider) -> None:
        self._app = app
        self._provider = provider
        self._gated = provider._bearer(_Admit(app, provider))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self._provider.guards(scope):
            await self._gated(scope, receive, send)
            return
        if scope["type"] in ("http", "websocket"):
            scope["user"] = UnauthenticatedUser()
            scope["auth"] = AuthCredentials()
        await self._app(scope, receive, send)


class _Admit:
    """After the gate: the caller where FastMCP and the SDK look for it."""

    def __init__(self, app: ASGIApp, provider: FastMCPAuthProvider) -> None:
        self._app = app
        self._provider = provider

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        token = self._provider.admitted()
        if token is None:  # the gate admits only with an identity
            raise RuntimeError("the gate admitted a request without an identity")
        user = AuthenticatedUser(token)
        scope["user"] = user
        scope["auth"] = AuthCredentials(list(token.scopes))
        reset = auth_context_var.set(user)
        try:
            await self._app(scope, receive, send)
        finally:
            auth_context_var.reset(reset)


def new_provider(
    resource: Resource, gate: Gate, verifier_gate: Gate, context_var: ContextVar[AuthInfo | None]
) -> FastMCPAuthProvider:
    return FastMCPAuthProvider(resource, gate, verifier_gate, context_var)
