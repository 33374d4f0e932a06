"""docs/per-tool-authorization.md's Python examples, run as written on the
SDK 1.x's FastMCP under uvicorn, called over HTTP: the program the page
includes (examples/python-per-tool/mcp_server.py) and the page's
``python-tool-result`` block on top of it (the FastMCP 4 example runs in
test_sdk_fastmcp.py)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest
from authserver import AuthServer
from per_tool_docs_kit import DOC, call, challenge_at, run_file, serve_asgi, tool
from sdkserver import free_port, mcp_major

if mcp_major() != 1:
    pytest.skip("the example is on mcp 1.x (target/py-venv)", allow_module_level=True)

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Mount


@pytest.fixture()
def resource() -> str:
    return f"http://127.0.0.1:{free_port()}/mcp"


@pytest.fixture()
def served(issuer: AuthServer, resource: str) -> Iterator[str]:
    namespace = run_file("python-per-tool/mcp_server.py", issuer, resource)
    with serve_asgi(namespace["app"], lifespan="on") as url:
        yield url


def test_the_mcp_example(served: str, issuer: AuthServer, resource: str) -> None:
    url = f"{served}/mcp"
    initialize = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {
            "protocolVersion": "2025-06-18",
            "capabilities": {},
            "clientInfo": {"name": "raw", "version": "0"},
        },
    }
    assert call(url, initialize).status_code == 200
    listed = call(url, {"jsonrpc": "2.0", "id": 2, "method": "tools/list"})
    assert listed.status_code == 200
    metas = {t["name"]: t.get("_meta") for t in listed.json()["result"]["tools"]}
    assert metas == {
        "search": {"securitySchemes": [{"type": "noauth"}]},
        "delete-todo": {"securitySchemes": [{"type": "oauth2", "scopes": ["todos:delete"]}]},
    }
    found = call(url, tool("search", query="milk"))
    assert found.status_code == 200
    assert found.json()["result"]["content"][0]["text"] == "results for milk (anonymous)"
    refused = call(url, tool("delete-todo", id="1"))
    assert refused.status_code == 401
    assert refused.headers["www-authenticate"] == challenge_at(resource, "todos:delete")
    token = issuer.token(resource, subject="alice", scope="todos:delete")
    deleted = call(url, tool("delete-todo", id="1"), token)
    assert deleted.status_code == 200
    assert deleted.json()["result"]["content"][0]["text"] == "deleted 1"
    signed = call(url, tool("search", query="milk"), token)
    assert signed.json()["result"]["content"][0]["text"] == "results for milk (alice)"


def test_the_tool_result_example(issuer: AuthServer, resource: str) -> None:
    namespace = run_file(
        "python-per-tool/mcp_server.py", issuer, resource, then=["python-tool-result"]
    )
    mounted = Mount(
        "/",
        app=namespace["mcp"].streamable_http_app(),
        middleware=[Middleware(namespace["BearerAuth"])],
    )
    app = Starlette(routes=[mounted], lifespan=namespace["lifespan"])
    with serve_asgi(app, lifespan="on") as served:
        answered = call(f"{served}/mcp", tool("delete-todo", 7, id="1"))
    assert answered.status_code == 200
    # The document's JSON, with this server's URLs.
    text = DOC.read_text().split("<!-- example: python-tool-result -->", 1)[1]
    shown = re.search(r"```json\n(.*?)\n```", text, re.S)
    assert shown
    documented = json.loads(shown.group(1))
    header = challenge_at(resource, "todos:delete")
    documented["result"]["_meta"]["mcp/www_authenticate"] = [header]
    assert answered.json() == documented
