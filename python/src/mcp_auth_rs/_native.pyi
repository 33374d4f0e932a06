# Stubs for the PyO3 module built from python/src/lib.rs; keep them in step.
#
# Conventions: options cross as one JSON text (`options_json`, the core's
# option structs with camelCase keys, checked by the core alone); documents
# cross as plain dicts built by `json.loads` (and read back through
# `json.dumps`). A server config is `{"type": "oidc" | "oauth", "metadata":
# {...}}` whose metadata keys are camelCase (`jwksUri`, `tokenEndpoint`, as
# for Node); a raw metadata document keeps the server's snake_case keys.
# Every failure is a `NativeAuthError`; a Rust panic is one too
# (`internal_error`). Blocking functions release the GIL and refuse to run
# on a tokio runtime thread; their `_async` forms need a running asyncio loop.
from collections.abc import Awaitable, Callable
from typing import Any, Literal, TypedDict, final

__all__ = [
    "Accepted",
    "Answer",
    "ApiKeyStore",
    "Authenticator",
    "CredentialRouter",
    "DpopChecker",
    "Introspector",
    "MetadataResponder",
    "NativeAuthError",
    "RedisStore",
    "TokenExchanger",
    "Verifier",
    "Verify",
    "check_bearer_limits",
    "check_server_url",
    "check_verify_timeout",
    "compile_scope_hierarchy",
    "error_codes",
    "fetch_server_config",
    "fetch_server_config_async",
    "fetch_server_config_by_well_known_url",
    "fetch_server_config_by_well_known_url_async",
    "fetch_server_metadata",
    "fetch_server_metadata_async",
    "fetch_server_metadata_by_well_known_url",
    "fetch_server_metadata_by_well_known_url_async",
    "hash_api_key",
    "is_cors_preflight",
    "normalize_audience",
    "protected_resource_metadata",
    "protected_resource_metadata_url",
    "to_server_config",
    "token_error_descriptions",
    "validate_server_config",
]

_Scheme = Literal["bearer", "dpop"]
_BodyState = Literal["json", "none", "not-json", "too-large", "unreadable"]
_ServerType = Literal["oidc", "oauth"]
_Fault = Literal["token", "infrastructure", "server", "proof", "nonce"]

# The TypedDicts below are dicts at run time; they exist for type checkers only.
class VerifiedToken(TypedDict):
    issuer: str
    subject: str | None
    client_id: str | None
    scopes: list[str]
    audience: list[str]
    expires_at: float
    claims: dict[str, Any]

class ServerConfig(TypedDict):
    type: _ServerType
    # camelCase member names (shallow), values as served.
    metadata: dict[str, Any]

class ValidationFinding(TypedDict):
    code: str
    description: str
    cause: str | None

class ServerConfigValidation(TypedDict):
    is_valid: bool
    errors: list[ValidationFinding]
    warnings: list[ValidationFinding]
    # None unless `verbose`.
    successes: list[ValidationFinding] | None

class StoreEvent(TypedDict, total=False):
    type: Literal["store_unavailable", "store_recovered", "store_record_rejected"]
    # store_unavailable only.
    operation: Literal["get", "set", "setIfAbsent", "delete"]
    # store_unavailable: why; store_record_rejected: 'bad_mac', 'unreadable'
    # or 'undecryptable'.
    reason: str

# A listener runs on a worker thread, in event order; what it raises is
# reported as unraisable and changes nothing.
_StoreListener = Callable[[StoreEvent], object]

class NativeAuthError(Exception):
    code: str
    fault: _Fault
    reason: str
    url: str | None
    retry_after: int | None

@final
class Verifier:
    # on_event: key-set events (jwks_refreshed, jwks_unavailable) as dicts,
    # called on a worker thread, in order; what it raises is unraisable.
    def __new__(
        cls, options_json: str, on_event: Callable[[dict[str, Any]], object] | None = None
    ) -> Verifier: ...
    def verify_sync(self, token: str) -> VerifiedToken: ...
    # Fetches keys first when needed, blocking the thread (GIL released).
    def verify(self, token: str) -> VerifiedToken: ...
    def prepare(self) -> None: ...
    def prepare_async(self) -> Awaitable[None]: ...

@final
class Answer:
    """The exact response to send; `error` and `reason` are for events only."""

    @property
    def status(self) -> int: ...
    # Names and values in wire order.
    @property
    def headers(self) -> list[tuple[str, str]]: ...
    @property
    def body(self) -> str: ...
    @property
    def error(self) -> str | None: ...
    @property
    def reason(self) -> str: ...
    # When timing was asked for and the native verifier ran.
    @property
    def verify_ms(self) -> float | None: ...
    @property
    def verify_valid(self) -> bool | None: ...

@final
class Verify:
    """A token for the caller to verify, then `Authenticator.finish`."""

    @property
    def token(self) -> str: ...
    @property
    def scheme(self) -> _Scheme: ...
    @property
    def proof(self) -> str | None: ...
    @property
    def certificate(self) -> str | None: ...
    # The operation's selection (`authenticate_operation`), for `finish`/`refuse`.
    @property
    def operation(self) -> str | None: ...

@final
class Accepted:
    """A request accepted by `finish` (the caller verified its token)."""

    @property
    def scheme(self) -> _Scheme: ...
    # The granted scopes expanded through the hierarchy.
    @property
    def effective_scopes(self) -> list[str]: ...

@final
class RedisStore:
    # The core's own Redis client, shared with Node processes using
    # `redisStore(url)` (same keys, prefix, records and TTLs). options_json:
    # {url, prefix?, connectTimeout?, responseTimeout?, reconnectMaxDelay?,
    # maxInFlight?}. Does no I/O: it connects on first use.
    def __new__(cls, options_json: str) -> RedisStore: ...
    def is_ready(self) -> bool: ...

@final
class Introspector:
    # options_json: the core's introspector options (the Node addon's keys:
    # issuer, issuerType?, endpoint?, audiences?, clientId, clientSecret?, …).
    # `store` needs `store_secret` (a str or bytes of at least 32 bytes, the
    # same for the whole fleet); `resource` is part of the records' scope.
    def __new__(
        cls,
        options_json: str,
        store: RedisStore | None = None,
        store_secret: str | bytes | None = None,
        resource: str | None = None,
        on_store_event: _StoreListener | None = None,
    ) -> Introspector: ...
    # The local cache only: None on a miss; raises for a cached inactive token.
    def cached(self, token: str) -> VerifiedToken | None: ...
    def check_async(self, token: str) -> Awaitable[VerifiedToken]: ...

@final
class TokenExchanger:
    # options_json: the core's token-exchange options (the Node keys:
    # issuer?, issuerType?, tokenEndpoint?, grant?, clientId, clientSecret?,
    # clientAuthMethod?, privateKey?, signingAlgorithm?, keyId?,
    # assertionAudience?, timeout?, maxResponseBytes?, cacheSize?,
    # cacheMaxBytes?, expiryMargin?, storeTimeout?). `store` shares issued
    # tokens with the fleet, encrypted: it needs `store_secret` (a str or
    # bytes of at least 32 bytes, the same for the whole fleet). `servers`:
    # the resource's authorization servers as (issuer, type, token_endpoint);
    # the core picks the sole one when options_json names no issuer or endpoint.
    def __new__(
        cls,
        options_json: str,
        servers: list[tuple[str, str | None, str | None]],
        store: RedisStore | None = None,
        store_secret: str | bytes | None = None,
        on_store_event: _StoreListener | None = None,
    ) -> TokenExchanger: ...
    # params_json: {audience?, resource?, scope?, requestedTokenType?};
    # resolves to {accessToken, tokenType, issuedTokenType, expiresIn?, scope?}.
    def exchange_async(self, subject_token: str, params_json: str) -> Awaitable[dict[str, Any]]: ...

@final
class DpopChecker:
    # options_json: {resource, mode?, algorithms?, iatWindow?, nonce?,
    # nonceSecret?, nonceLifetime?, replayCacheSize?, replayCachePerKey?,
    # storeTimeout?}. With `store`, an accepted proof is claimed fleet-wide.
    def __new__(
        cls,
        options_json: str,
        store: RedisStore | None = None,
        on_store_event: _StoreListener | None = None,
    ) -> DpopChecker: ...
    @property
    def mode(self) -> Literal["off", "allowed", "required"]: ...
    @property
    def algorithms(self) -> list[str]: ...
    @property
    def nonces(self) -> bool: ...
    def nonce(self) -> str | None: ...

@final
class CredentialRouter:
    # options_json: {"verifiers": [{name, kind: "jwt"|"apiKey", issuers?, prefix?,
    # refreshInterval?}]}
    def __new__(cls, options_json: str) -> CredentialRouter: ...
    def route(self, authorization: list[str]) -> int: ...
    def refresh_intervals(self) -> list[int | None]: ...

@final
class ApiKeyStore:
    # keys_json: {"keys": [{hash, subject, clientId?, scopes?}]}
    def __new__(cls, keys_json: str) -> ApiKeyStore: ...
    def set_keys(self, keys_json: str) -> None: ...
    def verify(self, token: str) -> tuple[str, str | None, list[str]]: ...

def hash_api_key(key: str) -> str: ...

@final
class MetadataResponder:
    """The core's answers at the metadata documents' exact paths."""

    def __new__(cls, endpoints: list[tuple[str, str]]) -> MetadataResponder: ...
    def answer(
        self, method: str, path: str, query: str | None, requested_headers: str | None
    ) -> tuple[int, list[tuple[str, str]], int | None, str] | None: ...
    @staticmethod
    def not_found() -> tuple[int, list[tuple[str, str]], int | None, str]: ...

@final
class Authenticator:
    # options_json: {resourceMetadataUrl?, requiredScopes?, scopeHierarchy?:
    # [{scope, implies}], showErrorDetails?, maxTokenLength?, route:
    # 'jwt' | 'auto' | 'introspection' | 'caller', mtls?, operations?:
    # {tools?, prompts?, resources?, methods?: {name: requirement},
    # discovery?, default?: requirement, signal?: 'http' | 'tool-result',
    # maxBodyBytes?}} with requirement 'public' | 'protected' | [scopes].
    # `introspector` serves the 'introspection' and 'auto' routes.
    def __new__(
        cls,
        options_json: str,
        verifier: Verifier | None,
        dpop: DpopChecker | None = None,
        introspector: Introspector | None = None,
    ) -> Authenticator: ...
    # A `str` is the accepted request as the Node addon's JSON text, an array:
    # [claims, scheme, tokenLength, issuer, subject, clientId, scopes,
    # expiresAt, effectiveScopes?, verifyMs?] (the core's accepted_json.rs).
    # An awaitable only when keys must be fetched, a check runs on a worker,
    # the introspection endpoint (or the fleet store) is asked, or a proof is
    # claimed in the fleet store.
    def authenticate(
        self,
        method: str,
        url: str,
        original_url: str | None,
        headers: list[str],
        timed: bool,
        certificate: bytes | None = None,
    ) -> str | Answer | Verify | Awaitable[str | Answer]: ...
    # `authenticate` on a route with `operations`: the body is judged first
    # (400/413/415/500 answers), then the operation's requirement. `body`: the
    # bytes read when `body_state` is 'json'. `None`: a public operation
    # without credentials (pass, no identity).
    def authenticate_operation(
        self,
        method: str,
        url: str,
        original_url: str | None,
        headers: list[str],
        timed: bool,
        certificate: bytes | None,
        body: bytes | None,
        body_state: _BodyState,
    ) -> str | Answer | Verify | Awaitable[str | Answer | None] | None: ...
    # A tool descriptor's `securitySchemes` as JSON text; None without `operations`.
    def security_schemes(self, tool: str) -> str | None: ...
    # The body bound in bytes; None without `operations`.
    def max_body_bytes(self) -> int | None: ...
    def finish(
        self,
        scheme: _Scheme,
        cnf: bool,
        jkt: str | None,
        proof: str | None,
        method: str,
        htu: str,
        token: str,
        scopes: list[str],
        identity: tuple[str | None, list[str], float | None] | None = None,
        x5t: str | None = None,
        certificate: str | None = None,
        operation: str | None = None,
    ) -> Accepted | Answer | Awaitable[Accepted | Answer]: ...
    # kind: 'coded' (code, fault, reason, retry_after), 'missingScopes'
    # (missing), 'described' (code, message, cause_json), 'server' (code,
    # description); anything else is unexpected (500).
    def refuse(
        self,
        kind: Literal["coded", "missingScopes", "described", "server", "unexpected"],
        *,
        code: str | None = None,
        fault: str | None = None,
        reason: str | None = None,
        retry_after: float | None = None,
        missing: list[str] | None = None,
        message: str | None = None,
        cause_json: str | None = None,
        description: str | None = None,
        used: _Scheme | None = None,
        operation: str | None = None,
    ) -> Answer: ...
    # 403 insufficient_scope for scopes a tool demanded: `scope` names them,
    # `description` (sanitised) replaces the fixed text.
    def step_up(
        self, missing: list[str], description: str | None = None, used: _Scheme | None = None
    ) -> Answer: ...
    def rechallenge(self, used: _Scheme, header: str) -> str | None: ...

def fetch_server_config(issuer: str, kind: _ServerType) -> ServerConfig: ...
def fetch_server_config_async(issuer: str, kind: _ServerType) -> Awaitable[ServerConfig]: ...
def fetch_server_config_by_well_known_url(url: str, kind: _ServerType) -> ServerConfig: ...
def fetch_server_config_by_well_known_url_async(
    url: str, kind: _ServerType
) -> Awaitable[ServerConfig]: ...

# (url, document): the URL it was fetched from and the document as served.
def fetch_server_metadata(issuer: str, kind: _ServerType) -> tuple[str, dict[str, Any]]: ...
def fetch_server_metadata_async(
    issuer: str, kind: _ServerType
) -> Awaitable[tuple[str, dict[str, Any]]]: ...
def fetch_server_metadata_by_well_known_url(url: str) -> tuple[str, dict[str, Any]]: ...
def fetch_server_metadata_by_well_known_url_async(
    url: str,
) -> Awaitable[tuple[str, dict[str, Any]]]: ...
def to_server_config(
    kind: _ServerType, document: dict[str, Any], expected_issuer: str | None = None
) -> ServerConfig: ...
def validate_server_config(
    config: ServerConfig | dict[str, Any], verbose: bool = False
) -> ServerConfigValidation: ...

# options_json: {metadata: <the resource's metadata option as JSON text>,
# dpop?: {required, algorithms}}. Returns (well-known URL, exact document text).
def protected_resource_metadata(options_json: str) -> tuple[str, str]: ...
def protected_resource_metadata_url(resource: str) -> str: ...

# (code, fault) for every stable error code.
def error_codes() -> list[tuple[str, _Fault]]: ...
def token_error_descriptions() -> dict[str, str]: ...
def is_cors_preflight(method: str, header_names: list[str]) -> bool: ...
def check_server_url(value: str, what: Literal["resource", "issuer"]) -> None: ...
def normalize_audience(audience: str) -> str: ...

# options_json: {audiences: [...] | false, maxTokenLength?}; the effective maxTokenLength.
def check_bearer_limits(options_json: str) -> int: ...

# options_json: {verifyTimeout?}; the effective milliseconds a custom verifier may take.
def check_verify_timeout(options_json: str) -> int: ...

# options_json: {option, entries: [{scope, implies: [{scope} | {printed}]}]};
# the entries in order, each implied list without repeats.
def compile_scope_hierarchy(options_json: str) -> list[tuple[str, list[str]]]: ...
