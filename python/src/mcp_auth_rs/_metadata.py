"""Serving RFC 9728 protected-resource metadata documents over ASGI.

The documents are built by the core at setup (``_setup.Resource.document``);
this module only answers: GET and HEAD 200, a CORS preflight 204, any other
method 405, with the same headers as the Node package's routers.
"""

from __future__ import annotations

from starlette.routing import Route, Router

from mcp_auth_rs._setup import Resource
from mcp_auth_rs.middleware.asgi import Receive, Scope, Send

_ALLOWED = "GET, HEAD, OPTIONS"
_JSON = "application/json; charset=utf-8"


class MetadataDocument:
    """An ASGI app serving one document (mount it at the document's path)."""

    def __init__(self, document: str, query: str) -> None:
        self._body = document.encode()
        self._query = query.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope.get("query_string", b"") != self._query:
            await _send(send, 404, [("Content-Type", _JSON)], b'{"error":"not_found"}')
            return
        method = scope["method"]
        cors = [("Access-Control-Allow-Origin", "*")]
        if method in ("GET", "HEAD"):
            body = b"" if method == "HEAD" else self._body
            length = str(len(self._body))
            await _send(
                send, 200, [*cors, ("Content-Type", _JSON), ("Content-Length", length)], body
            )
        elif method == "OPTIONS":
            headers = [*cors, ("Access-Control-Allow-Methods", _ALLOWED)]
            requested = [
                v for n, v in scope["headers"] if n.lower() == b"access-control-request-headers"
            ]
            if requested:
                # Public documents without credentials: any header may be sent.
                headers.append(("Access-Control-Allow-Headers", requested[0].decode("latin-1")))
                headers.append(("Vary", "Access-Control-Request-Headers"))
            headers.append(("Access-Control-Max-Age", "86400"))
            await _send(send, 204, headers, b"")
        else:
            body = b'{"error":"method_not_allowed"}'
            await _send(send, 405, [*cors, ("Allow", _ALLOWED), ("Content-Type", _JSON)], body)


def metadata_router(resources: list[Resource]) -> Router:
    """One route per resource, at its well-known path (from the host's root)."""
    routes = []
    for resource in resources:
        path, _, query = split_target(resource.metadata_url)
        routes.append(Route(path, endpoint=MetadataDocument(resource.document, query)))
    return Router(routes=routes)


def split_target(url: str) -> tuple[str, str, str]:
    """(path, "?" or "", query) of an absolute URL."""
    rest = url.split("://", 1)[-1]
    slash = rest.find("/")
    target = rest[slash:] if slash >= 0 else "/"
    return target.partition("?")


async def _send(send: Send, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
    raw = [(n.lower().encode("latin-1"), v.encode("latin-1")) for n, v in headers]
    if status != 204 and not any(n == b"content-length" for n, _ in raw):
        raw.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})
