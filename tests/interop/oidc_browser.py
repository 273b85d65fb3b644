"""A person in headless Chromium signing in to Stint and answering a relying party's request.

The relying party's redirect URI is a loopback HTTP server (``tests.browser.conftest.Callback``),
so the browser really follows Stint's redirect and the code really arrives there. Chromium is
one per worker (tests.support.chromium).
"""

from __future__ import annotations

import math
import re
import time
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from playwright.sync_api import expect

from tests.browser.conftest import Callback
from tests.browser.support import fill_login_form
from tests.support.chromium import Browser

__all__ = [
    "Browser",
    "Callback",
    "Consent",
    "sign_in_again",
    "sign_in_and_allow",
    "straight_back",
]


@dataclass(frozen=True)
class Consent:
    """What the person saw and did: the redirect back to the RP, and when they signed in."""

    redirect: str  # the full URL the browser was sent back to
    query: dict[str, str]  # its query, as the RP's loopback server received it
    scopes: list[str]  # the scopes the consent page listed
    signed_in_after: int  # auth_time cannot be earlier than this (seconds since the epoch)
    signed_in_before: int  # ... nor later than this


def _back_in_the_app(browser: Browser, callback: Callback) -> tuple[str, dict[str, str]]:
    page = browser.page
    expect(page.get_by_role("heading", name="Back in the app")).to_be_visible()
    query = callback.received()
    assert page.url.startswith(callback.redirect_uri + "?"), page.url
    # The browser's URL and what the loopback server received are the same redirect.
    assert {k: v[0] for k, v in parse_qs(urlsplit(page.url).query).items()} == query
    return page.url, query


def _sign_in(browser: Browser, authorization_url: str, username: str, password: str) -> int:
    """Open the authorization URL, land on /login, sign in; returns a time before the sign-in."""
    page = browser.page
    page.goto(authorization_url)
    expect(page).to_have_url(re.compile(r"/login\?next=%2Fo%2Fauthorize%2F%3F"))
    after = math.floor(time.time())
    fill_login_form(page, username, password)
    return after


def sign_in_and_allow(
    browser: Browser,
    callback: Callback,
    authorization_url: str,
    *,
    username: str,
    password: str,
    client_name: str,
) -> Consent:
    """Open the RP's authorization URL signed out, sign in on /login, click Allow."""
    page = browser.page
    after = _sign_in(browser, authorization_url, username, password)
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"{client_name} wants to use your Stint account"
    )
    before = math.ceil(time.time())
    expect(page.get_by_text(f"Signed in as {username}")).to_be_visible()
    scopes = page.locator("ul.scopes li").evaluate_all(
        "items => items.map(item => item.dataset.scope)"
    )
    page.get_by_role("button", name="Allow", exact=True).click()
    redirect, query = _back_in_the_app(browser, callback)
    return Consent(redirect, query, sorted(scopes), after, before)


def sign_in_again(
    browser: Browser, callback: Callback, authorization_url: str, *, username: str, password: str
) -> Consent:
    """prompt=login or max_age with consent already given: sign in again, then straight back."""
    after = _sign_in(browser, authorization_url, username, password)
    redirect, query = _back_in_the_app(browser, callback)
    return Consent(redirect, query, [], after, math.ceil(time.time()))


def straight_back(
    browser: Browser, callback: Callback, authorization_url: str
) -> tuple[str, dict[str, str]]:
    """Open an authorization URL that Stint answers without showing a page: signed in with
    consent given, or prompt=none. Returns the redirect and its query."""
    browser.page.goto(authorization_url)
    return _back_in_the_app(browser, callback)
