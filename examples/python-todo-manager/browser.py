"""The one scripted part of the demo: the user's browser, as the client's
redirect handler. It loads the authorization URL, submits the demo login
page's form for the chosen account, follows redirects to the client's
redirect URI and keeps ``code`` and ``state`` for the callback handler
(checking ``iss``, RFC 9207). Nothing listens on the redirect URI.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx

_FORM = re.compile(
    r'<form\b[^>]*\bid="login"[^>]*>(.*?)</form>', re.DOTALL | re.IGNORECASE
)
_ACTION = re.compile(r'\baction="([^"]*)"', re.IGNORECASE)
_ACCOUNT = re.compile(
    r'<button\b[^>]*\bname="login"[^>]*\bvalue="([^"]*)"', re.IGNORECASE
)


class AuthorizationRefused(Exception):
    """The authorization server answered the redirect with an error (e.g. ``access_denied``)."""

    def __init__(self, error: str) -> None:
        super().__init__(f"the authorization server refused: {error}")
        self.error = error


class Browser:
    """Signs in as ``account`` whenever the client sends the user to authorize."""

    def __init__(
        self, account: str, redirect_uri: str, issuer: str, log: Callable[[str], None]
    ) -> None:
        self.account = account
        self.redirect_uri = redirect_uri
        self.issuer = issuer
        self.log = log
        self.logins = 0
        self.scopes_asked: list[str] = []
        self._callback: tuple[str, str | None] | None = None

    async def redirect_handler(self, authorization_url: str) -> None:
        query = parse_qs(urlsplit(authorization_url).query)
        self.scopes_asked = query.get("scope", [""])[0].split()
        self.log(
            f"browser → GET /auth?response_type=code&code_challenge_method="
            f"{query.get('code_challenge_method', ['?'])[0]}&resource={query.get('resource', ['?'])[0]}"
            f"&scope={' '.join(self.scopes_asked)}&state=…"
        )
        # A fresh browser each time: no session, so the login page shows.
        async with httpx.AsyncClient(follow_redirects=False, timeout=10) as web:
            url = _next(await web.get(authorization_url), authorization_url)
            page = await web.get(url)
            if page.status_code != 200:
                raise RuntimeError(f"The login page answered {page.status_code}.")
            action, accounts = _login_form(page.text, url)
            if self.account not in accounts:
                raise RuntimeError(
                    f"The login page offers {accounts}, not {self.account}."
                )
            url = _next(await web.post(action, data={"login": self.account}), action)
            for _ in range(5):
                if url.startswith(self.redirect_uri):
                    break
                url = _next(await web.get(url), url)
            else:
                raise RuntimeError("Too many redirects after login.")
        callback = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
        if "error" in callback:
            self.logins += 1
            self.log(
                f"browser: login page → POST /interaction/…/login login={self.account} → {callback['error']}"
            )
            raise AuthorizationRefused(callback["error"])
        if callback.get("iss", self.issuer) != self.issuer:
            raise RuntimeError(
                "The callback's iss is not the authorization server's issuer."
            )
        self.logins += 1
        self.log(
            f"browser: login page → POST /interaction/…/login login={self.account} → redirect"
        )
        self.log(
            f"callback: code received, iss {'matches' if 'iss' in callback else 'absent'}"
        )
        self._callback = (callback["code"], callback.get("state"))

    async def callback_handler(self) -> tuple[str, str | None]:
        if self._callback is None:
            raise RuntimeError("No authorization response yet.")
        code_and_state, self._callback = self._callback, None
        return code_and_state


def _next(response: httpx.Response, base: str) -> str:
    location: str | None = response.headers.get("location")
    if not 300 <= response.status_code < 400 or not location:
        raise RuntimeError(f"Expected a redirect, got {response.status_code}.")
    return urljoin(base, location)


def _login_form(page: str, url: str) -> tuple[str, list[str]]:
    form = _FORM.search(page)
    action = _ACTION.search(form.group(0)) if form else None
    if form is None or action is None:
        raise RuntimeError("No login form on the login page.")
    return urljoin(url, html.unescape(action.group(1))), _ACCOUNT.findall(form.group(1))
