import os
from contextvars import ContextVar

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from mcp_auth_rs.middleware.create_bearer_auth import (
    BearerAuthConfig,
    VerifyAccessTokenFunction,
    create_bearer_auth,
)
from mcp_auth_rs.types import AuthInfo
from mcp_auth_rs.utils import create_verify_jwt

ISSUER = os.environ["ISSUER"]  # e.g. https://auth.example.com
RESOURCE = os.environ["RESOURCE"]  # e.g. https://mcp.example.com/mcp
auth_context: ContextVar[AuthInfo | None] = ContextVar("auth_context", default=None)

verify_jwt: VerifyAccessTokenFunction = create_verify_jwt(f"{ISSUER}/jwks", leeway=30)
bearer_auth = create_bearer_auth(
    verify_jwt,
    BearerAuthConfig(issuer=ISSUER, audience=RESOURCE, required_scopes=["read"], resource=RESOURCE),
    auth_context,
)


async def whoami(request: Request) -> JSONResponse:
    auth_info = auth_context.get()
    assert auth_info is not None  # the middleware let the request in
    return JSONResponse({"subject": auth_info.subject, "scopes": auth_info.scopes})


app = Starlette(routes=[Route("/whoami", whoami, middleware=[Middleware(bearer_auth)])])
