"""A loopback OpenID Provider for the Python benchmarks, run as its own process.

Reads one line of JSON from stdin, ``{"jwks": {...}}``, listens on 127.0.0.1
(ephemeral port), prints the port, and serves the discovery document, the key
set at ``/jwks`` and ``/hits`` (requests per path, as JSON, so a benchmark can
count JWKS fetches). Exits when its stdin closes, i.e. when the benchmark ends
or dies. A process of its own, so serving mcpauth's per-request JWKS fetches
does not take the benchmark's GIL.
"""

from __future__ import annotations

import json
import sys
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def main() -> None:
    jwks = json.dumps(json.loads(sys.stdin.readline())["jwks"]).encode()
    hits: Counter[str] = Counter()
    lock = threading.Lock()
    issuer = ""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            with lock:
                hits[path] += 1
                counts = dict(hits)
            if path == "/.well-known/openid-configuration":
                body = json.dumps(
                    {
                        "issuer": issuer,
                        "authorization_endpoint": f"{issuer}/authorize",
                        "token_endpoint": f"{issuer}/token",
                        "jwks_uri": f"{issuer}/jwks",
                        "response_types_supported": ["code"],
                        "grant_types_supported": ["authorization_code"],
                        "code_challenge_methods_supported": ["S256"],
                        "subject_types_supported": ["public"],
                        "id_token_signing_alg_values_supported": ["RS256"],
                    }
                ).encode()
            elif path == "/jwks":
                body = jwks
            elif path == "/hits":
                body = json.dumps(counts).encode()
            else:
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    issuer = f"http://127.0.0.1:{httpd.server_address[1]}"
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    print(httpd.server_address[1], flush=True)
    sys.stdin.read()  # until EOF: the parent is gone
    httpd.shutdown()


if __name__ == "__main__":
    main()
