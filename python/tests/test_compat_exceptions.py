"""mcp_auth_rs.exceptions against mcpauth 0.2.0b1 (research notes §1.6) and the
mapping of the core's errors (crates/mcp-auth-core/src/error.rs)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any, get_args

import pytest
from pydantic import BaseModel

from mcp_auth_rs.exceptions import (
    AuthServerExceptionCode,
    BearerAuthExceptionCode,
    MCPAuthAuthServerException,
    MCPAuthBearerAuthException,
    MCPAuthBearerAuthExceptionDetails,
    MCPAuthConfigException,
    MCPAuthException,
    MCPAuthTokenExchangeException,
    MCPAuthTokenVerificationException,
    MCPAuthTokenVerificationExceptionCode,
    NativeError,
    NativeErrorCode,
    auth_server_exception_description,
    bearer_auth_exception_description,
    from_native,
    token_verification_exception_description,
)

ERROR_RS = Path(__file__).resolve().parents[2] / "crates/mcp-auth-core/src/error.rs"

AUTH_SERVER = {
    "INVALID_SERVER_METADATA": (
        "invalid_server_metadata",
        "The server metadata is invalid or malformed.",
    ),
    "INVALID_SERVER_CONFIG": (
        "invalid_server_config",
        "The server configuration does not match the MCP specification.",
    ),
    "MISSING_JWKS_URI": (
        "missing_jwks_uri",
        "The server metadata does not contain a JWKS URI, which is required for JWT verification.",
    ),
}
BEARER = {
    "MISSING_AUTH_HEADER": (
        "missing_auth_header",
        "Missing `Authorization` header. Please provide a valid bearer token.",
    ),
    "INVALID_AUTH_HEADER_FORMAT": (
        "invalid_auth_header_format",
        'Invalid `Authorization` header format. Expected "Bearer <token>".',
    ),
    "MISSING_BEARER_TOKEN": (
        "missing_bearer_token",
        "Missing bearer token in `Authorization` header. Please provide a valid token.",
    ),
    "INVALID_ISSUER": (
        "invalid_issuer",
        "The token issuer does not match the expected issuer.",
    ),
    "INVALID_AUDIENCE": (
        "invalid_audience",
        "The token audience does not match the expected audience.",
    ),
    "MISSING_REQUIRED_SCOPES": (
        "missing_required_scopes",
        "The token does not contain the necessary scopes for this request.",
    ),
    "INVALID_TOKEN": ("invalid_token", "The provided token is not valid or has expired."),
}
TOKEN = {
    "INVALID_TOKEN": ("invalid_token", "The provided token is invalid or malformed."),
    "TOKEN_VERIFICATION_FAILED": (
        "token_verification_failed",
        "The token verification failed due to an error in the verification process.",
    ),
}
CASES: list[tuple[type[Enum], Mapping[Any, str], dict[str, tuple[str, str]]]] = [
    (AuthServerExceptionCode, auth_server_exception_description, AUTH_SERVER),
    (BearerAuthExceptionCode, bearer_auth_exception_description, BEARER),
    (
        MCPAuthTokenVerificationExceptionCode,
        token_verification_exception_description,
        TOKEN,
    ),
]


@pytest.mark.parametrize(("enum", "descriptions", "expected"), CASES)
def test_codes_and_descriptions(
    enum: type[Enum], descriptions: Mapping[Any, str], expected: dict[str, tuple[str, str]]
) -> None:
    assert issubclass(enum, str)
    assert {m.name: m.value for m in enum} == {k: v[0] for k, v in expected.items()}
    assert {m.name: text for m, text in descriptions.items()} == {
        k: v[1] for k, v in expected.items()
    }


def test_classes_carry_enum_code_message_and_cause() -> None:
    details = MCPAuthBearerAuthExceptionDetails(missing_scopes=["write"])
    cases: list[tuple[MCPAuthException, Enum, str]] = [
        (
            MCPAuthAuthServerException(AuthServerExceptionCode.MISSING_JWKS_URI, {"a": 1}),
            AuthServerExceptionCode.MISSING_JWKS_URI,
            AUTH_SERVER["MISSING_JWKS_URI"][1],
        ),
        (
            MCPAuthBearerAuthException(BearerAuthExceptionCode.MISSING_REQUIRED_SCOPES, details),
            BearerAuthExceptionCode.MISSING_REQUIRED_SCOPES,
            BEARER["MISSING_REQUIRED_SCOPES"][1],
        ),
        (
            MCPAuthTokenVerificationException(MCPAuthTokenVerificationExceptionCode.INVALID_TOKEN),
            MCPAuthTokenVerificationExceptionCode.INVALID_TOKEN,
            TOKEN["INVALID_TOKEN"][1],
        ),
    ]
    for error, code, message in cases:
        assert isinstance(error, MCPAuthException) and isinstance(error, Exception)
        assert error.code is code
        assert error.message == message and str(error) == message
    assert cases[0][0].cause == {"a": 1}
    assert cases[1][0].cause is details
    assert cases[2][0].cause is None
    assert issubclass(MCPAuthConfigException, MCPAuthException)
    plain = MCPAuthConfigException("fetch_server_config_error", "Failed.", ValueError("x"))
    assert (plain.code, plain.message, str(plain.cause)) == (
        "fetch_server_config_error",
        "Failed.",
        "x",
    )


def test_fallback_messages(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(auth_server_exception_description, AuthServerExceptionCode.MISSING_JWKS_URI)
    monkeypatch.delitem(bearer_auth_exception_description, BearerAuthExceptionCode.INVALID_TOKEN)
    monkeypatch.delitem(
        token_verification_exception_description,
        MCPAuthTokenVerificationExceptionCode.INVALID_TOKEN,
    )
    assert (
        MCPAuthAuthServerException(AuthServerExceptionCode.MISSING_JWKS_URI).message
        == "An exception occurred with the authorization server."
    )
    assert (
        MCPAuthBearerAuthException(BearerAuthExceptionCode.INVALID_TOKEN).message
        == "An exception occurred with the Bearer auth."
    )
    assert (
        MCPAuthTokenVerificationException(
            MCPAuthTokenVerificationExceptionCode.INVALID_TOKEN
        ).message
        == "An exception occurred while verifying the token."
    )


class _Model(BaseModel):
    kept: str = "k"
    dropped: str | None = None


def test_to_json_with_and_without_cause() -> None:
    error = MCPAuthTokenVerificationException(
        MCPAuthTokenVerificationExceptionCode.INVALID_TOKEN, ValueError("bad exp")
    )
    head = {"error": "invalid_token", "error_description": TOKEN["INVALID_TOKEN"][1]}
    assert error.to_json() == head
    assert error.to_json(show_cause=False) == head
    assert error.to_json(show_cause=True) == {**head, "cause": "bad exp"}
    # A record is shown as str(), a model as its dump without None members.
    record = MCPAuthException("custom", "Custom.", {"a": 1})
    assert record.to_json(True) == {
        "error": "custom",
        "error_description": "Custom.",
        "cause": "{'a': 1}",
    }
    modelled = MCPAuthException(AuthServerExceptionCode.INVALID_SERVER_CONFIG, "M.", _Model())
    assert modelled.to_json(True) == {
        "error": "invalid_server_config",
        "error_description": "M.",
        "cause": {"kept": "k"},
    }
    # No cause: nothing shown (mcpauth would show the string "None").
    assert MCPAuthException("c", "m").to_json(True) == {"error": "c", "error_description": "m"}


def test_bearer_to_json_adds_uri_and_missing_scopes_always() -> None:
    details = MCPAuthBearerAuthExceptionDetails(
        uri="https://docs.example.com/e", missing_scopes=["write"], expected="x"
    )
    error = MCPAuthBearerAuthException(BearerAuthExceptionCode.MISSING_REQUIRED_SCOPES, details)
    head = {
        "error": "missing_required_scopes",
        "error_description": BEARER["MISSING_REQUIRED_SCOPES"][1],
        "error_uri": "https://docs.example.com/e",
        "missing_scopes": ["write"],
    }
    assert error.to_json() == head
    assert error.to_json(True) == {
        **head,
        "cause": {
            "uri": "https://docs.example.com/e",
            "missing_scopes": ["write"],
            "expected": "x",
        },
    }
    bare = MCPAuthBearerAuthException(BearerAuthExceptionCode.MISSING_AUTH_HEADER)
    assert bare.to_json(True) == {
        "error": "missing_auth_header",
        "error_description": BEARER["MISSING_AUTH_HEADER"][1],
    }
    assert list(MCPAuthBearerAuthExceptionDetails.model_fields) == [
        "cause",
        "uri",
        "missing_scopes",
        "expected",
        "actual",
    ]


# ---- native errors ------------------------------------------------------------


@dataclass
class CoreError:
    """Has the attributes of the native module's NativeAuthError."""

    code: str
    fault: str
    reason: str = "a fixed reason"
    url: str | None = None
    retry_after: int | None = None


def _core_table() -> dict[str, str]:
    """code → fault, read from the core's source."""
    source = ERROR_RS.read_text()
    as_str = source[source.index("impl ErrorCode {") :]
    codes = dict(re.findall(r"Self::(\w+) => \"(\w+)\",", as_str[: as_str.index("pub const ALL")]))
    body = source[source.index("pub const fn fault(self) -> Fault {") :]
    body = body[: body.index("pub const fn is_infrastructure")]
    faults: dict[str, str] = {}
    for arm, fault in re.findall(r"((?:\|?\s*Self::\w+\s*)+)=> Fault::(\w+)", body):
        for variant in re.findall(r"Self::(\w+)", arm):
            faults[codes[variant]] = fault.lower()
    assert set(faults) == set(codes.values())
    return faults


def test_native_code_list_is_the_cores() -> None:
    table = _core_table()
    assert list(get_args(NativeErrorCode)) == list(table)


def test_every_core_code_maps_by_fault() -> None:
    for code, fault in _core_table().items():
        mapped = from_native(CoreError(code, fault, retry_after=7))
        assert (mapped.native_code, mapped.native_fault, mapped.retry_after) == (code, fault, 7)
        if code.startswith("token_exchange_"):
            # Added: an upstream token exchange's refusal (fault "forbidden") or outage.
            assert isinstance(mapped, MCPAuthTokenExchangeException), code
            assert mapped.status == (403 if fault == "forbidden" else 503)
        elif fault in ("token", "proof", "nonce"):
            assert isinstance(
                mapped, MCPAuthTokenVerificationException | MCPAuthBearerAuthException
            ), code
            assert mapped.code in ("invalid_token", "invalid_issuer", "invalid_audience"), code
        elif fault == "infrastructure":
            assert isinstance(mapped, MCPAuthTokenVerificationException), code
            assert mapped.code is MCPAuthTokenVerificationExceptionCode.TOKEN_VERIFICATION_FAILED
            fetched = from_native(
                CoreError(code, fault, url="https://a/.well-known/x"), fetching=True
            )
            assert isinstance(fetched, MCPAuthConfigException)
            assert fetched.code == "fetch_server_config_error"
            assert (
                fetched.message
                == "Failed to fetch server config from https://a/.well-known/x: a fixed reason"
            )
        else:
            assert isinstance(mapped, MCPAuthAuthServerException | MCPAuthConfigException), code


@pytest.mark.parametrize(
    ("code", "fault", "cls", "mcpauth_code"),
    [
        ("bad_signature", "token", MCPAuthTokenVerificationException, "invalid_token"),
        ("expired", "token", MCPAuthTokenVerificationException, "invalid_token"),
        ("issuer_untrusted", "token", MCPAuthBearerAuthException, "invalid_issuer"),
        ("audience_mismatch", "token", MCPAuthBearerAuthException, "invalid_audience"),
        ("dpop_replayed", "proof", MCPAuthTokenVerificationException, "invalid_token"),
        ("dpop_nonce_required", "nonce", MCPAuthTokenVerificationException, "invalid_token"),
        (
            "jwks_unavailable",
            "infrastructure",
            MCPAuthTokenVerificationException,
            "token_verification_failed",
        ),
        (
            "invalid_server_metadata",
            "server",
            MCPAuthAuthServerException,
            "invalid_server_metadata",
        ),
        ("issuer_mismatch", "server", MCPAuthAuthServerException, "invalid_server_metadata"),
        ("missing_jwks_uri", "server", MCPAuthAuthServerException, "missing_jwks_uri"),
        ("invalid_config", "server", MCPAuthAuthServerException, "invalid_server_config"),
        ("invalid_url", "server", MCPAuthAuthServerException, "invalid_server_config"),
        ("internal_error", "server", MCPAuthConfigException, "internal_error"),
        ("from_the_future", "server", MCPAuthConfigException, "from_the_future"),
        ("odd", "no-such-fault", MCPAuthConfigException, "odd"),
    ],
)
def test_from_native_mapping(
    code: str, fault: str, cls: type[MCPAuthException], mcpauth_code: str
) -> None:
    error = CoreError(code, fault, url="https://a/jwks")
    mapped = from_native(error)
    assert type(mapped) is cls
    assert mapped.code == mcpauth_code
    assert mapped.native_code == code
    assert mapped.native_fault == (fault if fault != "no-such-fault" else "server")
    detail = {"code": code, "reason": "a fixed reason", "url": "https://a/jwks"}
    if isinstance(mapped, MCPAuthBearerAuthException):
        assert mapped.cause is not None and mapped.cause.cause == detail
    else:
        assert mapped.cause == detail


def test_from_native_messages() -> None:
    config = from_native(CoreError("invalid_config", "server", reason="unknown option nope"))
    assert config.message == (
        "The server configuration does not match the MCP specification. unknown option nope"
    )
    assert str(config) == config.message
    internal = from_native(CoreError("internal_error", "server", reason="internal error"))
    assert internal.message == "internal error"
    assert internal.to_json() == {"error": "internal_error", "error_description": "internal error"}
    no_url = from_native(CoreError("discovery_unavailable", "infrastructure"), fetching=True)
    assert no_url.message == "Failed to fetch server config: a fixed reason"
    metadata = from_native(CoreError("invalid_server_metadata", "server"), fetching=True)
    assert metadata.code is AuthServerExceptionCode.INVALID_SERVER_METADATA
    assert metadata.message == AUTH_SERVER["INVALID_SERVER_METADATA"][1]
    bad_url = from_native(CoreError("invalid_url", "server"), fetching=True)
    assert bad_url.code == "fetch_server_config_error"
    # Plain construction leaves the native attributes unset.
    plain = MCPAuthTokenVerificationException(MCPAuthTokenVerificationExceptionCode.INVALID_TOKEN)
    assert (plain.native_code, plain.native_fault, plain.retry_after) == (None, None, None)


def test_real_native_error_maps() -> None:
    native = pytest.importorskip("mcp_auth_rs._native")
    with pytest.raises(native.NativeAuthError) as caught:
        native.Verifier("{not json")
    error: NativeError = caught.value
    mapped = from_native(error)
    assert mapped.code is AuthServerExceptionCode.INVALID_SERVER_CONFIG
    assert mapped.native_code == "invalid_config" and mapped.native_fault == "server"
