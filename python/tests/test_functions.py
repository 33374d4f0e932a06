"""The module functions: discovery (blocking and awaitable), server configs,
the resource metadata document, and the core's checks and tables."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from conftest import PRM, RESOURCE

from mcp_auth_rs import _native as native
from mcp_auth_rs._native import NativeAuthError

CAMEL_KEYS = {
    "issuer",
    "authorizationEndpoint",
    "tokenEndpoint",
    "jwksUri",
    "responseTypesSupported",
    "codeChallengeMethodsSupported",
}


def run_call(make: Any, *args: Any) -> Any:
    """Calls an `_async` function inside a running loop (it needs one) and awaits it."""

    async def main() -> Any:
        return await make(*args)

    return asyncio.run(main())


def test_fetch_server_config_blocking_and_async(auth_server: str) -> None:
    config = native.fetch_server_config(auth_server, "oauth")
    assert config["type"] == "oauth"
    assert set(config["metadata"]) == CAMEL_KEYS
    assert config["metadata"]["issuer"] == auth_server
    assert config["metadata"]["jwksUri"] == f"{auth_server}/jwks.json"
    assert run_call(native.fetch_server_config_async, auth_server, "oauth") == config


def test_fetch_server_config_by_well_known_url(auth_server: str) -> None:
    url = f"{auth_server}/.well-known/oauth-authorization-server/tenant"
    config = native.fetch_server_config_by_well_known_url(url, "oidc")
    assert config["type"] == "oidc"
    assert config["metadata"]["issuer"] == f"{auth_server}/tenant"
    assert run_call(native.fetch_server_config_by_well_known_url_async, url, "oidc") == config


def test_fetch_server_metadata_is_the_raw_document(auth_server: str) -> None:
    url, document = native.fetch_server_metadata(f"{auth_server}/t2", "oauth")
    assert url == f"{auth_server}/.well-known/oauth-authorization-server/t2"
    assert document["issuer"] == f"{auth_server}/t2"
    assert document["jwks_uri"] == f"{auth_server}/jwks.json"
    assert run_call(native.fetch_server_metadata_async, f"{auth_server}/t2", "oauth") == (
        url,
        document,
    )
    assert native.fetch_server_metadata_by_well_known_url(url) == (url, document)
    assert run_call(native.fetch_server_metadata_by_well_known_url_async, url) == (url, document)


def test_issuer_mismatch_is_the_core_code(auth_server: str) -> None:
    issuer = f"{auth_server}/mismatch"
    with pytest.raises(NativeAuthError) as caught:
        native.fetch_server_config(issuer, "oauth")
    assert caught.value.code == "issuer_mismatch"
    assert caught.value.fault == "server"
    with pytest.raises(NativeAuthError) as async_caught:
        run_call(native.fetch_server_config_async, issuer, "oauth")
    assert async_caught.value.code == "issuer_mismatch"


def test_fetch_failures_are_typed(auth_server: str) -> None:
    with pytest.raises(NativeAuthError) as caught:
        native.fetch_server_config(auth_server, "saml")  # type: ignore[arg-type]
    assert caught.value.code == "invalid_config"
    with pytest.raises(NativeAuthError) as missing:
        native.fetch_server_metadata_by_well_known_url(f"{auth_server}/nothing-here")
    assert missing.value.fault == "infrastructure"
    assert missing.value.url is not None


def test_to_server_config_checks_and_camel_cases(auth_server: str) -> None:
    _, document = native.fetch_server_metadata(auth_server, "oauth")
    config = native.to_server_config("oauth", document, auth_server)
    assert set(config["metadata"]) == CAMEL_KEYS
    with pytest.raises(NativeAuthError) as caught:
        native.to_server_config("oauth", document, "https://other.example")
    assert caught.value.code == "issuer_mismatch"
    with pytest.raises(NativeAuthError) as caught:
        native.to_server_config("oauth", {"issuer": float("nan")})
    assert caught.value.code == "invalid_server_metadata"


def test_validate_server_config(auth_server: str) -> None:
    config = native.fetch_server_config(auth_server, "oauth")
    valid = native.validate_server_config(config)
    assert valid["is_valid"] is True
    assert valid["errors"] == []
    assert valid["successes"] is None
    verbose = native.validate_server_config(config, verbose=True)
    assert verbose["successes"]
    assert all(set(f) == {"code", "description", "cause"} for f in verbose["successes"])
    broken = native.validate_server_config({"type": "oauth", "metadata": {"issuer": "x"}})
    assert broken["is_valid"] is False
    assert broken["errors"][0]["code"] == "invalid_server_metadata"
    with pytest.raises(NativeAuthError):
        native.validate_server_config({"type": "oauth"})


def test_protected_resource_metadata() -> None:
    metadata = json.dumps(
        {
            "resource": RESOURCE,
            "authorizationServers": [{"issuer": "https://as.example.com"}],
            "scopesSupported": ["mcp:read", "offline_access"],
            "resourceName": "Todo",
        }
    )
    url, document = native.protected_resource_metadata(json.dumps({"metadata": metadata}))
    assert url == PRM
    # The exact text served: resource first, snake_case in the option's order.
    assert document == (
        '{"resource":"https://mcp.example.com/mcp","resource_name":"Todo",'
        '"authorization_servers":["https://as.example.com"],"scopes_supported":["mcp:read"],'
        '"bearer_methods_supported":["header"]}'
    )
    with pytest.raises(NativeAuthError) as caught:
        native.protected_resource_metadata(json.dumps({"metadata": metadata, "x": 1}))
    assert caught.value.code == "invalid_config"
    assert native.protected_resource_metadata_url(f"{RESOURCE}?v=1#frag") == f"{PRM}?v=1"
    with pytest.raises(NativeAuthError):
        native.protected_resource_metadata_url("not a url")


def test_tables() -> None:
    codes = dict(native.error_codes())
    assert codes["expired"] == "token"
    assert codes["jwks_unavailable"] == "infrastructure"
    assert codes["dpop_nonce_required"] == "nonce"
    assert len(codes) == len(native.error_codes())
    descriptions = native.token_error_descriptions()
    assert descriptions["expired"] == "The access token has expired."
    assert set(descriptions) <= set(codes)


def test_checks() -> None:
    native.check_server_url("http://127.0.0.1:8080/mcp", "resource")
    native.check_server_url("https://as.example.com", "issuer")
    with pytest.raises(NativeAuthError) as caught:
        native.check_server_url("http://evil.example/mcp", "resource")
    assert caught.value.code == "invalid_config"
    assert "resource" in caught.value.reason
    with pytest.raises(NativeAuthError) as caught:
        native.check_server_url("https://as.example/?q", "issuer")
    assert "issuer" in caught.value.reason
    assert native.normalize_audience("HTTPS://MCP.Example.com:443") == "https://mcp.example.com/"
    assert native.check_bearer_limits(json.dumps({"audiences": False})) == 8192
    limits = {"audiences": [RESOURCE], "maxTokenLength": 100}
    assert native.check_bearer_limits(json.dumps(limits)) == 100
    with pytest.raises(NativeAuthError) as caught:
        native.check_bearer_limits(json.dumps({"audiences": [], "maxTokenLength": 100}))
    assert "audience" in caught.value.reason


def test_compile_scope_hierarchy() -> None:
    def entry(scope: str, *implied: str) -> dict[str, Any]:
        return {"scope": scope, "implies": [{"scope": s} for s in implied]}

    options = {"option": "scopeHierarchy", "entries": [entry("a", "b", "b"), entry("b", "c")]}
    assert native.compile_scope_hierarchy(json.dumps(options)) == [("a", ["b"]), ("b", ["c"])]
    cycle = {"option": "scopeHierarchy", "entries": [entry("a", "b"), entry("b", "a")]}
    with pytest.raises(NativeAuthError) as caught:
        native.compile_scope_hierarchy(json.dumps(cycle))
    assert caught.value.code == "invalid_config"
    assert "scopeHierarchy" in caught.value.reason
