"""mcpauth's ``create_verify_jwt``: a synchronous JWT verifier on the core's ``Verifier``.

The core checks the signature against the key set (fetched once, cached
process-wide, refetched for an unknown ``kid``), the algorithm, ``exp``,
``nbf`` and ``iat`` with ``leeway``, and that ``iss`` and ``sub`` are
present. As in mcpauth, any issuer and any audience pass: the middleware
(``create_bearer_auth``, ``bearer_auth_middleware``) checks those.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from mcp_auth_rs import _native
from mcp_auth_rs._convert import invalid_config
from mcp_auth_rs.exceptions import (
    MCPAuthTokenVerificationException,
    MCPAuthTokenVerificationExceptionCode,
)
from mcp_auth_rs.types import AuthInfo

# mcpauth's default list; the core has no ES512, so that one is left out.
_MCPAUTH_DEFAULT = ("RS256", "PS256", "ES256", "ES384", "ES512")
_CORE_LACKS = frozenset({"ES512"})


def create_verify_jwt(
    input: Any,
    algorithms: list[str] = list(_MCPAUTH_DEFAULT),  # noqa: B006 (mcpauth's signature; never mutated)
    leeway: float = 60,
) -> Callable[[str], AuthInfo]:
    """A function verifying a JWT against a JSON Web Key Set and returning its ``AuthInfo``.

    ``input`` is the key set's URL, or a PyJWT ``PyJWKClient`` (only its
    ``uri`` is used: the core fetches and caches the keys itself). A single
    ``PyJWK`` is not supported (``TypeError``). ``algorithms`` are accepted
    ``alg`` values, asymmetric only (the default is mcpauth's, less ES512);
    ``leeway`` is in seconds (at most 300). A bad option raises
    ``MCPAuthAuthServerException`` (``invalid_server_config``).

    The function (a ``VerifyAccessTokenFunction``, synchronous as mcpauth's)
    raises ``MCPAuthTokenVerificationException``:
    ``invalid_token`` for a token at fault, ``token_verification_failed``
    when the keys cannot be had. It blocks only while keys are fetched.
    """
    jwks_uri = _jwks_uri(input)
    wanted = list(algorithms)
    if wanted == list(_MCPAUTH_DEFAULT):
        wanted = [a for a in wanted if a not in _CORE_LACKS]
    options = {
        "anyIssuerJwksUri": jwks_uri,
        "allowAnyAudience": True,
        "algorithms": wanted,
        "clockTolerance": leeway,
        # mcpauth's AuthInfo needs a subject.
        "requiredClaims": ["sub"],
    }
    try:
        verifier = _native.Verifier(json.dumps(options))
    except _native.NativeAuthError as error:
        raise invalid_config(error.reason) from None
    except (TypeError, ValueError):
        raise invalid_config("`leeway` must be a number of seconds.") from None

    def verify_jwt(token: str) -> AuthInfo:
        try:
            verified = verifier.verify(token)
        except _native.NativeAuthError as error:
            raise _verification_error(error) from None
        subject = verified["subject"]
        if not isinstance(subject, str) or not subject:
            # Present (the core required it) but not a string AuthInfo can hold.
            raise MCPAuthTokenVerificationException(
                MCPAuthTokenVerificationExceptionCode.INVALID_TOKEN,
                {"code": "invalid_claim", "reason": "token claim sub is invalid", "url": None},
            )
        claims = verified["claims"]
        return AuthInfo(
            token=token,
            issuer=verified["issuer"],
            client_id=verified["client_id"],
            scopes=list(verified["scopes"]),
            subject=subject,
            audience=claims.get("aud"),
            claims=claims,
            expires_at=int(verified["expires_at"]),
        )

    return verify_jwt


def _jwks_uri(input: object) -> str:
    if isinstance(input, str):
        return input
    uri = getattr(input, "uri", None)  # PyJWT's PyJWKClient, without importing PyJWT
    if isinstance(uri, str):
        return uri
    raise TypeError(
        "create_verify_jwt takes the URL of a JSON Web Key Set or a PyJWKClient; "
        "single keys (PyJWK) are not supported: the core verifies with key sets it fetches."
    )


def _verification_error(error: _native.NativeAuthError) -> MCPAuthTokenVerificationException:
    """mcpauth's two codes: the token's fault, or the verification's."""
    at_fault = error.fault in ("token", "proof", "nonce")
    code = (
        MCPAuthTokenVerificationExceptionCode.INVALID_TOKEN
        if at_fault
        else MCPAuthTokenVerificationExceptionCode.TOKEN_VERIFICATION_FAILED
    )
    return MCPAuthTokenVerificationException(
        code, {"code": error.code, "reason": error.reason, "url": error.url}
    )
