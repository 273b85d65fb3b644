"""A signed-in browser for the code-flow benchmark: cookies, sign-in and one consent, by hand.

Plain http.client, one request per connection, every hop checked; nothing here is timed.
"""

from __future__ import annotations

import base64
import hashlib
import http.client
import re
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlencode, urlsplit

__all__ = ["BrowserSession", "CodeFlow"]

_HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')


@dataclass
class BrowserSession:
    host: str
    port: int
    cookies: dict[str, str] = field(default_factory=dict)

    def request(
        self, method: str, path: str, form: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], str]:
        conn = http.client.HTTPConnection(self.host, self.port, timeout=10)
        try:
            headers = {"Cookie": self.cookie_header} if self.cookies else {}
            body = None
            if form is not None:
                body = urlencode(form)
                headers["Content-Type"] = "application/x-www-form-urlencoded"
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            for name, value in response.getheaders():
                if name.lower() == "set-cookie":
                    pair = value.split(";", 1)[0]
                    key, _, val = pair.partition("=")
                    self.cookies[key.strip()] = val.strip().strip('"')
            found = {k.lower(): v for k, v in response.getheaders()}
            return response.status, found, response.read().decode("utf-8", "replace")
        finally:
            conn.close()

    @property
    def cookie_header(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items() if v)

    def sign_in(self, username: str, password: str) -> None:
        status, _, page = self.request("GET", "/login")
        fields = dict(_HIDDEN.findall(page))
        form = {**fields, "username": username, "password": password, "next": "/account"}
        status, _, _ = self.request("POST", "/login", form)
        if status != 303 or "stint_session" not in self.cookies:
            raise RuntimeError(f"signing in failed with {status}")


@dataclass(frozen=True)
class CodeFlow:
    """One client's code flow with PKCE and a nonce, the same for every iteration."""

    client_id: str
    client_secret: str
    redirect_uri: str
    scope: str = "openid profile activities:read"
    verifier: str = "bench-verifier-" + "v" * 40

    @property
    def authorize_path(self) -> str:
        digest = hashlib.sha256(self.verifier.encode()).digest()
        challenge = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
        query = {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": self.redirect_uri,
            "scope": self.scope,
            "state": "bench",
            "nonce": "bench-nonce",
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
        return "/o/authorize/?" + urlencode(query)

    @property
    def token_form(self) -> str:
        return urlencode(
            {
                "grant_type": "authorization_code",
                "redirect_uri": self.redirect_uri,
                "code_verifier": self.verifier,
            }
        )

    @property
    def basic_auth(self) -> str:
        pair = f"{self.client_id}:{self.client_secret}".encode()
        return "Basic " + base64.b64encode(pair).decode()

    def consent(self, browser: BrowserSession) -> str:
        """Ask once and approve on the consent page; returns the first code."""
        status, _, page = browser.request("GET", self.authorize_path)
        if status != 200:
            raise RuntimeError(f"expected the consent page, got {status}")
        form = {**dict(_HIDDEN.findall(page)), "decision": "approve"}
        status, headers, _ = browser.request("POST", "/o/authorize/", form)
        return self.code_from(status, headers)

    def next_code(self, browser: BrowserSession) -> str:
        status, headers, _ = browser.request("GET", self.authorize_path)
        return self.code_from(status, headers)

    def code_from(self, status: int, headers: dict[str, str]) -> str:
        location = headers.get("location", "")
        codes = parse_qs(urlsplit(location).query).get("code")
        if status not in (302, 303) or not codes:
            raise RuntimeError(f"expected a redirect with a code, got {status} {location[:80]}")
        return codes[0]
