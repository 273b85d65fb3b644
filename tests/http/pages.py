"""Helpers for the server-rendered pages: signing in, the CSRF field, an authorization by hand."""

from __future__ import annotations

import base64
import hashlib
import html
import re
import secrets
from dataclasses import dataclass
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx

from tests.conftest import PASSWORD

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(page: httpx.Response) -> str:
    """The CSRF field of the first form on ``page``."""
    found = _CSRF.search(page.text)
    assert found is not None, page.text
    return found.group(1)


def text_of(page: httpx.Response) -> str:
    """The page without its tags and entities, whitespace collapsed: what a reader sees."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page.text)).split())


async def sign_in(client: httpx.AsyncClient, username: str, password: str = PASSWORD) -> str:
    """Sign ``client`` in through the login form; returns the CSRF field of the new session."""
    form = await client.get("/login")
    token = csrf_of(form)
    response = await client.post(
        "/login",
        data={"csrf_token": token, "username": username, "password": password, "next": "/account"},
    )
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/account"
    signed_in = csrf_of(await client.get("/account"))
    assert signed_in != token  # the field changes with the session
    return signed_in


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


@dataclass(frozen=True)
class Tokens:
    access_token: str
    refresh_token: str | None

    @property
    def bearer(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}"}


async def authorize(
    client: httpx.AsyncClient,
    csrf: str,
    *,
    client_id: str,
    secret: str,
    redirect_uri: str,
    scope: str,
) -> Tokens:
    """The authorization code flow with PKCE for a signed-in browser that clicks Allow."""
    verifier, challenge = pkce_pair()
    state = secrets.token_urlsafe(8)
    params = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "scope": scope,
        "state": state,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    consent = await client.get(f"/o/authorize/?{urlencode(params)}")
    assert consent.status_code == 200, consent.text
    assert 'value="approve"' in consent.text
    answer = await client.post(
        "/o/authorize/", data={**params, "csrf_token": csrf, "decision": "approve"}
    )
    assert answer.status_code == 303, answer.text
    query = parse_qs(urlsplit(answer.headers["location"]).query)
    assert query["state"] == [state]
    token = await client.post(
        "/o/token/",
        data={
            "grant_type": "authorization_code",
            "code": query["code"][0],
            "redirect_uri": redirect_uri,
            "code_verifier": verifier,
        },
        auth=(client_id, secret),
    )
    assert token.status_code == 200, token.text
    body = token.json()
    return Tokens(body["access_token"], body.get("refresh_token"))


async def client_credentials(
    client: httpx.AsyncClient, client_id: str, secret: str, scope: str | None = None
) -> httpx.Response:
    data = {"grant_type": "client_credentials"} | ({"scope": scope} if scope else {})
    return await client.post("/o/token/", data=data, auth=(client_id, secret))
