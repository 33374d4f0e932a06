"""The Python examples of docs/ (per-tool-authorization.md, python-sdks.md,
coming-from-mcpauth.md), run as written (the complete programs are files
under examples/ that the pages include, ``npm run test:includes``; a
fragment is taken from its page): an
ASGI app under uvicorn on 127.0.0.1 (a thread of the test process) and
JSON-RPC calls to it. Standard library and uvicorn only, so the FastMCP 4
environment (httpx2, no httpx) runs it too."""

from __future__ import annotations

import json
import os
import re
import runpy
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import uvicorn
from authserver import AuthServer
from sdkserver import free_port
from starlette.types import ASGIApp

ALGS = "RS256 RS384 RS512 PS256 PS384 PS512 ES256 ES384 EdDSA"
DOC = Path(__file__).parents[2] / "docs" / "per-tool-authorization.md"
EXAMPLES = Path(__file__).parents[2] / "examples"
HEADERS = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}


@contextmanager
def serve_asgi(
    app: ASGIApp, lifespan: Literal["auto", "on", "off"] = "off", port: int | None = None
) -> Iterator[str]:
    """``app`` under uvicorn on 127.0.0.1 (``port``, default a free one; a
    thread of this process); yields its base URL."""
    port = port or free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", lifespan=lifespan
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


def example(name: str) -> str:
    """The fragment marked ``<!-- example: NAME -->`` in docs/per-tool-authorization.md."""
    found = re.search(rf"<!-- example: {name} -->\n```python\n(.*?)```", DOC.read_text(), re.S)
    assert found, name
    return found.group(1)


@contextmanager
def _environment(issuer: AuthServer, resource: str) -> Iterator[None]:
    """``ISSUER`` and ``RESOURCE`` set for the examples, restored after."""
    saved = {name: os.environ.get(name) for name in ("ISSUER", "RESOURCE")}
    os.environ.update(ISSUER=issuer.issuer, RESOURCE=resource)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def run_file(
    path: str, issuer: AuthServer, resource: str, then: list[str] | None = None
) -> dict[str, Any]:
    """Runs the program ``examples/{path}`` (a file a page includes) with
    ``ISSUER`` and ``RESOURCE`` set, then the blocks ``then`` of
    docs/per-tool-authorization.md in its namespace; returns the namespace."""
    with _environment(issuer, resource):
        namespace = runpy.run_path(str(EXAMPLES / path))
        for block in then or []:
            exec(compile(example(block), f"{DOC.name}:{block}", "exec"), namespace)
    return namespace


@dataclass(frozen=True)
class Answer:
    status_code: int
    #: Lower-cased names.
    headers: dict[str, str]
    content: bytes

    def json(self) -> Any:
        return json.loads(self.content)


def call(url: str, message: dict[str, Any], token: str | None = None) -> Answer:
    """POSTs one JSON-RPC message as the SDK clients do."""
    headers = dict(HEADERS)
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(message).encode()
    request = urllib.request.Request(url, data=data, method="POST", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            status, raw, body = response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        status, raw, body = error.code, error.headers, error.read()
    return Answer(status, {k.lower(): v for k, v in raw.items()}, body)


def tool(name: str, rpc_id: int = 1, **arguments: Any) -> dict[str, Any]:
    params = {"name": name, "arguments": arguments}
    return {"jsonrpc": "2.0", "id": rpc_id, "method": "tools/call", "params": params}


def challenge_at(resource: str, scope: str) -> str:
    """The bare 401 challenge of ``resource`` naming ``scope``."""
    prm = resource.replace("/mcp", "/.well-known/oauth-protected-resource/mcp")
    return (
        f'Bearer resource_metadata="{prm}", scope="{scope}", '
        f'DPoP algs="{ALGS}", resource_metadata="{prm}", scope="{scope}"'
    )


def check_sdk_example(path: str, issuer: AuthServer) -> None:
    """docs/python-sdks.md's server program ``examples/{path}`` (its ``app``),
    run as written under uvicorn: no token is 401, a token without ``read`` is
    403, and a good one reaches ``whoami``, which names the token's subject."""
    port = free_port()
    resource = f"http://127.0.0.1:{port}/mcp"
    namespace = run_file(path, issuer, resource)
    with serve_asgi(namespace["app"], lifespan="on", port=port) as served:
        url = f"{served}/mcp"
        assert call(url, tool("whoami")).status_code == 401
        narrow = issuer.token(resource, subject="alice", scope="write")
        assert call(url, tool("whoami"), narrow).status_code == 403
        good = issuer.token(resource, subject="alice", scope="read")
        answered = call(url, tool("whoami"), good)
        assert answered.status_code == 200, answered.content
        assert answered.json()["result"]["content"][0]["text"] == "alice"
