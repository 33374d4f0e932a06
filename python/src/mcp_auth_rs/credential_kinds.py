"""Several credential kinds on one route: ``bearer_auth_middleware([...])``.

An ordered list of verifiers, each its own ``Gate``. The core's router picks
the one verifier that judges a request, by the token's shape (an API key's
``prefix``) and its issuer; no other is asked, so a refused token gets no
second opinion. API keys are checked by the core's store (SHA-256 hashes,
constant-time comparison); reading them from a callback and re-reading it
every ``refresh_interval`` are Python facts and live here.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Literal, cast

from typing_extensions import Required, TypedDict

from mcp_auth_rs import _native
from mcp_auth_rs._convert import invalid_config
from mcp_auth_rs._gate import Gate, Reply, RequestBody, Scheme
from mcp_auth_rs.bearer_options import ClaimOptions, JwtVerifyOptions
from mcp_auth_rs.types import AuthInfo


# Required keys are marked `Required` in one flat TypedDict (no private
# TypedDict base): the reference (pdoc) sees every key where it is declared.
class ApiKeyEntry(TypedDict, total=False):
    """One stored API key: the hash of the key (never the key) and its fixed identity."""

    hash: Required[str]
    """``sha256:`` and the base64url SHA-256 of the key: ``hash_api_key(key)``."""
    subject: Required[str]
    client_id: str
    scopes: list[str]


KeyLoader = Callable[[], list[ApiKeyEntry] | Awaitable[list[ApiKeyEntry]]]


class JwtVerifierConfig(TypedDict, total=False):
    """A 'jwt' verifier: tokens whose ``iss`` is one of ``issuer`` (default: every
    authorization server of the resource). ``client_ids`` is shorthand for
    ``claims={"client_ids": [...]}``."""

    mode: Required[Literal["jwt"]]
    name: str
    issuer: str | list[str]
    client_ids: list[str]
    required_scopes: list[str]
    jwt_verify: dict[str, object]
    claims: dict[str, object]


class ApiKeyVerifierConfig(TypedDict, total=False):
    """An 'api_key' verifier: exactly one of ``keys`` (fixed) and ``load_keys``
    (read before the first request and again every ``refresh_interval``
    seconds: 1 to 86400, default 300). Tokens starting with ``prefix`` are
    its keys; without one, any token not shaped as a JWT."""

    mode: Required[Literal["api_key"]]
    name: str
    prefix: str
    keys: list[ApiKeyEntry]
    load_keys: KeyLoader
    refresh_interval: float
    required_scopes: list[str]


CredentialVerifier = JwtVerifierConfig | ApiKeyVerifierConfig


def hash_api_key(key: str) -> str:
    """The stored form of an API key (``sha256:<base64url>``): hash once, keep only this."""
    try:
        return _native.hash_api_key(key)
    except _native.NativeAuthError as error:
        raise invalid_config(error.reason) from None


def new_router(
    verifiers: Sequence[CredentialVerifier], issuers_of: Callable[[JwtVerifierConfig], list[str]]
) -> _native.CredentialRouter:
    """The core's router over the list; raises ``invalid_server_config`` for one it refuses."""
    kinds: list[dict[str, object]] = []
    for index, verifier in enumerate(verifiers):
        if not isinstance(verifier, dict):
            raise invalid_config(f"verifiers[{index}] must be a dict.")
        mode = verifier.get("mode")
        name = verifier.get("name", mode)
        if verifier["mode"] == "api_key":
            keyed = verifier
            interval = keyed.get("refresh_interval")
            kind: dict[str, object] = {"name": name, "kind": "apiKey"}
            if "prefix" in keyed:
                kind["prefix"] = keyed["prefix"]
            if interval is not None:
                kind["refreshInterval"] = round(interval * 1000)
        elif verifier["mode"] == "jwt":
            kind = {"name": name, "kind": "jwt", "issuers": issuers_of(verifier)}
        else:
            kind = {"name": name, "kind": str(mode)}
        kinds.append(kind)
    try:
        return _native.CredentialRouter(json.dumps({"verifiers": kinds}))
    except _native.NativeAuthError as error:
        raise invalid_config(error.reason) from None


class ApiKeyVerifier:
    """A verify function over the core's store, with ``rotate`` for new keys."""

    def __init__(self, config: ApiKeyVerifierConfig, refresh_interval_ms: int) -> None:
        keys = config.get("keys")
        load = config.get("load_keys")
        if (keys is None) == (load is None):
            name = config.get("name", "api_key")
            raise invalid_config(f"verifier '{name}' needs exactly one of `keys` and `load_keys`.")
        if load is not None and not callable(load):
            raise invalid_config("`load_keys` must be a callable.")
        try:
            self._store = _native.ApiKeyStore(_keys_json(keys or []))
        except _native.NativeAuthError as error:
            raise invalid_config(error.reason) from None
        self._load = load
        self._interval = refresh_interval_ms / 1000
        self._loaded_at = float("-inf")
        self._loaded_once = keys is not None
        self._loading: asyncio.Task[None] | None = None

    def rotate(self, keys: list[ApiKeyEntry]) -> None:
        """Replaces every key at once; on an error the old keys stay."""
        try:
            self._store.set_keys(_keys_json(keys))
        except _native.NativeAuthError as error:
            raise invalid_config(error.reason) from None

    async def verify(self, token: str) -> AuthInfo:
        if self._load is not None and time.monotonic() - self._loaded_at >= self._interval:
            loading = self._loading
            # A read started on another (now closed) event loop never finishes: start anew.
            if (
                loading is None
                or loading.done()
                or loading.get_loop() is not asyncio.get_running_loop()
            ):
                loading = self._loading = asyncio.ensure_future(self._reload())
            if not self._loaded_once:
                # The first request waits for the first read.
                try:
                    await asyncio.shield(loading)
                except Exception:
                    # No keys yet: the loader's outage is ours, never the caller's (503).
                    raise _keys_not_loaded() from None
        subject, client_id, scopes = self._store.verify(token)
        # A static key has no issuer and never expires.
        return AuthInfo(
            token=token, issuer="", subject=subject, client_id=client_id, scopes=scopes, claims={}
        )

    async def _reload(self) -> None:
        assert self._load is not None
        try:
            result = self._load()
            keys = await result if inspect.isawaitable(result) else result
            self.rotate(keys)
            self._loaded_once = True
        except Exception:
            # Later reads run in the background: a failed one keeps the keys it had.
            if not self._loaded_once:
                raise
        finally:
            # Once keys are loaded a failed read keeps them and is retried after the
            # interval; before that every request retries (it has no keys to use).
            if self._loaded_once:
                self._loaded_at = time.monotonic()
            self._loading = None


def _keys_not_loaded() -> _native.NativeAuthError:
    error = _native.NativeAuthError("the API keys could not be loaded")
    error.code = "keys_not_loaded"
    error.fault = "infrastructure"
    error.reason = "the API keys could not be loaded"
    error.url = None
    error.retry_after = None
    return error


def _keys_json(keys: list[ApiKeyEntry]) -> str:
    if not isinstance(keys, list):
        raise invalid_config("`keys` must be a list of API key entries.")
    converted = []
    for entry in keys:
        if not isinstance(entry, dict):
            raise invalid_config("each API key entry must be a dict.")
        converted.append(
            {("clientId" if name == "client_id" else name): value for name, value in entry.items()}
        )
    return json.dumps({"keys": converted})


class RoutedGate(Gate):
    """The gate of a route with several verifiers: the router picks one member."""

    def __init__(self, router: _native.CredentialRouter, members: list[tuple[str, Gate]]) -> None:
        self._router = router
        self._members = members
        # Every member protects the same resource: one mTLS setting.
        first = members[0][1]
        self.mtls, self.reads_connection = first.mtls, first.reads_connection
        self.proxy_header = first.proxy_header
        # Every member has the route's ``operations``: one body bound.
        self.max_body_bytes = first.max_body_bytes

    async def decide(
        self,
        method: str,
        url: str,
        original_url: str | None,
        headers: list[str],
        certificate: bytes | None = None,
    ) -> AuthInfo | Reply:
        name, gate = self._member(headers)
        decided = await gate.decide(method, url, original_url, headers, certificate)
        if isinstance(decided, AuthInfo):
            return decided.model_copy(update={"verifier": name})
        return decided

    async def decide_operation(
        self,
        method: str,
        url: str,
        original_url: str | None,
        headers: list[str],
        certificate: bytes | None,
        body: RequestBody,
    ) -> AuthInfo | Reply | None:
        name, gate = self._member(headers)
        decided = await gate.decide_operation(method, url, original_url, headers, certificate, body)
        if isinstance(decided, AuthInfo):
            return decided.model_copy(update={"verifier": name})
        return decided

    def _member(self, headers: list[str]) -> tuple[str, Gate]:
        values = [
            headers[i + 1] for i in range(0, len(headers) - 1, 2) if headers[i] == "authorization"
        ]
        return self._members[self._router.route(values)]

    def security_schemes(self, tool: str) -> str | None:
        # The first verifier's route scopes: members may differ only in their own.
        return self._members[0][1].security_schemes(tool)

    def insufficient_scope(
        self, missing: list[str], used: Scheme | None, description: str | None = None
    ) -> Reply:
        # Every member protects the same resource: one challenge.
        return self._members[0][1].insufficient_scope(missing, used, description)


#: Builds one member's gate: (a mode or verify function, its config, the issuers it trusts
#: or ``None`` for all, whether it is an API-key member).
MemberGate = Callable[
    ["Literal['jwt'] | ApiKeyVerify", CredentialVerifier, "list[str] | None"], Gate
]
ApiKeyVerify = Callable[[str], Awaitable[AuthInfo]]


def member_rules(
    config: CredentialVerifier, required_scopes: list[str] | None
) -> tuple[JwtVerifyOptions | None, ClaimOptions | None, list[str] | None]:
    """A member's ``jwt_verify``, claim rules (``client_ids`` folded into
    ``claims``) and required scopes (its own, else the route's)."""
    conf = cast(dict[str, Any], config)
    claims = dict(conf.get("claims") or {})
    if "client_ids" in conf:
        claims["client_ids"] = conf["client_ids"]
    scopes = conf.get("required_scopes", required_scopes)
    return conf.get("jwt_verify"), cast("ClaimOptions | None", claims or None), scopes


def credential_gate(
    verifiers: Sequence[CredentialVerifier], configured: list[str], member_gate: MemberGate
) -> RoutedGate:
    """The gate of ``bearer_auth_middleware([...])`` over the resource's ``configured`` issuers."""
    if not isinstance(verifiers, (list, tuple)):
        raise invalid_config("bearer_auth_middleware expects a list of verifiers.")

    def issuers_of(verifier: JwtVerifierConfig) -> list[str]:
        issuer = verifier.get("issuer")
        if issuer is None:
            return list(configured)
        issuers = [issuer] if isinstance(issuer, str) else list(issuer)
        unknown = [i for i in issuers if i not in configured]
        if unknown:
            name = verifier.get("name", "jwt")
            raise invalid_config(
                f"verifier '{name}': {unknown[0]} is not an authorization server of this resource."
            )
        return issuers

    router = new_router(verifiers, issuers_of)
    intervals = router.refresh_intervals()
    members: list[tuple[str, Gate]] = []
    for verifier, interval in zip(verifiers, intervals, strict=True):
        if verifier["mode"] == "api_key":
            keys = ApiKeyVerifier(verifier, interval or 0)
            members.append(
                (verifier.get("name", "api_key"), member_gate(keys.verify, verifier, None))
            )
        else:
            assert verifier["mode"] == "jwt"
            members.append(
                (verifier.get("name", "jwt"), member_gate("jwt", verifier, issuers_of(verifier)))
            )
    return RoutedGate(router, members)
