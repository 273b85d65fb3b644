"""The developer pages in a real browser: register an app, see its secret once, use it, rotate
it, delete the app; and the account page's password change."""

from __future__ import annotations

from pathlib import Path

import httpx
from playwright.sync_api import Page, expect

from tests.browser.conftest import Browser
from tests.browser.support import screenshot, sign_in
from tests.conftest import PASSWORD, LiveServer


def client_credentials(server: LiveServer, client_id: str, secret: str) -> httpx.Response:
    return httpx.post(
        f"{server.base_url}/o/token/",
        data={"grant_type": "client_credentials", "scope": "profile"},
        auth=(client_id, secret),
    )


def shown_secret(page: Page) -> str:
    secret = page.locator("#client_secret")
    expect(secret).to_be_visible()
    return secret.inner_text().strip()


def test_register_an_app_and_see_its_secret_once(
    live_server: LiveServer, browser: Browser, tmp_path: Path
) -> None:
    live_server.create_user("dev-ada")
    page = browser.page
    sign_in(page, live_server.base_url, "dev-ada")
    page.get_by_role("link", name="Developer apps").click()
    expect(page.get_by_text("You have not registered any app yet.")).to_be_visible()
    page.get_by_role("link", name="Register a new app").click()

    expect(page.get_by_role("heading", name="Register an app")).to_be_visible()
    expect(page.get_by_label("Authorization code")).to_be_checked()
    expect(page.get_by_label("Refresh token")).to_be_checked()
    expect(page.get_by_label("Implicit")).not_to_be_checked()
    expect(page.locator("label", has_text="Implicit")).to_contain_text("legacy")
    # RFC 9700 §2.4: the password grant is an operator's to give, not a developer's choice.
    expect(page.get_by_label("Resource owner password")).to_have_count(0)
    screenshot(page, "stint-developer-new.png", tmp_path)

    page.get_by_label("App name").fill("Invoice Robot")
    page.get_by_label("Redirect URIs").fill(
        "https://invoices.example/oauth/callback\nhttp://127.0.0.1:9000/callback"
    )
    page.get_by_label("Client credentials").check()
    page.get_by_label("See reports of your time").uncheck()
    page.get_by_role("button", name="Register app").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Invoice Robot is registered")
    client_id = page.locator("#client_id").inner_text().strip()
    secret = shown_secret(page)
    expect(page.get_by_role("alert")).to_contain_text("This is the only time Stint shows it")
    screenshot(page, "stint-developer-secret.png", tmp_path)

    token = client_credentials(live_server, client_id, secret)
    assert token.status_code == 200, token.text

    page.get_by_role("link", name="Go to the app").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Invoice Robot")
    expect(page.get_by_label("Client credentials")).to_be_checked()
    expect(page.get_by_label("See reports of your time")).not_to_be_checked()
    assert secret not in page.content()
    page.get_by_role("link", name="Your apps").click()
    expect(page.locator(f'tr[data-client-id="{client_id}"]')).to_contain_text("Invoice Robot")
    assert secret not in page.content()
    assert browser.errors == []


def test_a_form_with_mistakes_comes_back_with_them_marked(
    live_server: LiveServer, browser: Browser
) -> None:
    live_server.create_user("dev-bea")
    page = browser.page
    sign_in(page, live_server.base_url, "dev-bea")
    page.goto(f"{live_server.base_url}/developer/apps/new")
    page.get_by_label("App name").fill("Leaky App")
    page.get_by_label("Redirect URIs").fill("http://leaky.example/callback")
    page.get_by_role("button", name="Register app").click()

    expect(page.get_by_role("alert")).to_contain_text("The app was not registered")
    expect(page.locator("#redirect_uris-error")).to_contain_text("must use https")
    expect(page.get_by_label("App name")).to_have_value("Leaky App")
    expect(page.get_by_label("Redirect URIs")).to_have_value("http://leaky.example/callback")
    page.goto(f"{live_server.base_url}/developer/apps")
    expect(page.get_by_text("You have not registered any app yet.")).to_be_visible()
    assert browser.errors == []


def test_rotate_then_delete(live_server: LiveServer, browser: Browser, tmp_path: Path) -> None:
    live_server.create_user("dev-cy")
    page = browser.page
    sign_in(page, live_server.base_url, "dev-cy")
    page.goto(f"{live_server.base_url}/developer/apps/new")
    page.get_by_label("App name").fill("Rotating App")
    page.get_by_label("Redirect URIs").fill("https://rotating.example/cb")
    page.get_by_label("Client credentials").check()
    page.get_by_role("button", name="Register app").click()
    client_id = page.locator("#client_id").inner_text().strip()
    old_secret = shown_secret(page)

    page.get_by_role("link", name="Go to the app").click()
    screenshot(page, "stint-developer-app.png", tmp_path)
    page.get_by_role("button", name="Rotate secret").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("A new secret for Rotating App")
    new_secret = shown_secret(page)
    assert new_secret != old_secret
    assert client_credentials(live_server, client_id, old_secret).status_code == 401
    assert client_credentials(live_server, client_id, new_secret).status_code == 200

    page.get_by_role("link", name="Go to the app").click()
    page.get_by_label("Yes, delete Rotating App").check()
    page.get_by_role("button", name="Delete app").click()
    expect(page.get_by_role("status")).to_contain_text("The app was deleted")
    expect(page.locator(f'tr[data-client-id="{client_id}"]')).to_have_count(0)
    assert client_credentials(live_server, client_id, new_secret).status_code == 401
    assert browser.errors == []


def test_change_the_password_on_the_account_page(
    live_server: LiveServer, browser: Browser, tmp_path: Path
) -> None:
    live_server.create_user("dev-dot")
    page = browser.page
    sign_in(page, live_server.base_url, "dev-dot")
    page.get_by_role("link", name="Account").click()
    expect(page.locator('[data-field="username"]')).to_have_text("dev-dot")
    screenshot(page, "stint-account.png", tmp_path)

    page.get_by_label("Current password").fill("not my password")
    page.get_by_label("New password", exact=True).fill("correct horse battery staple 2")
    page.get_by_label("New password again").fill("correct horse battery staple 2")
    page.get_by_role("button", name="Change password").click()
    expect(page.locator("#current_password-error")).to_contain_text("is not your current")

    page.get_by_label("Current password").fill(PASSWORD)
    page.get_by_label("New password", exact=True).fill("correct horse battery staple 2")
    page.get_by_label("New password again").fill("correct horse battery staple 2")
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_role("status")).to_contain_text("Your password was changed")
    base = live_server.base_url
    assert httpx.get(f"{base}/api/me", auth=("dev-dot", PASSWORD)).status_code == 401
    changed = httpx.get(f"{base}/api/me", auth=("dev-dot", "correct horse battery staple 2"))
    assert changed.status_code == 200
    assert browser.errors == []
