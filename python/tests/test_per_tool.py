"""Per-tool authorization (``operations``) on the ASGI middleware, over real
HTTP (uvicorn on 127.0.0.1): which operations pass without a token, the
challenges of protected ones, batches, the body refusals, the body the app
reads afterwards, the tool-result signal and GET/DELETE."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import anyio
import pytest
from authserver import AuthServer
from per_tool_kit import (
    RESOURCE,
    Served,
    challenge,
    post,
    rpc,
    rpc_error,
    send,
    serve_gate,
    tool_call,
)

from mcp_auth_rs.exceptions import (
    MCPAuthTokenVerificationException,
    MCPAuthTokenVerificationExceptionCode,
)
from mcp_auth_rs.middleware.asgi import Message

NOT_JSON = "Unsupported Media Type: Content-Type must be application/json"
TOO_LARGE = "Payload Too Large: the body exceeds maxBodyBytes"


@pytest.fixture(scope="module")
def served(issuer: AuthServer) -> Iterator[Served]:
    with serve_gate(issuer) as running:
        yield running


@pytest.fixture()
def gate(served: Served) -> Served:
    """The module's app with this test's records only."""
    served.seen.clear()
    served.events.clear()
    return served


def test_a_public_tool_passes_without_a_token_and_the_app_sees_no_identity(gate: Served) -> None:
    for body in (tool_call("about"), rpc("initialize", {}), rpc("tools/list")):
        response = post(gate, body)
        assert response.status_code == 200, body
        assert gate.seen[-1]["subject"] is None and gate.seen[-1]["state_auth"] is False
    # An anonymous pass is neither a verification nor a refusal: no event.
    assert gate.events == []


def test_a_token_on_a_public_tool_is_still_verified(gate: Served, issuer: AuthServer) -> None:
    garbage = post(gate, tool_call("about"), token="not-a-token")
    assert garbage.status_code == 401
    assert 'error="invalid_token"' in garbage.headers["www-authenticate"]
    assert gate.seen == []
    # A valid token without the route's scope: the identity is set, no scope is checked.
    token = issuer.token(RESOURCE, subject="alice", scope="other")
    passed = post(gate, tool_call("about"), token=token)
    assert passed.status_code == 200
    assert gate.seen[-1]["subject"] == "alice" and gate.seen[-1]["state_auth"] is True


def test_a_protected_tool_without_a_token_names_its_scopes(gate: Served) -> None:
    missing = post(gate, tool_call("delete-todo"))
    assert missing.status_code == 401
    assert missing.headers["www-authenticate"] == challenge("mcp todos:delete")
    # 'protected' is the route's scopes alone; an undeclared tool gets `default` (protected).
    for name in ("whoami", "not-declared"):
        refused = post(gate, tool_call(name))
        assert refused.status_code == 401
        assert refused.headers["www-authenticate"] == challenge("mcp")
    assert gate.seen == []


def test_too_few_scopes_is_403_and_the_hierarchy_applies(gate: Served, issuer: AuthServer) -> None:
    reader = issuer.token(RESOURCE, subject="bob", scope="mcp todos:read")
    forbidden = post(gate, tool_call("delete-todo"), token=reader)
    assert forbidden.status_code == 403
    header = forbidden.headers["www-authenticate"]
    assert 'error="insufficient_scope"' in header and 'scope="mcp todos:delete"' in header
    assert post(gate, tool_call("get-todos"), token=reader).status_code == 200
    # todos:admin implies todos:delete (the resource's scope hierarchy).
    admin = issuer.token(RESOURCE, subject="carol", scope="mcp todos:admin")
    assert post(gate, tool_call("delete-todo"), token=admin).status_code == 200
    assert [seen["subject"] for seen in gate.seen] == ["bob", "carol"]


def test_a_batch_passes_only_when_every_item_does(gate: Served, issuer: AuthServer) -> None:
    public = [tool_call("about", 1), rpc("tools/list", id=2), {"jsonrpc": "2.0", "method": "ping"}]
    assert post(gate, public).status_code == 200
    assert gate.seen[-1]["subject"] is None
    mixed = [tool_call("about", 1), tool_call("get-todos", 2), tool_call("delete-todo", 3)]
    refused = post(gate, mixed)
    assert refused.status_code == 401
    # The union of the protected items' scopes, the route's first.
    assert refused.headers["www-authenticate"] == challenge("mcp todos:read todos:delete")
    reader = issuer.token(RESOURCE, scope="mcp todos:read")
    assert post(gate, mixed, token=reader).status_code == 403
    both = issuer.token(RESOURCE, subject="dave", scope="mcp todos:read todos:delete")
    assert post(gate, mixed, token=both).status_code == 200
    assert gate.seen[-1]["subject"] == "dave"


@pytest.mark.parametrize(
    ("body", "content_type", "status", "answer"),
    [
        (b'{"jsonrpc":"2.0"}', "text/plain", 415, rpc_error(-32000, NOT_JSON)),
        (b"{}", None, 415, rpc_error(-32000, NOT_JSON)),
        (b"{not json", "application/json", 400, rpc_error(-32700, "Parse error: Invalid JSON")),
        (b"", "application/json", 400, rpc_error(-32700, "Parse error: Invalid JSON")),
        (b"\xff\xfe", "application/json", 400, rpc_error(-32700, "Parse error: Invalid JSON")),
        (
            b'{"jsonrpc":"2.0","id":1,"method":"tools/call","method":"tools/list"}',
            "application/json",
            400,
            rpc_error(-32700, "Parse error: Invalid JSON"),
        ),
        (b"5", "application/json", 400, rpc_error(-32600, "Invalid Request")),
        (b"[]", "application/json", 400, rpc_error(-32600, "Invalid Request")),
        (b"[1]", "application/json", 400, rpc_error(-32600, "Invalid Request")),
        (
            b'{"jsonrpc":"2.0","id":1,"method":7}',
            "application/json",
            400,
            rpc_error(-32600, "Invalid Request"),
        ),
        (
            json.dumps([{}] * 101).encode(),  # more than 100 items (within the size bound)
            "application/json",
            400,
            rpc_error(-32600, "Invalid Request"),
        ),
    ],
)
def test_a_body_it_cannot_judge_is_refused_before_the_token(
    gate: Served,
    issuer: AuthServer,
    body: bytes,
    content_type: str | None,
    status: int,
    answer: dict[str, Any],
) -> None:
    headers = {"Content-Type": content_type} if content_type else {"Content-Type": ""}
    # Even with a valid token: the body is judged first.
    token = issuer.token(RESOURCE, scope="mcp todos:read todos:delete")
    for sent in (None, token):
        refused = post(gate, body, token=sent, headers=headers)
        assert refused.status_code == status
        assert refused.headers["content-type"].startswith("application/json")
        assert "www-authenticate" not in refused.headers
        assert refused.json() == answer
    assert gate.seen == []


def test_a_json_content_type_with_parameters_is_json(gate: Served) -> None:
    headers = {"Content-Type": "Application/JSON; charset=utf-8"}
    assert post(gate, tool_call("about"), headers=headers).status_code == 200


def test_413_by_content_length_and_by_the_bytes_read(gate: Served) -> None:
    # max_body_bytes is 2048 here.
    big = json.dumps(tool_call("about") | {"pad": "x" * 3000}).encode()
    declared = post(gate, big)
    assert declared.status_code == 413
    assert declared.json() == rpc_error(-32000, TOO_LARGE)
    assert "www-authenticate" not in declared.headers

    def chunks() -> Iterator[bytes]:
        for start in range(0, len(big), 500):
            yield big[start : start + 500]

    streamed = post(gate, chunks())
    assert streamed.request.headers.get("transfer-encoding") == "chunked"
    assert "content-length" not in streamed.request.headers
    assert streamed.status_code == 413 and streamed.json() == rpc_error(-32000, TOO_LARGE)
    assert gate.seen == []
    rejected = [e for e in gate.events if e["type"] == "rejected"]
    assert [(e["status"], e["error"], e["reason"]) for e in rejected] == [
        (413, "invalid_request", "body_too_large")
    ] * 2


def test_the_app_reads_the_very_bytes_that_were_judged(gate: Served, issuer: AuthServer) -> None:
    # Odd spacing, escapes and non-ASCII text: the app must get these bytes, not a re-encoding.
    body = (
        b'  {"jsonrpc" : "2.0", "id":"\\u00e9t\xc3\xa9", "method":"tools/call",'
        b'\n "params": {"name":"about", "arguments": {"q": "caf\xc3\xa9 \\"x\\""}}}  '
    )

    def chunks() -> Iterator[bytes]:
        for start in range(0, len(body), 7):
            yield body[start : start + 7]

    assert post(gate, body).status_code == 200
    assert post(gate, chunks()).status_code == 200
    token = issuer.token(RESOURCE, subject="erin", scope="mcp")
    assert post(gate, body, token=token).status_code == 200
    assert [seen["body"] for seen in gate.seen] == [body, body, body]


def test_get_and_delete_follow_initialize(gate: Served, issuer: AuthServer) -> None:
    # `initialize` is public (discovery's default): the SDK clients' GET stream opens anonymously.
    for method in ("GET", "DELETE"):
        assert send(gate, method).status_code == 200
        assert gate.seen[-1] == {"subject": None, "state_auth": False, "body": b""}
    token = issuer.token(RESOURCE, subject="frank", scope="other")
    assert send(gate, "GET", token).status_code == 200
    assert gate.seen[-1]["subject"] == "frank"
    assert send(gate, "GET", "garbage").status_code == 401


def test_get_is_protected_when_initialize_is(issuer: AuthServer) -> None:
    operations = {"methods": {"initialize": ["todos:read"]}}
    with serve_gate(issuer, operations=operations) as strict:
        refused = send(strict, "GET")
        assert refused.status_code == 401
        assert refused.headers["www-authenticate"] == challenge("mcp todos:read")
        assert post(strict, rpc("initialize", {})).status_code == 401
        # tools/list keeps discovery's rule.
        assert post(strict, rpc("tools/list")).status_code == 200


def test_the_tool_result_signal(issuer: AuthServer) -> None:
    operations = {
        "tools": {"about": "public", "delete-todo": ["todos:delete"]},
        "signal": "tool-result",
    }
    with serve_gate(issuer, operations=operations) as result_mode, serve_gate(issuer) as http_mode:
        reader = issuer.token(RESOURCE, scope="mcp")
        for token in (None, reader):
            for raw_id in ('"abc"', "123456789012345678901234567890"):
                body = (
                    b'{"jsonrpc":"2.0","id":'
                    + raw_id.encode()
                    + b',"method":"tools/call","params":{"name":"delete-todo"}}'
                )
                answered = post(result_mode, body, token=token)
                http = post(http_mode, body, token=token)
                assert http.status_code == (401 if token is None else 403)
                description = http.json()["error_description"]
                expected = (
                    '{"jsonrpc":"2.0","id":'
                    + raw_id
                    + ',"result":{"content":[{"type":"text","text":'
                    + json.dumps(description)
                    + '}],"isError":true,"_meta":{"mcp/www_authenticate":['
                    + json.dumps(http.headers["www-authenticate"])
                    + ']},"resultType":"complete"}}'
                )
                assert answered.status_code == 200
                assert answered.headers["content-type"] == "application/json"
                assert "www-authenticate" not in answered.headers
                assert answered.content == expected.encode()
        assert result_mode.seen == []
        # A batch, a notification and another method keep the HTTP answer.
        assert post(result_mode, [tool_call("delete-todo")]).status_code == 401
        notification = {"jsonrpc": "2.0", "method": "tools/call", "params": {"name": "delete-todo"}}
        assert post(result_mode, notification).status_code == 401
        assert post(result_mode, rpc("prompts/get", {"name": "p"})).status_code == 401
        # Still a refusal for the events.
        rejected = [e for e in result_mode.events if e["type"] == "rejected"]
        assert rejected[0]["reason"] == "missing_authorization"


def test_a_client_gone_mid_body_gets_nothing(served: Served) -> None:
    """Straight ASGI: the client disconnects before the body ends."""
    messages: list[Message] = [
        {"type": "http.request", "body": b'{"jsonrpc":', "more_body": True},
        {"type": "http.disconnect"},
    ]
    sent: list[Message] = []
    called: list[bool] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        called.append(True)

    async def receive() -> Message:
        return messages.pop(0)

    async def record(message: Message) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/mcp",
        "raw_path": b"/mcp",
        "query_string": b"",
        "headers": [(b"content-type", b"application/json")],
    }
    anyio.run(served.bearer(app), scope, receive, record)
    assert sent == [] and called == []


def test_a_custom_verifiers_refusal_takes_the_operations_signal(issuer: AuthServer) -> None:
    def verify(token: str) -> Any:
        raise MCPAuthTokenVerificationException(MCPAuthTokenVerificationExceptionCode.INVALID_TOKEN)

    operations = {"tools": {"about": "public"}, "signal": "tool-result"}
    with serve_gate(issuer, verify, operations=operations) as custom:
        answered = post(custom, tool_call("delete-todo", "r1"), token="opaque")
        assert answered.status_code == 200
        result = answered.json()
        assert result["id"] == "r1" and result["result"]["isError"] is True
        [header] = result["result"]["_meta"]["mcp/www_authenticate"]
        assert 'error="invalid_token"' in header
        # Another method with that token: the same refusal, as HTTP.
        assert post(custom, rpc("tools/list"), token="opaque").status_code == 401
        assert custom.seen == []


def test_a_declared_length_over_the_bound_is_refused_unread(served: Served) -> None:
    """Straight ASGI: Content-Length over max_body_bytes (2048) is 413 before any receive()."""
    sent: list[Message] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        raise AssertionError("the app must not run")

    async def receive() -> Message:
        raise AssertionError("the body must not be read")

    async def record(message: Message) -> None:
        sent.append(message)

    headers = [(b"content-type", b"application/json"), (b"content-length", b"2049")]
    scope = {"type": "http", "method": "POST", "path": "/mcp", "headers": headers}
    anyio.run(served.bearer(app), scope, receive, record)
    assert sent[0]["status"] == 413
    assert json.loads(sent[1]["body"]) == rpc_error(-32000, TOO_LARGE)
