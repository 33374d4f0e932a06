"""docs/coming-from-mcpauth.md's low-level program (mcpauth's
``create_bearer_auth`` and ``create_verify_jwt``; the file the page includes,
examples/python-coming-from-mcpauth/low_level.py), run as written against a
local authorization server and called in process."""

from __future__ import annotations

from authserver import AuthServer
from modeskit import call
from per_tool_docs_kit import run_file

RESOURCE = "https://mcp.example.com/mcp"


def test_the_low_level_example(issuer: AuthServer) -> None:
    app = run_file("python-coming-from-mcpauth/low_level.py", issuer, RESOURCE)["app"]
    assert call(app, "/whoami").status_code == 401
    narrow = issuer.token(RESOURCE, subject="alice", scope="write")
    refused = call(app, "/whoami", authorization=f"Bearer {narrow}")
    assert refused.status_code == 403
    assert 'error="insufficient_scope"' in refused.headers["www-authenticate"]
    good = issuer.token(RESOURCE, subject="alice", scope="read")
    admitted = call(app, "/whoami", authorization=f"Bearer {good}")
    assert admitted.status_code == 200
    assert admitted.json() == {"subject": "alice", "scopes": ["read"]}
