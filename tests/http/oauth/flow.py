"""Driving the browser side of the authorization code flow in-process, and the token step.

A ``browser`` is an httpx client over the app with its own cookie jar; each signed-in user needs
their own. Nothing here follows redirects: every hop is asserted on the way.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
from starlette.applications import Starlette

from tests.conftest import PASSWORD, basic

REDIRECT_URI = "https://app.example/callback"


@dataclass(frozen=True)
class Pkce:
    verifier: str

    @property
    def challenge(self) -> str:
        digest = hashlib.sha256(self.verifier.encode("ascii")).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def new_pkce() -> Pkce:
    return Pkce(secrets.token_urlsafe(48))


@asynccontextmanager
async def browser(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    """A client with a cookie jar of its own, as a second browser would have."""
    transport = httpx.ASGITransport(app=app, client=("203.0.113.9", 40001))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


class _HiddenInputs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.values: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "input" and found.get("type") == "hidden" and found.get("name"):
            self.values[found["name"] or ""] = found.get("value") or ""


def hidden_inputs(html: str) -> dict[str, str]:
    parser = _HiddenInputs()
    parser.feed(html)
    return parser.values


def authorize_query(
    client_id: str | None,
    *,
    redirect_uri: str | None = REDIRECT_URI,
    scope: str | None = "activities:read",
    state: str | None = "xyz",
    pkce: Pkce | None = None,
    method: str | None = "S256",
    response_type: str | None = "code",
    **extra: str,
) -> str:
    """``/o/authorize/?…``; parameters given as None are left out."""
    params: dict[str, str | None] = {
        "response_type": response_type,
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "scope": scope,
        "state": state,
        "code_challenge": pkce.challenge if pkce is not None else None,
        "code_challenge_method": method if pkce is not None else None,
        **extra,
    }
    present = {k: v for k, v in params.items() if v is not None}
    return "/o/authorize/?" + urlencode(present)


async def sign_in(
    browser: httpx.AsyncClient, username: str, password: str = PASSWORD, next_url: str = "/"
) -> httpx.Response:
    """Fill in the sign-in form; returns the POST's answer (303 to ``next`` when it worked)."""
    page = await browser.get("/login", params={"next": next_url})
    assert page.status_code == 200, page.text
    form = hidden_inputs(page.text)
    assert form["next"] == next_url
    return await browser.post("/login", data={**form, "username": username, "password": password})


async def open_authorize(
    browser: httpx.AsyncClient, url: str, username: str, password: str = PASSWORD
) -> httpx.Response:
    """GET the authorize URL, signing in on the way if asked to; returns the final answer."""
    first = await browser.get(url)
    if first.status_code != 303 or not first.headers["location"].startswith("/login?"):
        return first
    next_url = parse_qs(urlsplit(first.headers["location"]).query)["next"][0]
    # The same request, as checked: same parameters (a request object's merged in), prompt and
    # max_age included, plus the signed marker of when it was sent to sign in.
    assert next_url.startswith("/o/authorize/?")
    sent = parse_qs(urlsplit(url).query)
    resumed = parse_qs(urlsplit(next_url).query)
    assert "stint_auth_after" in resumed
    if "request" not in sent and "request_uri" not in sent:
        for name in sent:
            assert resumed.get(name) == sent[name], name
    signed_in = await sign_in(browser, username, password, next_url)
    assert signed_in.status_code == 303, signed_in.text
    assert signed_in.headers["location"] == next_url
    return await browser.get(next_url)


async def decide(
    browser: httpx.AsyncClient, consent_page: httpx.Response, decision: str = "approve"
) -> httpx.Response:
    """Submit the consent form with the button ``decision`` (approve or deny)."""
    assert consent_page.status_code == 200, consent_page.text
    assert 'name="decision"' in consent_page.text
    form = hidden_inputs(consent_page.text)
    assert form.get("csrf_token")
    return await browser.post("/o/authorize/", data={**form, "decision": decision})


def redirected_to(response: httpx.Response, redirect_uri: str = REDIRECT_URI) -> dict[str, str]:
    """The query parameters of a redirect to ``redirect_uri``, each present exactly once."""
    assert response.status_code in (302, 303), response.text
    location = response.headers["location"]
    base, _, query = location.partition("?")
    assert base == redirect_uri, location
    values = parse_qs(query, keep_blank_values=True)
    assert all(len(v) == 1 for v in values.values()), location
    return {k: v[0] for k, v in values.items()}


async def get_code(
    browser: httpx.AsyncClient,
    client_id: str,
    username: str,
    *,
    pkce: Pkce | None,
    redirect_uri: str = REDIRECT_URI,
    scope: str | None = "activities:read",
    state: str = "xyz",
    **extra: str,
) -> str:
    """Run the browser side to its end (sign-in and consent if asked) and return the code."""
    url = authorize_query(
        client_id, redirect_uri=redirect_uri, scope=scope, state=state, pkce=pkce, **extra
    )
    answer = await open_authorize(browser, url, username)
    if answer.status_code == 200:
        answer = await decide(browser, answer)
    params = redirected_to(answer, redirect_uri)
    assert params["state"] == state
    assert "error" not in params, params
    return params["code"]


def client_auth(client_id: str, secret: str | None) -> tuple[dict[str, str], dict[str, str]]:
    """Headers and form fields that authenticate a client: Basic with a secret, else client_id."""
    if secret is None:
        return {}, {"client_id": client_id}
    return basic(client_id, secret), {}


async def token_request(
    client: httpx.AsyncClient,
    client_id: str,
    secret: str | None,
    params: Mapping[str, str],
) -> httpx.Response:
    headers, fields = client_auth(client_id, secret)
    return await client.post("/o/token/", data={**fields, **params}, headers=headers)


async def redeem(
    client: httpx.AsyncClient,
    client_id: str,
    secret: str | None,
    code: str,
    *,
    verifier: str | None,
    redirect_uri: str | None = REDIRECT_URI,
) -> httpx.Response:
    params = {"grant_type": "authorization_code", "code": code}
    if redirect_uri is not None:
        params["redirect_uri"] = redirect_uri
    if verifier is not None:
        params["code_verifier"] = verifier
    return await token_request(client, client_id, secret, params)


async def tokens(
    client: httpx.AsyncClient,
    browser: httpx.AsyncClient,
    client_id: str,
    secret: str | None,
    username: str,
    *,
    scope: str | None = "activities:read",
) -> dict[str, Any]:
    """The whole flow with PKCE: the token response's body, checked to be a success."""
    pkce = new_pkce()
    code = await get_code(browser, client_id, username, pkce=pkce, scope=scope)
    answer = await redeem(client, client_id, secret, code, verifier=pkce.verifier)
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


async def refresh(
    client: httpx.AsyncClient,
    client_id: str,
    secret: str | None,
    refresh_token: str,
    **extra: str,
) -> httpx.Response:
    params = {"grant_type": "refresh_token", "refresh_token": refresh_token, **extra}
    return await token_request(client, client_id, secret, params)


async def introspect(
    client: httpx.AsyncClient, client_id: str, secret: str | None, token: str
) -> httpx.Response:
    headers, fields = client_auth(client_id, secret)
    return await client.post("/o/introspect/", data={**fields, "token": token}, headers=headers)


async def revoke(
    client: httpx.AsyncClient, client_id: str, secret: str | None, token: str, **extra: str
) -> httpx.Response:
    headers, fields = client_auth(client_id, secret)
    return await client.post(
        "/o/revoke_token/", data={**fields, "token": token, **extra}, headers=headers
    )


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def oauth_error(response: httpx.Response, status: int, error: str) -> dict[str, Any]:
    """Assert an RFC 6749 §5.2 error response and return its body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert response.headers["cache-control"] == "no-store"
    body: dict[str, Any] = response.json()
    assert body["error"] == error, body
    return body
