"""RFC 8705 certificate-bound access tokens: the resource's ``mtls`` option.

Where the client certificate is read: the TLS connection (the ASGI ``tls``
extension, when the server provides it) and/or a header a trusted proxy sets
after terminating TLS. The core checks the option, reads the header and
compares the token's ``cnf["x5t#S256"]`` with the certificate in constant
time; this module only names the option's shape (docs/mtls.md).
"""

from __future__ import annotations

from typing import Literal

from typing_extensions import TypedDict

__all__ = ["MtlsOptions", "ProxyHeader"]


class ProxyHeader(TypedDict):
    """A header a trusted proxy sets (and overwrites on every request)."""

    name: str
    #: ``'escaped-pem'``: URL-encoded PEM (nginx ``$ssl_client_escaped_cert``);
    #: ``'xfcc'``: Envoy's ``x-forwarded-client-cert`` (``Hash=``/``Cert=``).
    format: Literal["escaped-pem", "xfcc"]


class MtlsOptions(TypedDict, total=False):
    """At least one source. A proxy header only when every request comes
    through that proxy: anyone else could send it."""

    #: The TLS connection's client certificate (ASGI ``tls`` extension).
    connection: bool
    proxy_header: ProxyHeader


def native_options(options: MtlsOptions) -> dict[str, object]:
    """The core's spelling (camelCase); the core judges the values and keys."""
    if not isinstance(options, dict):
        return {"invalid": options}  # refused by the core, by name
    return {
        ("proxyHeader" if key == "proxy_header" else key): value for key, value in options.items()
    }
