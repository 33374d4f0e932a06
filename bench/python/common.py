"""Shared by the Python benchmarks: keys and tokens, the loopback provider, statistics."""

from __future__ import annotations

import base64
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

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

HERE = os.path.dirname(os.path.abspath(__file__))
KID = "bench-rs256"


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _uint(n: int) -> str:
    return b64url(n.to_bytes((n.bit_length() + 7) // 8, "big"))


@dataclass
class Signer:
    """One RSA 2048 key: its JWKS and RS256 access tokens (RFC 9068 claims)."""

    key: rsa.RSAPrivateKey = field(
        default_factory=lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048)
    )

    def jwks(self) -> dict[str, Any]:
        numbers = self.key.public_key().public_numbers()
        jwk = {"kty": "RSA", "kid": KID, "use": "sig", "alg": "RS256"}
        return {"keys": [{**jwk, "n": _uint(numbers.n), "e": _uint(numbers.e)}]}

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
        header = {"alg": "RS256", "typ": "at+jwt", "kid": KID}
        signing_input = (
            f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(claims).encode())}"
        )
        signature = self.key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
        return f"{signing_input}.{b64url(signature)}"


class AuthServer:
    """``authserver.py`` in a child process; ``hits()`` counts requests per path."""

    def __init__(self, jwks: dict[str, Any]) -> None:
        self._process = subprocess.Popen(
            [sys.executable, os.path.join(HERE, "authserver.py")],
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
