# A Starlette app written against mcpauth 0.2.0b1's low-level API
# (`mcpauth.middleware.create_bearer_auth`, `mcpauth.utils.create_verify_jwt`),
# with `mcpauth` replaced by `mcp_auth_rs` in the imports and nothing else.
# `build` takes the test's authorization server instead of constants.

from contextvars import ContextVar
from typing import List, Optional

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from mcp_auth_rs.exceptions import (
    BearerAuthExceptionCode,
    MCPAuthBearerAuthException,
    MCPAuthBearerAuthExceptionDetails,
)
from mcp_auth_rs.middleware.create_bearer_auth import (
    BearerAuthConfig,
    VerifyAccessTokenFunction,
    create_bearer_auth,
)
from mcp_auth_rs.types import AuthInfo
from mcp_auth_rs.utils import create_verify_jwt

auth_context: ContextVar[Optional[AuthInfo]] = ContextVar("auth_context", default=None)


def build(issuer: str, jwks_uri: str, resource: str, scopes: List[str]) -> Starlette:
    verify_jwt: VerifyAccessTokenFunction = create_verify_jwt(jwks_uri, leeway=30)

    def check_issuer(actual: str) -> None:
        if actual != issuer:
            raise MCPAuthBearerAuthException(
                BearerAuthExceptionCode.INVALID_ISSUER,
                cause=MCPAuthBearerAuthExceptionDetails(expected=issuer, actual=actual),
            )

    strict = create_bearer_auth(
        verify_jwt,
        BearerAuthConfig(
            issuer=issuer, audience=resource, required_scopes=scopes, resource=resource
        ),
        auth_context,
    )
    by_function = create_bearer_auth(
        verify_access_token=verify_jwt,
        config=BearerAuthConfig(issuer=check_issuer, audience=resource),
        context_var=auth_context,
    )

    async def whoami(request: Request) -> JSONResponse:
        auth_info = auth_context.get()
        assert auth_info is not None
        return JSONResponse(
            {"subject": auth_info.subject, "issuer": auth_info.issuer, "scopes": auth_info.scopes}
        )

    return Starlette(
        routes=[
            Route("/strict", whoami, middleware=[Middleware(strict)]),
            Route("/by-function", whoami, middleware=[Middleware(by_function)]),
        ]
    )
