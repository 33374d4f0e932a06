"""docs/python-sdks.md's mcp 1.x program (examples/python-sdks/sdk_mcp1.py,
which the page includes), run as written on the SDK 1.x's
FastMCP under uvicorn and called over HTTP (the 2.x and FastMCP 4 blocks run
in test_sdk_mcp2.py and test_sdk_fastmcp.py)."""

from __future__ import annotations

import pytest
from authserver import AuthServer
from per_tool_docs_kit import check_sdk_example
from sdkserver import mcp_major

if mcp_major() != 1:
    pytest.skip("the example is on mcp 1.x (target/py-venv)", allow_module_level=True)


def test_the_mcp1_example(issuer: AuthServer) -> None:
    check_sdk_example("python-sdks/sdk_mcp1.py", issuer)
