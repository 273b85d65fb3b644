"""Two-factor sign-in in a real browser: enrol an authenticator app on /account/security, an app
asking ``acr_values`` for two factors gets the second-factor prompt and then an ID token whose
``amr`` says so, and signing in again asks for a code after the password.

The authenticator app is pyotp, computing the codes from the key the page shows. Each code used
is of a later time-step than the last (RFC 6238 §5.2: a code works once), within the one-step
drift window, so nothing waits for the clock.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import httpx
import pyotp
from playwright.sync_api import Page, expect

from stint.protocol.oidc.acr import TWO_FACTOR_ACR
from tests.browser.conftest import Browser, Callback
from tests.browser.support import authorization_request, screenshot, sign_in
from tests.conftest import PASSWORD, LiveServer
from tests.oidc.support import unverified

APP_NAME = "Payroll"
USERNAME = "two-factor-person"


def _code(app: pyotp.TOTP, steps_from_now: int) -> str:
    return app.at(time.time() + 30 * steps_from_now)


def _enter_code(page: Page, code: str) -> None:
    expect(page.get_by_role("heading", name="Confirm it is you")).to_be_visible()
    page.get_by_label("Code from your authenticator app").fill(code)
    page.get_by_role("button", name="Continue").click()


def test_enrol_then_step_up_for_an_app_then_sign_in_with_a_code(
    live_server: LiveServer, browser: Browser, callback: Callback, tmp_path: Path
) -> None:
    live_server.create_user(USERNAME)
    client_id, secret = live_server.create_client(
        APP_NAME, "--redirect-uri", callback.redirect_uri, "--scope", "profile"
    )
    page = browser.page
    sign_in(page, live_server.base_url, USERNAME)  # a password alone

    page.goto(f"{live_server.base_url}/account")
    page.get_by_role("link", name=re.compile("Sign-in security")).click()
    page.get_by_role("button", name="Set up an authenticator app").click()
    app = pyotp.TOTP(page.locator('[data-field="totp-secret"]').inner_text())
    expect(page.locator('[data-field="totp-uri"]')).to_contain_text("otpauth://totp/")
    qr = page.locator("#totp-qr")
    qr.evaluate("img => img.decode()")  # loaded, as the pages' CSP allows
    assert qr.evaluate("img => img.naturalWidth") > 0
    page.get_by_label("Code from the app").fill(_code(app, -1))
    page.get_by_role("button", name="Turn on").click()
    expect(page.get_by_role("heading", name="Your recovery codes")).to_be_visible()
    expect(page.locator("#recovery-codes code")).to_have_count(10)
    screenshot(page, "recovery-codes.png", tmp_path)
    page.get_by_role("link", name="I have saved them").click()
    expect(page.locator('[data-field="recovery-codes-left"]')).to_have_text(
        "10 recovery codes left."
    )

    # The session is still a password one: the app asking for two factors gets them asked for.
    request = authorization_request(
        live_server.base_url, client_id, callback.redirect_uri, ["openid"]
    )
    page.goto(f"{request.url}&acr_values={TWO_FACTOR_ACR}")
    screenshot(page, "second-factor.png", tmp_path)
    _enter_code(page, _code(app, 0))
    page.get_by_role("button", name="Allow", exact=True).click()
    expect(page.get_by_role("heading", name="Back in the app")).to_be_visible()
    answer = callback.received()
    assert answer["state"] == request.state
    tokens = httpx.post(
        f"{live_server.base_url}/o/token/",
        data={
            "grant_type": "authorization_code",
            "code": answer["code"],
            "redirect_uri": callback.redirect_uri,
            "code_verifier": request.verifier,
        },
        auth=(client_id, secret or ""),
    )
    assert tokens.status_code == 200, tokens.text
    claims = unverified(tokens.json()["id_token"])[1]
    assert claims["acr"] == TWO_FACTOR_ACR
    assert {"pwd", "otp", "mfa"} <= set(claims["amr"])

    # Signed out, the password alone no longer signs in: a code follows it.
    page.goto(f"{live_server.base_url}/account")
    page.get_by_role("button", name=f"Sign out {USERNAME}").click()
    page.goto(f"{live_server.base_url}/login")
    page.get_by_label("Username").fill(USERNAME)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    _enter_code(page, _code(app, 1))
    expect(page.get_by_role("button", name=f"Sign out {USERNAME}")).to_be_visible()
    expect(page).to_have_url(f"{live_server.base_url}/account")
