"""Serving RFC 9728 protected-resource metadata documents over ASGI.

The documents are built by the core at setup (``_setup.Resource.document``)
and the core decides each answer (``MetadataResponder``: GET and HEAD 200, a
CORS preflight 204, any other method 405, every header); this module routes
by path and sends it.
"""

from __future__ import annotations

from starlette.routing import Route, Router

from mcp_auth_rs._native import MetadataResponder
from mcp_auth_rs._setup import Resource, url_target
from mcp_auth_rs.middleware.asgi import Receive, Scope, Send

# The route matched the path, so every document of an app sits at this one.
_PATH = ""


class MetadataDocument:
    """An ASGI app serving the documents of one path, each at its exact query.

    Resources that differ only by query (``…/mcp`` and ``…/mcp?tenant=2``)
    share a path, hence one route: the query picks the document (C27).
    """

    def __init__(self, documents: dict[str, str]) -> None:
        self._documents = [doc.encode() for doc in documents.values()]
        self._responder = MetadataResponder([(_PATH, query) for query in documents])

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        query: bytes = scope.get("query_string", b"")
        requested = [
            v for n, v in scope["headers"] if n.lower() == b"access-control-request-headers"
        ]
        method: str = scope["method"]
        answer = self._responder.answer(
            method,
            _PATH,
            query.decode("latin-1") if query else None,
            requested[0].decode("latin-1") if requested else None,
        )
        # A route cannot pass the request on: another query is a 404 here.
        status, headers, endpoint, text = answer or MetadataResponder.not_found()
        if endpoint is None:
            await _send(send, status, headers, text.encode(), head=False)
        else:
            await _send(send, status, headers, self._documents[endpoint], head=method == "HEAD")


def metadata_router(resources: list[Resource]) -> Router:
    """One route per well-known path (from the host's root), in configuration order."""
    by_path: dict[str, dict[str, str]] = {}
    for resource in resources:
        path, query = url_target(resource.metadata_url)
        by_path.setdefault(path, {})[query] = resource.document
    return Router(routes=[Route(p, endpoint=MetadataDocument(d)) for p, d in by_path.items()])


async def _send(
    send: Send, status: int, headers: list[tuple[str, str]], body: bytes, *, head: bool
) -> None:
    raw = [(n.lower().encode("latin-1"), v.encode("latin-1")) for n, v in headers]
    if status != 204:
        # A HEAD answer announces the document's length but carries no body.
        raw.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": b"" if head else body})
