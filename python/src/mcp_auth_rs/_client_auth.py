"""The options of this server as a client of its authorization server,
which ``introspection`` and ``token_exchange`` both take, and the checks the
core cannot make on them (it judges every value itself): a secret must reach
it as a string, a key as PEM text or a JWK.
"""

from __future__ import annotations

from typing import Any, Literal

from typing_extensions import TypedDict

from mcp_auth_rs._convert import invalid_config


class ClientAuthOptions(TypedDict, total=False):
    """How this server authenticates at the endpoint (the core checks every value)."""

    #: This server's client at the authorization server (required).
    client_id: str
    #: For ``client_secret_basic`` / ``client_secret_post``; never shown.
    client_secret: str
    #: ``client_secret_basic`` (default), ``client_secret_post`` or ``private_key_jwt``.
    client_auth_method: Literal["client_secret_basic", "client_secret_post", "private_key_jwt"]
    #: ``private_key_jwt``: the private key as PEM (PKCS#8, PKCS#1 or SEC1; str
    #: or bytes) or a private JWK (a dict); never shown.
    private_key: str | bytes | dict[str, Any]
    #: Assertion algorithm (default from the key: RS256, ES256, ES384, EdDSA).
    signing_algorithm: str
    #: ``kid`` header of the assertions.
    key_id: str


def client_auth_options(options: dict[str, Any], owner: str) -> dict[str, Any]:
    """A copy of ``options`` (given under ``owner``) whose secret is a
    string and whose private key is as the core reads it."""
    rest = dict(options)
    secret = rest.get("client_secret")
    if secret is not None and not isinstance(secret, str):
        raise invalid_config(
            f"`{owner}.client_secret` must be a string (it is a secret: its value is never shown)."
        )
    if rest.get("private_key") is not None:
        rest["private_key"] = _private_key(rest["private_key"], owner)
    return rest


def _private_key(key: object, owner: str) -> str | dict[str, Any]:
    """PEM text or a JWK as the core reads them (the core judges the key itself)."""
    if isinstance(key, str):
        return key
    if isinstance(key, bytes):
        try:
            return key.decode("ascii")
        except UnicodeDecodeError:
            pass
    elif isinstance(key, dict) and all(isinstance(k, str) for k in key):
        return key
    raise invalid_config(
        f"`{owner}.private_key` must be a PEM private key (str or bytes) or a private "
        "JWK (a dict); its value is never shown."
    )
