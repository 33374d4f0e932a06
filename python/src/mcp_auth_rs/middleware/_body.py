"""Reading the JSON-RPC request for per-tool authorization (``operations``).

A pure ASGI middleware is the first to read the body: nothing upstream has
parsed it, and Starlette caches a body only on its own ``Request`` object.
So the body is read here, bounded by ``max_body_bytes``, and handed to the
app again through a ``receive`` that replays it (the SDKs then read it as
usual). Which body state the core gets is decided here; what to answer for
each is the core's (its texts and statuses).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from mcp_auth_rs._gate import RequestBody

Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]

_NO_BODY = RequestBody("none")


async def read_body(
    method: str, raw_headers: Any, receive: Receive, limit: int
) -> tuple[RequestBody, Receive] | None:
    """The body state for the core and the ``receive`` the app must use;
    ``None`` when the client went away while sending (nothing to answer)."""
    if method != "POST":
        # GET, DELETE, HEAD…: the core applies ``initialize``'s rule; nothing is read.
        return _NO_BODY, receive
    content_type, declared = _content_headers(raw_headers)
    if not _is_json(content_type):
        return RequestBody("not-json"), receive
    if declared is not None and declared > limit:
        # Refused before reading a byte.
        return RequestBody("too-large"), receive
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        if message["type"] != "http.request":
            continue
        chunk: bytes = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            # Stop reading: the answer is the 413, the rest is never buffered.
            return RequestBody("too-large"), receive
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    body = b"".join(chunks)
    return RequestBody("json", body), replay(body, receive)


def replay(body: bytes, receive: Receive) -> Receive:
    """``receive`` for the app: the body read, in one message, then the real
    ``receive`` (so the app still hears ``http.disconnect``)."""
    pending = True

    async def replayed() -> Message:
        nonlocal pending
        if pending:
            pending = False
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replayed


def _content_headers(raw: Any) -> tuple[bytes | None, int | None]:
    """The first ``Content-Type`` and the ``Content-Length`` as a number (``None``
    when absent or not a plain decimal: then only the bytes read count)."""
    content_type: bytes | None = None
    length: int | None = None
    for name, value in raw:
        lower = name.lower()
        if lower == b"content-type" and content_type is None:
            content_type = value
        elif lower == b"content-length" and value.strip().isdigit():
            length = int(value)
    return content_type, length


def _is_json(content_type: bytes | None) -> bool:
    """``application/json`` with any parameters, in any case (not ``+json``)."""
    if content_type is None:
        return False
    media_type = content_type.split(b";", 1)[0].strip().lower()
    return media_type == b"application/json"
