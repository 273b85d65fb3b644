"""Driving the browser side of the authorization code flow in-process, then the token step.

A ``browser`` (tests.support.pages) is an httpx client over the app with its own cookie jar;
each signed-in user needs their own. Nothing here follows redirects: every hop is asserted.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx

from tests.conftest import PASSWORD
from tests.support.pages import hidden_inputs, submit_sign_in
from tests.support.pkce import Pkce, new_pkce
from tests.support.tokens import REDIRECT_URI, redeem


def authorize_query(
    client_id: str | None,
    *,
    redirect_uri: str | None = REDIRECT_URI,
    scope: str | None = "activities:read",
    state: str | None = "xyz",
    pkce: Pkce | None = None,
    method: str | None = "S256",
    response_type: str | None = "code",
    nonce: str | None = None,
    **extra: str,
) -> str:
    """``/o/authorize/?…``; parameters given as None are left out."""
    params: dict[str, str | None] = {
        "response_type": response_type,
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "scope": scope,
        "state": state,
        "nonce": nonce,
        "code_challenge": pkce.challenge if pkce is not None else None,
        "code_challenge_method": method if pkce is not None else None,
        **extra,
    }
    present = {k: v for k, v in params.items() if v is not None}
    return "/o/authorize/?" + urlencode(present)


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
    signed_in = await submit_sign_in(browser, username, password, next_url)
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
    pkce = new_pkce()
    state = secrets.token_urlsafe(8)
    params = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "scope": scope,
        "state": state,
        "code_challenge": pkce.challenge,
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
            "code_verifier": pkce.verifier,
        },
        auth=(client_id, secret),
    )
    assert token.status_code == 200, token.text
    body = token.json()
    return Tokens(body["access_token"], body.get("refresh_token"))
