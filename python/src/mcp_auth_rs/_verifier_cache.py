"""The JWT verifiers of one ``MCPAuth``, shared by every gate with the same
trust settings (one key-set cache and one verified-token cache each)."""

from __future__ import annotations

import json
from typing import Any

from mcp_auth_rs import _native
from mcp_auth_rs._convert import camel_case, invalid_config
from mcp_auth_rs.config import AuthServerConfig
from mcp_auth_rs.events import AuthEventListener, Emitter
from mcp_auth_rs.exceptions import AuthServerExceptionCode, MCPAuthAuthServerException


class VerifierCache:
    """Native verifiers by their options' JSON text."""

    def __init__(self) -> None:
        self._verifiers: dict[str, tuple[_native.Verifier, Emitter]] = {}

    def verifier(
        self,
        servers: list[AuthServerConfig],
        audiences: list[str] | None,
        checks: dict[str, Any],
        members: dict[str, Any],
        max_token_length: int,
        listeners: list[AuthEventListener | None],
    ) -> _native.Verifier:
        """The verifier for these settings; its key-set events reach ``listeners``."""
        issuers = []
        for server in servers:
            metadata = server.metadata
            if not metadata.jwks_uri:
                raise MCPAuthAuthServerException(
                    AuthServerExceptionCode.MISSING_JWKS_URI,
                    cause={
                        "error_description": f"The metadata of {metadata.issuer} has no jwks_uri."
                    },
                )
            issuers.append(
                {"issuer": metadata.issuer, "jwksUri": metadata.jwks_uri, "type": server.type.value}
            )
        options: dict[str, Any] = {"issuers": issuers, "maxTokenLength": max_token_length}
        if audiences is None:
            options["allowAnyAudience"] = True
        else:
            options["audiences"] = audiences
        if checks:
            # The core judges names, types and ranges; only the spelling changes here.
            options["jwtVerify"] = {camel_case(name): value for name, value in checks.items()}
        # Claim rules, key-set and cache options: checked by the core.
        options.update(members)
        try:
            text = json.dumps(options)
        except (TypeError, ValueError):
            raise invalid_config("An option has a value of the wrong type.") from None
        shared = self._verifiers.get(text)
        if shared is None:
            jwks_events = Emitter()
            try:
                verifier = _native.Verifier(text, jwks_events.emit)
            except _native.NativeAuthError as error:
                raise invalid_config(error.reason) from None
            shared = (verifier, jwks_events)
            self._verifiers[text] = shared
        # Added once each, however many middlewares share the verifier.
        for listener in listeners:
            shared[1].add(listener)
        return shared[0]
