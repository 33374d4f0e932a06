"""A loopback authorization server for the tests and the Python benchmarks.

One HTTP server on 127.0.0.1 (an ephemeral port; its base URL is the issuer):

- ``/.well-known/openid-configuration``: OIDC discovery, the exact ``issuer``;
- ``/.well-known/oauth-authorization-server[/path]``: RFC 8414 metadata for
  ``{issuer}[/path]`` (the path ``/mismatch`` names another issuer);
- ``/jwks`` and ``/jwks.json`` (any query): the key set of one RSA key;
- ``POST /introspect``: RFC 7662 verdicts from ``answer(token)``, counted;
- ``POST /token``: token exchange answers from ``token_answer(form)`` (a JSON
  document, or bytes sent as they are), counted, each form and
  ``Authorization`` header kept; ``token_delay`` makes it answer late;
- ``/invoices``: an upstream API answering ``{"bearer": <Authorization>}``;
- ``/hits``: requests per path as JSON, for a benchmark in another process.

Misbehaviour switches, set on a running ``AuthServer``: ``jwks_down`` (the key
set answers 503: an outage), ``jwks_delay`` (the key set answers late),
``delay`` (introspection answers late),
``answer`` (the verdict per token). ``introspection=True`` serves an opaque
token server's RFC 8414 document (an ``introspection_endpoint``, no
``jwks_uri`` and no PKCE).

Standard library and ``cryptography`` only: every test environment imports
it, and the benchmarks run it as a process of their own (``main``).
"""

from __future__ import annotations

import base64
import json
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

KID = "test-rsa-1"
#: The audience of ``AuthServer.active`` verdicts.
RESOURCE = "https://mcp.example.com/mcp"
OIDC_WELL_KNOWN = "/.well-known/openid-configuration"
OAUTH_WELL_KNOWN = "/.well-known/oauth-authorization-server"

#: An introspection verdict for a token: the RFC 7662 JSON body.
Answerer = Callable[[str], dict[str, Any]]
#: A token endpoint's answer to a form: (status, JSON document or raw bytes).
TokenAnswerer = Callable[[dict[str, list[str]]], tuple[int, object]]
ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token"


def issued_token(**extra: Any) -> dict[str, Any]:
    """A well-formed RFC 8693 answer; a member given as None is left out."""
    answer = {
        "access_token": "upstream.token",
        "token_type": "Bearer",
        "issued_token_type": ACCESS_TOKEN_TYPE,
        "expires_in": 600,
        **extra,
    }
    return {k: v for k, v in answer.items() if v is not None}


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _uint(n: int) -> str:
    return b64url(n.to_bytes((n.bit_length() + 7) // 8, "big"))


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def jwks_of(key: rsa.RSAPrivateKey, kid: str = KID) -> dict[str, Any]:
    """The public half of ``key`` as a one-key JWK Set."""
    numbers = key.public_key().public_numbers()
    jwk = {"kty": "RSA", "kid": kid, "use": "sig", "alg": "RS256"}
    return {"keys": [{**jwk, "n": _uint(numbers.n), "e": _uint(numbers.e)}]}


def sign_rs256(
    key: rsa.RSAPrivateKey, claims: dict[str, Any], *, kid: str = KID, typ: str = "at+jwt"
) -> str:
    header = {"alg": "RS256", "kid": kid, "typ": typ}
    signing_input = f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(claims).encode())}"
    signature = key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
    return f"{signing_input}.{b64url(signature)}"


class AuthServer:
    """The running server's issuer URL, its switches and records, and a signer.

    The RSA key is made on first use (an introspection-only server needs
    none); ``jwks`` overrides the key set served (a benchmark's own key)."""

    def __init__(
        self,
        *,
        key: rsa.RSAPrivateKey | None = None,
        kid: str = KID,
        jwks: dict[str, Any] | None = None,
        introspection: bool = False,
    ) -> None:
        self.issuer = ""
        self.kid = kid
        self.introspection = introspection
        self._key = key
        self._jwks = jwks
        self._lock = threading.Lock()
        #: Every request's path (with its query), in order.
        self.requests: list[str] = []
        #: Requests per path (without the query).
        self.hits: Counter[str] = Counter()
        #: When set, the key set answers 503: an outage.
        self.jwks_down = False
        #: Seconds the key set waits before it answers.
        self.jwks_delay = 0.0
        #: Seconds the introspection endpoint waits before it answers.
        self.delay = 0.0
        self.answer: Answerer = self.default_answer
        #: Introspection calls, and the tokens asked about in order.
        self.calls = 0
        self.tokens: list[str] = []
        #: Each introspection call's form, client authentication included.
        self.forms: list[dict[str, list[str]]] = []
        #: The token endpoint: its answer, delay, calls, forms and Authorization headers.
        self.token_answer: TokenAnswerer = lambda _form: (200, issued_token())
        self.token_delay = 0.0
        self.token_calls = 0
        self.token_forms: list[dict[str, list[str]]] = []
        self.token_authorizations: list[str | None] = []

    @property
    def key(self) -> rsa.RSAPrivateKey:
        with self._lock:
            if self._key is None:
                self._key = new_key()
            return self._key

    def jwks(self) -> dict[str, Any]:
        return self._jwks if self._jwks is not None else jwks_of(self.key, self.kid)

    def sign(self, claims: dict[str, Any], *, typ: str = "at+jwt") -> str:
        return sign_rs256(self.key, claims, kid=self.kid, typ=typ)

    def token(
        self,
        audience: str,
        *,
        subject: str = "user-1",
        scope: str = "",
        ttl: int = 3600,
        **extra: Any,
    ) -> str:
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "sub": subject,
            "aud": audience,
            "iat": now,
            "exp": now + ttl,
            "client_id": "test-client",
            "scope": scope,
            "jti": f"{subject}-{time.monotonic_ns()}",
        }
        claims.update(extra)
        return self.sign(claims)

    # --- introspection ------------------------------------------------------

    def active(self, **extra: Any) -> dict[str, Any]:
        """An RFC 7662 verdict for an active token at RESOURCE."""
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

    # --- documents ----------------------------------------------------------

    def oidc_metadata(self) -> dict[str, Any]:
        issuer = self.issuer
        return {
            "issuer": issuer,
            "authorization_endpoint": f"{issuer}/authorize",
            "token_endpoint": f"{issuer}/token",
            "jwks_uri": f"{issuer}/jwks",
            "registration_endpoint": f"{issuer}/register",
            "response_types_supported": ["code"],
            "grant_types_supported": ["authorization_code"],
            "code_challenge_methods_supported": ["S256"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
        }

    def oauth_metadata(self, path: str) -> dict[str, Any]:
        """RFC 8414 metadata for ``{issuer}{path}``; ``/mismatch`` names another issuer."""
        issuer = self.issuer + ("/other" if path == "/mismatch" else path)
        document: dict[str, Any] = {
            "issuer": issuer,
            "authorization_endpoint": f"{issuer}/authorize",
            "token_endpoint": f"{issuer}/token",
            "response_types_supported": ["code"],
        }
        if self.introspection:
            document["introspection_endpoint"] = f"{self.issuer}/introspect"
        else:
            document["jwks_uri"] = f"{self.issuer}/jwks.json"
            document["code_challenge_methods_supported"] = ["S256"]
        return document

    # --- serving ------------------------------------------------------------

    def record(self, raw_path: str, path: str) -> dict[str, int]:
        with self._lock:
            self.requests.append(raw_path)
            self.hits[path] += 1
            return dict(self.hits)

    def get(
        self, path: str, hits: dict[str, int], authorization: str | None = None
    ) -> tuple[int, object]:
        """(status, JSON document or None for an empty body) for a GET of ``path``."""
        if path == "/invoices":
            return 200, {"bearer": authorization}
        if path == OIDC_WELL_KNOWN:
            return 200, self.oidc_metadata()
        if path.startswith(OAUTH_WELL_KNOWN):
            return 200, self.oauth_metadata(path[len(OAUTH_WELL_KNOWN) :])
        if path in ("/jwks", "/jwks.json"):
            if self.jwks_delay:
                time.sleep(self.jwks_delay)
            return (503, None) if self.jwks_down else (200, self.jwks())
        if path == "/hits":
            return 200, hits
        return 404, None

    def exchange(self, form: dict[str, list[str]], authorization: str | None) -> tuple[int, object]:
        with self._lock:
            self.token_calls += 1
            self.token_forms.append(form)
            self.token_authorizations.append(authorization)
        if self.token_delay:
            time.sleep(self.token_delay)
        return self.token_answer(form)

    def introspect(self, path: str, form: dict[str, list[str]]) -> tuple[int, object]:
        if path != "/introspect":
            return 404, None
        token = form.get("token", [""])[0]
        with self._lock:
            self.calls += 1
            self.tokens.append(token)
            self.forms.append(form)
        if self.delay:
            time.sleep(self.delay)
        return 200, self.answer(token)


def _handler(server: AuthServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        # Keep-alive, so a benchmark's clients are not measuring reconnects.
        protocol_version = "HTTP/1.1"

        def reply(self, status: int, document: object) -> None:
            if isinstance(document, bytes):
                body = document
            else:
                body = b"" if document is None else json.dumps(document).encode()
            self.send_response(status)
            if document is not None:
                self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            path = self.path.partition("?")[0]
            hits = server.record(self.path, path)
            self.reply(*server.get(path, hits, self.headers.get("Authorization")))

        def do_POST(self) -> None:
            # The body is read first: the connection is kept alive.
            length = int(self.headers.get("Content-Length", "0"))
            form = parse_qs(self.rfile.read(length).decode())
            path = self.path.partition("?")[0]
            server.record(self.path, path)
            if path == "/token":
                self.reply(*server.exchange(form, self.headers.get("Authorization")))
            else:
                self.reply(*server.introspect(path, form))

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@contextmanager
def auth_server(
    *,
    key: rsa.RSAPrivateKey | None = None,
    kid: str = KID,
    jwks: dict[str, Any] | None = None,
    introspection: bool = False,
) -> Iterator[AuthServer]:
    """Runs a server on 127.0.0.1 for the ``with`` block (see the module's text)."""
    server = AuthServer(key=key, kid=kid, jwks=jwks, introspection=introspection)
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(server))
    server.issuer = f"http://127.0.0.1:{httpd.server_port}"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        httpd.shutdown()
        httpd.server_close()


def introspection_server() -> AbstractContextManager[AuthServer]:
    """A server for opaque tokens: its metadata names the introspection endpoint."""
    return auth_server(introspection=True)


def main() -> None:
    """A process of its own, so serving a peer's JWKS fetches does not take a
    benchmark's GIL: reads ``{"jwks": {...}}`` (one line) from stdin, prints
    the port, serves until stdin closes (the benchmark ended or died)."""
    jwks = json.loads(sys.stdin.readline())["jwks"]
    with auth_server(jwks=jwks) as server:
        print(server.issuer.rsplit(":", 1)[1], flush=True)
        sys.stdin.read()


if __name__ == "__main__":
    main()
