"""Signing in to Stint through an upstream OpenID provider (a second Stint)."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from starlette.applications import Starlette

from tests.conftest import make_client
from tests.http.social.conftest import (
    LABEL,
    UPSTREAM,
    Upstream,
    local_usernames,
    sign_in_with_upstream,
    through_upstream,
)
from tests.support.flows import authorize_query
from tests.support.pages import text_of
from tests.support.pkce import new_pkce

pytestmark = pytest.mark.anyio


def _user_id(account_page: httpx.Response) -> str:
    found = re.search(r'data-field="user-id"><code>(\d+)<', account_page.text)
    assert found is not None, account_page.text
    return found.group(1)


async def test_the_sign_in_page_offers_each_provider_carrying_next(
    browser: httpx.AsyncClient,
) -> None:
    page = await browser.get("/login", params={"next": "/developer/apps"})
    assert f"Continue with {LABEL}" in text_of(page)
    assert 'href="/login/stint/?next=%2Fdeveloper%2Fapps"' in page.text


async def test_a_first_sign_in_creates_an_account_and_a_session(
    app: Starlette, upstream: Upstream, browser: httpx.AsyncClient
) -> None:
    await upstream.person("uma", "uma@example.com")
    started = await browser.get("/login/stint/")
    assert started.status_code == 303
    assert started.headers["location"].startswith(f"{UPSTREAM}/o/authorize")
    sent = parse_qs(urlsplit(started.headers["location"]).query)
    assert sent["code_challenge_method"] == ["S256"] and sent["nonce"] and sent["state"]
    cookie = started.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie
    done = await browser.get(await through_upstream(browser, started, "uma"))
    assert done.status_code == 303, done.text
    assert done.headers["location"] == "/account"
    account = await browser.get("/account")
    assert account.status_code == 200
    assert "uma" in text_of(account)
    assert 'data-provider="stint"' in account.text
    assert len(await local_usernames(app)) == 1


async def test_a_second_sign_in_finds_the_same_account(
    app: Starlette, upstream: Upstream, browser: httpx.AsyncClient, new_browser: object
) -> None:
    await upstream.person("uma", "uma@example.com")
    assert (await sign_in_with_upstream(browser, "uma")).status_code == 303
    first = _user_id(await browser.get("/account"))
    async with new_browser() as other:  # type: ignore[operator]
        assert (await sign_in_with_upstream(other, "uma")).status_code == 303
        assert _user_id(await other.get("/account")) == first
    assert len(await local_usernames(app)) == 1


async def test_an_app_authorization_request_resumes_at_its_consent(
    app: Starlette, upstream: Upstream, browser: httpx.AsyncClient
) -> None:
    await upstream.person("uma")
    client_id, _ = await make_client(
        app, name="Time Reports", redirect_uris=["https://app.example/cb"]
    )
    query = authorize_query(client_id, redirect_uri="https://app.example/cb", pkce=new_pkce())
    to_login = await browser.get(query)
    assert to_login.status_code == 303 and to_login.headers["location"].startswith("/login?")
    next_url = parse_qs(urlsplit(to_login.headers["location"]).query)["next"][0]
    login_page = await browser.get(to_login.headers["location"])
    link = re.search(r'href="(/login/stint/\?next=[^"]+)"', login_page.text)
    assert link is not None, login_page.text
    started = await browser.get(link.group(1).replace("&amp;", "&"))
    done = await browser.get(await through_upstream(browser, started, "uma"))
    assert done.status_code == 303, done.text
    assert done.headers["location"] == next_url
    consent = await browser.get(next_url)
    assert consent.status_code == 200, consent.text
    assert "Time Reports" in text_of(consent)
    assert 'name="decision"' in consent.text


async def test_cancelling_at_the_provider_says_so_and_creates_nothing(
    app: Starlette, upstream: Upstream, browser: httpx.AsyncClient
) -> None:
    await upstream.person("uma")
    started = await browser.get("/login/stint/")
    done = await browser.get(await through_upstream(browser, started, "uma", decision="deny"))
    assert done.status_code == 400
    assert "You cancelled" in text_of(done)
    assert await local_usernames(app) == []


async def test_an_unknown_provider_is_a_clear_404_page(browser: httpx.AsyncClient) -> None:
    answer = await browser.get("/login/myspace/")
    assert answer.status_code == 404
    assert "No such sign-in provider" in text_of(answer)
    assert (await browser.get("/complete/myspace/?state=x")).status_code == 400
