# Stubs for the PyO3 module built from python/src/lib.rs; keep them in step.
from collections.abc import Awaitable
from typing import Any, Literal, TypedDict, final

__all__ = ["NativeAuthError", "Verifier"]

# A dict at run time; this class exists for type checkers only.
class VerifiedToken(TypedDict):
    issuer: str
    subject: str | None
    client_id: str | None
    scopes: list[str]
    audience: list[str]
    expires_at: float
    claims: dict[str, Any]

class NativeAuthError(Exception):
    code: str
    fault: Literal["token", "infrastructure", "server", "proof", "nonce"]
    reason: str
    url: str | None
    retry_after: int | None

@final
class Verifier:
    def __new__(cls, options_json: str) -> Verifier: ...
    def verify_sync(self, token: str) -> VerifiedToken: ...
    def prepare(self) -> None: ...
    def prepare_async(self) -> Awaitable[None]: ...
