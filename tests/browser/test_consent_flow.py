"""Sign-in and consent in a real browser: Allow, Deny, and taking access back from the account.

The client is a loopback app (RFC 8252): its redirect URI is a small HTTP server in this test,
so the browser really follows Stint's redirect and the code really arrives there.
"""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from stint.protocol.scopes import SCOPE_DESCRIPTIONS
from tests.browser.conftest import Browser, Callback
from tests.browser.support import authorization_request, fill_login_form, screenshot
from tests.conftest import LiveServer

APP_NAME = "Pomodoro Sync"
SCOPES = ["activities:read", "profile", "time-entries:write"]


def register_app(server: LiveServer, callback: Callback) -> tuple[str, str]:
    args = ["--redirect-uri", callback.redirect_uri]
    for scope in SCOPES:
        args += ["--scope", scope]
    client_id, secret = server.create_client(APP_NAME, *args)
    assert secret is not None
    return client_id, secret


def reach_consent(page: Page, server: LiveServer, url: str, username: str) -> None:
    """Open the app's authorization link signed out: sign in, and land on the consent page."""
    page.goto(url)
    expect(page).to_have_url(re.compile(r"/login\?next=%2Fo%2Fauthorize%2F%3F"))
    fill_login_form(page, username)
    expect(page).to_have_url(re.compile(re.escape(f"{server.base_url}/o/authorize/?")))
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"{APP_NAME} wants to use your Stint account"
    )


def allow(
    browser: Browser, server: LiveServer, callback: Callback, username: str
) -> tuple[str, str]:
    """The whole flow up to a working access token; returns (client_id, access token)."""
    client_id, secret = register_app(server, callback)
    request = authorization_request(server.base_url, client_id, callback.redirect_uri, SCOPES)
    page = browser.page
    reach_consent(page, server, request.url, username)
    page.get_by_role("button", name="Allow", exact=True).click()
    expect(page.get_by_role("heading", name="Back in the app")).to_be_visible()
    answer = callback.received()
    assert answer["state"] == request.state
    assert "code" in answer and "error" not in answer
    token = httpx.post(
        f"{server.base_url}/o/token/",
        data={
            "grant_type": "authorization_code",
            "code": answer["code"],
            "redirect_uri": callback.redirect_uri,
            "code_verifier": request.verifier,
        },
        auth=(client_id, secret),
    )
    assert token.status_code == 200, token.text
    body = token.json()
    assert body["token_type"].lower() == "bearer"
    assert set(body["scope"].split()) == set(SCOPES)
    return client_id, str(body["access_token"])


def test_sign_in_consent_and_allow(
    live_server: LiveServer, browser: Browser, callback: Callback, tmp_path: Path
) -> None:
    live_server.create_user("consent-allow")
    client_id, secret = register_app(live_server, callback)
    request = authorization_request(live_server.base_url, client_id, callback.redirect_uri, SCOPES)
    page = browser.page
    reach_consent(page, live_server, request.url, "consent-allow")

    scopes = page.locator("ul.scopes li")
    expect(scopes).to_have_count(len(SCOPES))
    for scope in SCOPES:
        expect(page.locator(f'li[data-scope="{scope}"]')).to_have_text(SCOPE_DESCRIPTIONS[scope])
    expect(page.get_by_text("Signed in as consent-allow")).to_be_visible()
    host = callback.redirect_uri.split("/")[2]
    expect(page.get_by_text(f"You will be sent back to {host}.")).to_be_visible()
    screenshot(page, "stint-consent.png", tmp_path)

    session = next(c for c in browser.context.cookies() if c["name"] == "stint_session")
    assert session["httpOnly"] and session["sameSite"] == "Lax"

    page.get_by_role("button", name="Allow", exact=True).click()
    expect(page.get_by_role("heading", name="Back in the app")).to_be_visible()
    answer = callback.received()
    assert answer["state"] == request.state
    assert "error" not in answer
    token = httpx.post(
        f"{live_server.base_url}/o/token/",
        data={
            "grant_type": "authorization_code",
            "code": answer["code"],
            "redirect_uri": callback.redirect_uri,
            "code_verifier": request.verifier,
        },
        auth=(client_id, secret),
    )
    assert token.status_code == 200, token.text
    bearer = {"Authorization": f"Bearer {token.json()['access_token']}"}
    activities = httpx.get(f"{live_server.base_url}/api/activities", headers=bearer)
    assert activities.status_code == 200, activities.text
    me = httpx.get(f"{live_server.base_url}/api/me", headers=bearer)
    assert me.json()["username"] == "consent-allow"
    assert browser.errors == []


def test_deny_sends_access_denied_with_the_state(
    live_server: LiveServer, browser: Browser, callback: Callback
) -> None:
    live_server.create_user("consent-deny")
    client_id, _ = register_app(live_server, callback)
    request = authorization_request(live_server.base_url, client_id, callback.redirect_uri, SCOPES)
    page = browser.page
    reach_consent(page, live_server, request.url, "consent-deny")
    page.get_by_role("button", name="Deny", exact=True).click()
    expect(page.get_by_role("heading", name="Back in the app")).to_be_visible()
    answer = callback.received()
    assert answer["error"] == "access_denied"
    assert answer["state"] == request.state
    assert "code" not in answer
    assert browser.errors == []


def test_revoking_from_the_account_page(
    live_server: LiveServer, browser: Browser, callback: Callback, tmp_path: Path
) -> None:
    live_server.create_user("consent-revoke")
    client_id, access_token = allow(browser, live_server, callback, "consent-revoke")
    bearer = {"Authorization": f"Bearer {access_token}"}
    assert httpx.get(f"{live_server.base_url}/api/me", headers=bearer).status_code == 200

    page = browser.page
    page.goto(f"{live_server.base_url}/account")
    row = page.locator(f'tr[data-client-id="{client_id}"]')
    expect(row).to_contain_text(APP_NAME)
    screenshot(page, "stint-account-apps.png", tmp_path)
    row.get_by_role("button", name="Revoke").click()
    expect(page.get_by_role("status")).to_contain_text("The app's access was taken back")
    expect(page.locator(f'tr[data-client-id="{client_id}"]')).to_have_count(0)

    refused = httpx.get(f"{live_server.base_url}/api/me", headers=bearer)
    assert refused.status_code == 401

    # Authorizing again asks for consent again.
    request = authorization_request(live_server.base_url, client_id, callback.redirect_uri, SCOPES)
    page.goto(request.url)
    expect(page.get_by_role("button", name="Allow", exact=True)).to_be_visible()
    assert browser.errors == []


@pytest.mark.parametrize("width", [390])
def test_the_consent_page_fits_a_phone(
    live_server: LiveServer, browser: Browser, callback: Callback, width: int
) -> None:
    live_server.create_user("consent-phone")
    client_id, _ = register_app(live_server, callback)
    page = browser.page
    page.set_viewport_size({"width": width, "height": 800})
    request = authorization_request(live_server.base_url, client_id, callback.redirect_uri, SCOPES)
    reach_consent(page, live_server, request.url, "consent-phone")
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= width, "nothing overflows sideways"
    expect(page.get_by_role("button", name="Allow", exact=True)).to_be_in_viewport()
