"""RP-initiated logout in a real browser (OpenID Connect RP-Initiated Logout 1.0): the person signs
in to an app, the app sends them to /o/logout/, they press the page's one sign-out button, and
the browser lands on the app's post_logout_redirect_uri with its state.

The app is a loopback server (RFC 8252) registered through dynamic registration, so the browser
really follows each redirect and the redirects really arrive there.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlencode

import httpx
from playwright.sync_api import expect

from tests.browser.conftest import Browser, Callback
from tests.browser.support import authorization_request, fill_login_form, screenshot
from tests.conftest import LiveServer

APP_NAME = "Timesheet Viewer"


def register_app(server: LiveServer, callback: Callback) -> tuple[str, str]:
    """An app whose redirect and post-logout redirect are both the loopback callback."""
    answer = httpx.post(
        f"{server.base_url}/o/register",
        json={
            "client_name": APP_NAME,
            "application_type": "native",  # its redirect URI is http on loopback
            "redirect_uris": [callback.redirect_uri],
            "post_logout_redirect_uris": [callback.redirect_uri],
        },
    )
    assert answer.status_code == 201, answer.text
    body = answer.json()
    return str(body["client_id"]), str(body["client_secret"])


def test_signing_out_from_the_apps_logout_page_goes_back_to_the_app_with_its_state(
    live_server: LiveServer, browser: Browser, callback: Callback, tmp_path: Path
) -> None:
    live_server.create_user("logout-person")
    client_id, secret = register_app(live_server, callback)
    request = authorization_request(
        live_server.base_url, client_id, callback.redirect_uri, ["openid"]
    )
    page = browser.page
    page.goto(request.url)
    fill_login_form(page, "logout-person")
    page.get_by_role("button", name="Allow", exact=True).click()
    expect(page.get_by_role("heading", name="Back in the app")).to_be_visible()
    code = callback.received()["code"]
    tokens = httpx.post(
        f"{live_server.base_url}/o/token/",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": callback.redirect_uri,
            "code_verifier": request.verifier,
        },
        auth=(client_id, secret),
    )
    assert tokens.status_code == 200, tokens.text
    query = urlencode(
        {
            "id_token_hint": tokens.json()["id_token"],
            "post_logout_redirect_uri": callback.redirect_uri,
            "state": "after-logout",
        }
    )

    page.goto(f"{live_server.base_url}/o/logout/?{query}")
    expect(page.get_by_role("heading", name="Sign out of Stint?")).to_be_visible()
    expect(page.get_by_text(f"{APP_NAME} asks to sign you out.")).to_be_visible()
    sign_out = page.get_by_role("button", name=re.compile(r"^Sign out"))
    expect(sign_out).to_have_count(1)  # not the header's too: it would end on /login
    screenshot(page, "rp-initiated-logout.png", tmp_path)
    sign_out.click()

    expect(page.get_by_role("heading", name="Back in the app")).to_be_visible()
    assert callback.received() == {"state": "after-logout"}
    assert page.url == f"{callback.redirect_uri}?state=after-logout"
    page.goto(f"{live_server.base_url}/account")
    expect(page).to_have_url(re.compile(r"/login\?next=%2Faccount"))
    assert browser.errors == []
