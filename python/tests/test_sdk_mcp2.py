"""``MCPAuth.token_verifier`` in the official SDK 2.x's MCPServer, over HTTP with its client."""

from __future__ import annotations

import pytest
from sdkserver import OfficialSdkCases, mcp_major

if mcp_major() != 2:
    pytest.skip(
        "mcp 2.x: runs in target/py-venv-mcp2 (scripts/python-test.sh)", allow_module_level=True
    )

SDK_APP = "mcp2_app"


class TestSdk2(OfficialSdkCases):
    """The shared cases (sdkserver.py) on the 2.x app; 2.x binds sessions to
    (client_id, claims["iss"], subject), which the caller case checks."""
