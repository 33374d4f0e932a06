"""README.md's Python quick start (examples/quick-start/python_sdk.py, which
the README includes), run as written on the SDK 1.x's FastMCP under uvicorn
with ISSUER (the test authorization server) and RESOURCE set, and called over
HTTP."""

from __future__ import annotations

import json
import urllib.request

import pytest
from authserver import AuthServer
from per_tool_docs_kit import call, run_file, serve_asgi, tool
from sdkserver import free_port, mcp_major

if mcp_major() != 1:
    pytest.skip("the quick start is on mcp 1.x (target/py-venv)", allow_module_level=True)


def test_the_python_quick_start(issuer: AuthServer) -> None:
    port = free_port()
    resource = f"http://127.0.0.1:{port}/mcp"
    namespace = run_file("quick-start/python_sdk.py", issuer, resource)
    assert "mcp" in namespace
    with serve_asgi(namespace["app"], lifespan="on", port=port) as served:
        url = f"{served}/mcp"
        refused = call(url, tool("whoami"))
        assert refused.status_code == 401
        metadata_url = f"{served}/.well-known/oauth-protected-resource/mcp"
        assert f'resource_metadata="{metadata_url}"' in refused.headers["www-authenticate"]
        with urllib.request.urlopen(metadata_url, timeout=10) as response:
            metadata = json.load(response)
        assert metadata["resource"] == resource
        assert metadata["authorization_servers"] == [f"{issuer.issuer}/"]
        token = issuer.token(resource, subject="alice")
        answered = call(url, tool("whoami"), token)
        assert answered.status_code == 200, answered.content
        assert answered.json()["result"]["content"][0]["text"] == "alice"
        other = call(url, tool("whoami"), issuer.token("https://elsewhere.example/mcp"))
        assert other.status_code == 401
