"""`npm run demo:python`: the whole MCP authorization flow in Python, on 127.0.0.1.

It starts the embedded authorization server (the Node demo's oidc-provider,
authorization-server.mjs) and the tutorial's todo manager on the official
Python SDK behind mcp-auth-rs (server.py), then signs in with the official
Python client's OAuth support (``mcp.client.auth.OAuthClientProvider``: 401,
metadata, registration, PKCE, token) as "user" and as "admin", calls the tools,
and steps up on a 403 ``insufficient_scope``: refused while the account policy
says no, granted after it changes. The user's first session starts anonymous
(per-tool authorization): it lists the tools and calls the public ``about``
without signing in; its first protected call starts OAuth and is retried.
Prints each step; exit status 0 when every check passed.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import anyio
import httpx
import uvicorn
from browser import AuthorizationRefused, Browser
from mcp import ClientSession
from mcp.client.auth import OAuthClientProvider, TokenStorage
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.auth import OAuthClientInformationFull, OAuthClientMetadata, OAuthToken
from server import create_app

REDIRECT_URI = (
    "http://127.0.0.1:53682/callback"  # never contacted: the browser stops there
)


def out(line: str = "") -> None:
    print(line, flush=True)


class Checks:
    def __init__(self) -> None:
        self.results: list[tuple[bool, str]] = []

    def expect(self, ok: object, description: str) -> None:
        self.results.append((bool(ok), description))
        out(f"  {'✔' if ok else '✘'} {description}")


class AuthorizationServer:
    """authorization-server.mjs in a child process, one JSON line per command."""

    def __init__(self) -> None:
        node = shutil.which("node")
        if node is None:
            raise RuntimeError(
                "The demo's authorization server needs Node.js (node on PATH)."
            )
        self.process = subprocess.Popen(
            [node, str(HERE / "authorization-server.mjs")],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.issuer: str = self._read()["issuer"]

    def _read(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(
                "The authorization server exited (is `npm install` done?)."
            )
        value: dict[str, Any] = json.loads(line)
        return value

    def command(self, **command: Any) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(command) + "\n")
        self.process.stdin.flush()
        answer = self._read()
        if not answer.get("ok"):
            raise RuntimeError(f"Authorization server: {answer.get('error')}")

    def close(self) -> None:
        if self.process.stdin:
            self.process.stdin.close()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()


class Memory(TokenStorage):
    """The client's token and registration storage, in memory."""

    def __init__(self) -> None:
        self.tokens: OAuthToken | None = None
        self.client: OAuthClientInformationFull | None = None

    async def get_tokens(self) -> OAuthToken | None:
        return self.tokens

    async def set_tokens(self, tokens: OAuthToken) -> None:
        self.tokens = tokens

    async def get_client_info(self) -> OAuthClientInformationFull | None:
        return self.client

    async def set_client_info(self, client_info: OAuthClientInformationFull) -> None:
        self.client = client_info


class Account:
    """One person's MCP client: the SDK's OAuth provider plus the scripted browser."""

    def __init__(self, name: str, mcp_url: str, issuer: str) -> None:
        self.name = name
        self.mcp_url = mcp_url
        self.browser = Browser(name, REDIRECT_URI, issuer, self.log)
        self.storage = Memory()
        self.provider = OAuthClientProvider(
            server_url=mcp_url,
            client_metadata=OAuthClientMetadata(
                client_name=f"python demo ({name})",
                redirect_uris=[REDIRECT_URI],  # type: ignore[list-item]
                grant_types=["authorization_code"],
                response_types=["code"],
                token_endpoint_auth_method="none",
            ),
            storage=self.storage,
            redirect_handler=self.browser.redirect_handler,
            callback_handler=self.browser.callback_handler,
        )
        #: (what, HTTP status) of every request the client sent, in order.
        self.exchanges: list[tuple[str, int, dict[str, Any]]] = []

    def log(self, line: str) -> None:
        out(f"    [{self.name}] {line}")

    @property
    def claims(self) -> dict[str, Any]:
        token = self.storage.tokens.access_token if self.storage.tokens else ""
        payload = token.split(".")[1] if token.count(".") == 2 else ""
        try:
            decoded: dict[str, Any] = json.loads(
                base64.urlsafe_b64decode(payload + "===")
            )
            return decoded
        except ValueError:
            return {}

    async def _observe(self, response: httpx.Response) -> None:
        request = response.request
        what = f"{request.method} {request.url.path}"
        extra: dict[str, Any] = {}
        if str(request.url) == self.mcp_url and request.content:
            message = json.loads(request.content)
            method = message.get("method", "?")
            if method == "notifications/initialized":
                return
            tool = (
                message.get("params", {}).get("name")
                if method == "tools/call"
                else None
            )
            what = f"MCP {method}{' ' + tool if tool else ''}"
            extra["tool"] = tool
        if request.url.path.endswith("/token"):
            extra["grant_type"] = dict(httpx.QueryParams(request.content.decode())).get(
                "grant_type"
            )
        challenge = response.headers.get("www-authenticate")
        extra["challenge"] = challenge
        self.exchanges.append((what, response.status_code, extra))
        if what in ("MCP initialize", "MCP tools/list") and response.status_code == 200:
            return  # every call opens a connection (stateless); the client also lists tools
        self.log(
            f"{what} → {response.status_code}" + (f"  {challenge}" if challenge else "")
        )

    async def explore(self) -> tuple[dict[str, Any], Any, Any]:
        """One session: list the tools and call ``about`` (anonymous), then
        create a todo (a protected tool: signs in, then the call is retried).
        Returns (each tool's ``_meta``, about's answer, the created todo)."""
        web = httpx.AsyncClient(
            auth=self.provider, timeout=30, event_hooks={"response": [self._observe]}
        )
        async with (
            web,
            streamable_http_client(self.mcp_url, http_client=web) as streams,
            ClientSession(streams[0], streams[1]) as session,
        ):
            await session.initialize()
            listed = await session.list_tools()
            metas = {tool.name: tool.meta for tool in listed.tools}
            about = await session.call_tool("about", {})
            self.log(f"about (no token) → {about.structuredContent}")
            created = await session.call_tool("create-todo", {"content": "Buy milk"})
        return metas, about.structuredContent, created.structuredContent

    async def call(self, tool: str, arguments: dict[str, Any] | None = None) -> Any:
        """The tool's structured result, or ``("http", status)`` when the transport got one."""
        web = httpx.AsyncClient(
            auth=self.provider, timeout=30, event_hooks={"response": [self._observe]}
        )
        try:
            async with (
                web,
                streamable_http_client(self.mcp_url, http_client=web) as streams,
                ClientSession(streams[0], streams[1]) as session,
            ):
                await session.initialize()
                result = await session.call_tool(tool, arguments or {})
        except Exception as error:  # the SDK surfaces a final 4xx as an exception group
            refused = _refusal(error)
            if refused is not None:
                self.log(
                    f"{tool}: the step-up was refused ({refused.error}); the call is not retried"
                )
                return ("refused", refused.error)
            status = _http_status(error)
            if status is None:
                raise
            self.log(f"{tool}: the client gave up with HTTP {status}")
            return ("http", status)
        if result.isError:
            return ("error", result.content[0].text if result.content else "")  # type: ignore[union-attr]
        value = result.structuredContent
        if value is not None and set(value) == {"result"}:
            value = value["result"]
        return value


def _refusal(error: BaseException) -> AuthorizationRefused | None:
    if isinstance(error, AuthorizationRefused):
        return error
    for inner in getattr(error, "exceptions", ()):
        found = _refusal(inner)
        if found is not None:
            return found
    cause = error.__cause__ or error.__context__
    return _refusal(cause) if cause is not None else None


def _http_status(error: BaseException) -> int | None:
    if isinstance(error, httpx.HTTPStatusError):
        return error.response.status_code
    for inner in getattr(error, "exceptions", ()):
        status = _http_status(inner)
        if status is not None:
            return status
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def section(title: str) -> None:
    out(f"── {title} {'─' * max(0, 66 - len(title))}")


async def scenario(
    issuer: str, mcp_url: str, resource: str, todos: Any, auth: AuthorizationServer
) -> Checks:
    checks = Checks()
    expect = checks.expect

    section("user, anonymous: list the tools, call the public one")
    user = Account("user", mcp_url, issuer)
    metas, about, milk = await user.explore()
    first = next(i for i, (_, status, _) in enumerate(user.exchanges) if status == 401)
    anonymous = user.exchanges[:first]
    expect(
        metas.get("about") == {"securitySchemes": [{"type": "noauth"}]}
        and all(
            metas.get(name) == {"securitySchemes": [{"type": "oauth2", "scopes": []}]}
            for name in ("create-todo", "get-todos", "delete-todo")
        ),
        "tools/list without a token; each descriptor has _meta.securitySchemes",
    )
    expect(
        isinstance(about, dict)
        and about.get("signedInAs") is None
        # Everything the client sent before the first 401: no authorization server request.
        and [w for w, _, _ in anonymous]
        == ["MCP initialize", "MCP tools/list", "MCP tools/call about"],
        "the public tool answers without a token, no authorization server traffic",
    )

    section("user's first protected call: 401 → metadata → registration → PKCE → token")
    what, _, extra = user.exchanges[first]
    expect(
        what == "MCP tools/call create-todo"
        and "resource_metadata=" in (extra["challenge"] or ""),
        "create-todo without a token: 401 with a resource_metadata challenge",
    )
    expect(
        any(
            w.startswith("GET /.well-known/oauth-protected-resource") and s == 200
            for w, s, _ in user.exchanges
        ),
        "the client read the protected resource metadata",
    )
    expect(
        any(w == "POST /reg" and s == 201 for w, s, _ in user.exchanges),
        "the client registered itself (RFC 7591)",
    )
    expect(
        user.claims.get("scope") == "create:todos"
        and user.claims.get("aud") == resource,
        "user token: scope create:todos, aud = the MCP server",
    )
    expect(
        isinstance(milk, dict)
        and milk.get("ownerId") == "user"
        and [s for w, s, _ in user.exchanges if w == "MCP tools/call create-todo"]
        == [401, 200],
        "the call is retried in the same session with the token: user creates a todo",
    )

    section("admin signs in")
    admin = Account("admin", mcp_url, issuer)
    review = await admin.call("create-todo", {"content": "Review the quarterly report"})
    expect(
        admin.claims.get("scope") == "create:todos read:todos delete:todos",
        "admin token: scope create:todos read:todos delete:todos",
    )
    expect(
        isinstance(review, dict) and review.get("ownerId") == "admin",
        "admin creates a todo",
    )

    section("user: own todos only")
    listed = await user.call("get-todos")
    expect(
        [t["id"] for t in listed["todos"]] == [milk["id"]],
        "user sees only their own todo",
    )
    plants = await user.call("create-todo", {"content": "Water the plants"})
    logins = user.browser.logins
    own = await user.call("delete-todo", {"id": plants["id"]})
    expect(
        own.get("message") == f"Todo {plants['id']} deleted"
        and user.browser.logins == logins,
        "user deletes their own todo, no step-up needed",
    )

    section("user: delete admin's todo → 403 → step-up → refused")
    mark, logins = len(user.exchanges), user.browser.logins
    refused = await user.call("delete-todo", {"id": review["id"]})
    calls = [s for w, s, e in user.exchanges[mark:] if e.get("tool") == "delete-todo"]
    challenge = (
        next((e["challenge"] for w, s, e in user.exchanges[mark:] if s == 403), "")
        or ""
    )
    expect(
        'error="insufficient_scope"' in challenge and "resource_metadata=" in challenge,
        "the tool's demand: 403 insufficient_scope with resource_metadata",
    )
    expect(
        user.browser.logins == logins + 1
        and "delete:todos" in user.browser.scopes_asked,
        "the SDK re-authorized, asking for delete:todos",
    )
    expect(
        'scope="delete:todos"' in challenge,
        "the 403 names the scope the tool demanded",
    )
    expect(
        calls == [403]
        and refused == ("refused", "access_denied")
        and todos.get_todo_by_id(review["id"]),
        "delete:todos refused by the account policy (access_denied): no retry, admin's todo stays",
    )

    section("admin: all todos")
    every = await admin.call("get-todos")
    expect(
        {t["id"] for t in every["todos"]} == {milk["id"], review["id"]},
        "admin sees every todo",
    )
    logins = admin.browser.logins
    gone = await admin.call("delete-todo", {"id": milk["id"]})
    expect(
        gone.get("details", {}).get("ownerId") == "user"
        and admin.browser.logins == logins,
        "admin deletes the user's todo, no step-up needed",
    )

    section("an administrator lets user have delete:todos; the same call again")
    auth.command(grant={"account": "user", "scopes": ["delete:todos"]})
    user.log('authorization server: account "user" may now be granted delete:todos')
    mark = len(user.exchanges)
    granted = await user.call("delete-todo", {"id": review["id"]})
    calls = [s for w, s, e in user.exchanges[mark:] if e.get("tool") == "delete-todo"]
    expect(
        calls == [403, 200],
        "the old token gets 403; after the step-up the call is sent once more: 200",
    )
    expect(
        "delete:todos" in user.claims.get("scope", "").split(),
        "step-up: the new token has delete:todos",
    )
    expect(
        isinstance(granted, dict)
        and granted.get("message") == f"Todo {review['id']} deleted"
        and todos.get_todo_by_id(review["id"]) is None,
        "the retried call deletes admin's todo",
    )
    return checks


async def run(auth: AuthorizationServer) -> int:
    port = _free_port()
    resource = f"http://127.0.0.1:{port}/mcp"
    auth.command(resource=resource)
    app, todos = create_app(auth.issuer, resource)
    logging.getLogger().setLevel(
        logging.WARNING
    )  # FastMCP sets INFO: keep the transcript readable
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    )
    out(
        "mcp-auth-rs Python demo: the tutorial's todo manager on the official Python SDK, end to end on 127.0.0.1"
    )
    out(
        f"  authorization server  {auth.issuer}  (oidc-provider; accounts: user → create:todos, admin → all todo scopes)"
    )
    out(
        f"  MCP server            {resource}  (FastMCP, mcp {_version('mcp')}, protected by mcp-auth-rs)"
    )
    async with anyio.create_task_group() as group:
        group.start_soon(server.serve)
        while not server.started:
            await anyio.sleep(0.02)
        try:
            with anyio.fail_after(120):
                checks = await scenario(auth.issuer, resource, resource, todos, auth)
        finally:
            server.should_exit = True
    failed = [d for ok, d in checks.results if not ok]
    out()
    if failed:
        out(
            f"{len(failed)} of {len(checks.results)} checks FAILED: {'; '.join(failed)}"
        )
        return 1
    out(
        f"All {len(checks.results)} checks passed in {time.monotonic() - STARTED:.2f} s."
    )
    return 0


def _version(name: str) -> str:
    from importlib.metadata import version

    return version(name)


STARTED = time.monotonic()

if __name__ == "__main__":
    os.chdir(HERE)
    authorization_server = AuthorizationServer()
    try:
        code = anyio.run(run, authorization_server)
    finally:
        authorization_server.close()
    sys.exit(code)
