"""Real parts for the fleet tests: a loopback RFC 7662 introspection
endpoint that counts its calls, a throwaway ``redis-server`` on a free
127.0.0.1 port with a minimal RESP client, and ES256 DPoP proofs."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

RESOURCE = "https://mcp.example.com/mcp"


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


# An answer for a token: the RFC 7662 JSON body.
Answerer = Callable[[str], dict[str, Any]]


class IntrospectionServer:
    """Metadata at the RFC 8414 well-known path and a POST /introspect that
    answers ``answer(token)`` and counts calls (per token too)."""

    def __init__(self) -> None:
        self.calls = 0
        self.tokens: list[str] = []
        #: Each call's form, client authentication included.
        self.forms: list[dict[str, list[str]]] = []
        self._lock = threading.Lock()
        self.answer: Answerer = self.default_answer
        self.delay = 0.0
        self.issuer = ""

    def active(self, **extra: Any) -> dict[str, Any]:
        return {
            "active": True,
            "iss": self.issuer,
            "aud": RESOURCE,
            "exp": int(time.time()) + 600,
            "scope": "mcp:read",
            "sub": "alice",
            "client_id": "app",
            **extra,
        }

    def default_answer(self, token: str) -> dict[str, Any]:
        if token.startswith("good"):
            return self.active(sub=f"user-of-{token}")
        return {"active": False}

    def record(self, token: str) -> None:
        with self._lock:
            self.calls += 1
            self.tokens.append(token)


@contextmanager
def introspection_server() -> Iterator[IntrospectionServer]:
    state = IntrospectionServer()

    class Handler(BaseHTTPRequestHandler):
        def reply(self, status: int, document: object) -> None:
            body = json.dumps(document).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            if self.path != "/.well-known/oauth-authorization-server":
                return self.reply(404, {})
            self.reply(
                200,
                {
                    "issuer": state.issuer,
                    "authorization_endpoint": f"{state.issuer}/authorize",
                    "token_endpoint": f"{state.issuer}/token",
                    "introspection_endpoint": f"{state.issuer}/introspect",
                    "response_types_supported": ["code"],
                },
            )

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            form = parse_qs(self.rfile.read(length).decode())
            if self.path != "/introspect":
                return self.reply(404, {})
            token = form.get("token", [""])[0]
            state.forms.append(form)
            state.record(token)
            if state.delay:
                time.sleep(state.delay)
            self.reply(200, state.answer(token))

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.issuer = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


def introspector_options(issuer: str, **overrides: Any) -> str:
    """The core's introspector options for ``issuer`` at RESOURCE."""
    base: dict[str, Any] = {
        "issuer": issuer,
        "issuerType": "oauth",
        "audiences": [RESOURCE],
        "clientId": "rs",
        "clientSecret": "s3cret",
    }
    return json.dumps({**base, **overrides})


# --- Redis -------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _encode(args: tuple[str, ...]) -> bytes:
    out = [f"*{len(args)}\r\n".encode()]
    for arg in args:
        raw = arg.encode()
        out.append(b"$%d\r\n%s\r\n" % (len(raw), raw))
    return b"".join(out)


def _read(stream: Any) -> Any:
    line = stream.readline().rstrip(b"\r\n")
    kind, rest = line[:1], line[1:]
    if kind == b"+":
        return rest.decode()
    if kind == b"-":
        raise RuntimeError(rest.decode())
    if kind == b":":
        return int(rest)
    if kind == b"$":
        size = int(rest)
        if size < 0:
            return None
        data = stream.read(size + 2)[:-2]
        return data.decode()
    if kind == b"*":
        count = int(rest)
        return None if count < 0 else [_read(stream) for _ in range(count)]
    raise RuntimeError(f"unexpected RESP reply {line!r}")


class Redis:
    """A ``redis-server`` of this test run and one-shot commands to it."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.url = f"redis://127.0.0.1:{port}"

    def command(self, *args: str) -> Any:
        with socket.create_connection(("127.0.0.1", self.port), timeout=5) as conn:
            conn.sendall(_encode(args))
            with conn.makefile("rb") as stream:
                return _read(stream)


@contextmanager
def redis_server() -> Iterator[Redis]:
    binary = shutil.which("redis-server") or "/usr/bin/redis-server"
    if not os.path.exists(binary):
        raise RuntimeError(
            "redis-server is needed for the fleet tests (apt-get install redis-server)"
        )
    port = _free_port()
    workdir = tempfile.mkdtemp(prefix="py-fleet-redis-")
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        cwd=workdir,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    redis = Redis(port)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                if redis.command("PING") == "PONG":
                    break
            except OSError:
                pass
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError("redis-server did not start")
            time.sleep(0.05)
        yield redis
    finally:
        process.terminate()
        process.wait(timeout=10)
        shutil.rmtree(workdir, ignore_errors=True)


# --- DPoP ----------------------------------------------------------------------


class ProofKey:
    """An ES256 key that signs DPoP proofs (RFC 9449 §4.2)."""

    def __init__(self) -> None:
        self.key = ec.generate_private_key(ec.SECP256R1())
        numbers = self.key.public_key().public_numbers()
        self.jwk = {
            "crv": "P-256",
            "kty": "EC",
            "x": b64url(numbers.x.to_bytes(32, "big")),
            "y": b64url(numbers.y.to_bytes(32, "big")),
        }

    @property
    def jkt(self) -> str:
        """The RFC 7638 thumbprint (members in lexicographic order)."""
        canonical = json.dumps(self.jwk, separators=(",", ":"), sort_keys=True)
        return b64url(hashlib.sha256(canonical.encode()).digest())

    def proof(self, method: str, htu: str, token: str, **extra: Any) -> str:
        header = {"typ": "dpop+jwt", "alg": "ES256", "jwk": self.jwk}
        claims = {
            "jti": str(uuid.uuid4()),
            "htm": method,
            "htu": htu,
            "iat": int(time.time()),
            "ath": b64url(hashlib.sha256(token.encode()).digest()),
            **extra,
        }
        signing_input = (
            f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(claims).encode())}"
        )
        der = self.key.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256()))
        r, s = decode_dss_signature(der)
        return f"{signing_input}.{b64url(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"
