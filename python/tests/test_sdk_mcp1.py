"""``MCPAuth.token_verifier`` in the official SDK 1.x's FastMCP, over HTTP with its client."""

from __future__ import annotations

import pytest
from sdkserver import OfficialSdkCases, mcp_major

if mcp_major() != 1:
    pytest.skip("mcp 1.x: runs in target/py-venv (scripts/python-test.sh)", allow_module_level=True)

SDK_APP = "mcp1_app"


class TestSdk1(OfficialSdkCases):
    """The shared cases (sdkserver.py) on the 1.x app."""
