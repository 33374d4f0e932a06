"""Shared by the Python benchmarks: keys and tokens, the loopback provider, statistics.

The provider is the tests' (python/tests/authserver.py), run as a process of its own."""

from __future__ import annotations

import json
import os
import platform
import shlex
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from importlib.metadata import version
from typing import Any

from cryptography.hazmat.primitives.asymmetric import rsa

# The tests' loopback provider and RS256 signing (python/tests/authserver.py).
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "python", "tests"))
from authserver import jwks_of, new_key, sign_rs256

HERE = os.path.dirname(os.path.abspath(__file__))
TESTS = os.path.join(os.path.dirname(os.path.dirname(HERE)), "python", "tests")
KID = "bench-rs256"


@dataclass
class Signer:
    """One RSA 2048 key: its JWKS and RS256 access tokens (RFC 9068 claims)."""

    key: rsa.RSAPrivateKey = field(default_factory=new_key)

    def jwks(self) -> dict[str, Any]:
        return jwks_of(self.key, KID)

    def token(self, issuer: str, audience: str, jti: str, ttl: int = 3600) -> str:
        now = int(time.time())
        claims = {
            "iss": issuer,
            "sub": "user-1",
            "aud": audience,
            "iat": now,
            "exp": now + ttl,
            "client_id": "client-1",
            "scope": "mcp:read",
            "jti": jti,
        }
        return sign_rs256(self.key, claims, kid=KID)


class AuthServer:
    """The tests' ``authserver.py`` in a child process; ``hits()`` counts requests per path."""

    def __init__(self, jwks: dict[str, Any]) -> None:
        self._process = subprocess.Popen(
            [sys.executable, os.path.join(TESTS, "authserver.py")],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self._process.stdin is not None and self._process.stdout is not None
        self._process.stdin.write(json.dumps({"jwks": jwks}) + "\n")
        self._process.stdin.flush()
        port = int(self._process.stdout.readline())
        self.issuer = f"http://127.0.0.1:{port}"
        self.jwks_uri = f"{self.issuer}/jwks"

    def hits(self, path: str = "/jwks") -> int:
        with urllib.request.urlopen(f"{self.issuer}/hits", timeout=10) as response:
            counts: dict[str, int] = json.loads(response.read())
        return counts.get(path, 0)

    def close(self) -> None:
        if self._process.stdin is not None:
            self._process.stdin.close()
        try:
            self._process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()


def median(xs: list[float]) -> float:
    s = sorted(xs)
    mid = len(s) // 2
    return s[mid] if len(s) % 2 else (s[mid - 1] + s[mid]) / 2


def fixed(x: float, digits: int = 1) -> str:
    return f"{x:.{digits}f}" if x == x and abs(x) != float("inf") else "n/a"


def command_line() -> str:
    """``python bench/python/x.py --flag v …`` as typed, for the table header."""
    script = os.path.relpath(os.path.abspath(sys.argv[0]), os.path.dirname(os.path.dirname(HERE)))
    return shlex.join(["python", script, *sys.argv[1:]])


def environment() -> str:
    """Interpreter, peers' versions and the CPU, for the table header."""
    packages = ", ".join(
        f"{name} {version(name)}"
        for name in ("mcp-auth-rs", "mcpauth", "PyJWT", "fastmcp", "cryptography")
    )
    cpus = os.cpu_count() or 0
    model = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as info:
            for line in info:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"CPython {platform.python_version()}, {packages}; {cpus} × {model}"


def today() -> str:
    return time.strftime("%Y-%m-%d", time.gmtime())
