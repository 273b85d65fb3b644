"""A newcomer in a real browser: create an account on /signup, verify the address from the mail
a real SMTP server caught, sign out, reset the forgotten password by mail, sign in with it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Browser
from tests.browser.support import fill_login_form
from tests.conftest import LiveServer, running_server
from tests.support.smtp import MailCatcher, link_in, smtp_server

PASSWORD = "my first long passphrase"
NEW_PASSWORD = "my second long passphrase"
ADDRESS = "newcomer@example.com"


@pytest.fixture
def mailbox() -> Iterator[MailCatcher]:
    with smtp_server() as catcher:
        yield catcher


@pytest.fixture
def server(
    tmp_path: Path, sqlite_template_with_keys: Path, mailbox: MailCatcher
) -> Iterator[LiveServer]:
    with running_server(
        tmp_path / "data",
        template=sqlite_template_with_keys,
        STINT_SMTP_URL=mailbox.url,
        STINT_MAIL_FROM="Stint <stint@example.com>",
    ) as s:
        yield s


def test_sign_up_verify_the_email_and_reset_the_password(
    server: LiveServer, browser: Browser, mailbox: MailCatcher
) -> None:
    page = browser.page
    page.goto(f"{server.base_url}/login")
    page.get_by_role("link", name="Create an account").click()

    expect(page.get_by_role("heading", name="Create a Stint account")).to_be_visible()
    page.get_by_label("Username").fill("newcomer")
    page.get_by_label("Email address (optional)").fill(ADDRESS)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password again").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_text("We sent you a link to verify your email address.")).to_be_visible()
    expect(page.locator("#email-status")).to_have_text("not verified")

    mail = mailbox.wait_for(ADDRESS)
    assert mail["From"] == "Stint <stint@example.com>"
    page.goto(link_in(mail))
    expect(page.get_by_text(f"Confirm that {ADDRESS} is your address.")).to_be_visible()
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("heading", name="Email address verified")).to_be_visible()
    page.goto(f"{server.base_url}/account")
    expect(page.locator("#email-status")).to_have_text("verified")

    page.get_by_role("button", name="Sign out newcomer").click()
    page.get_by_role("link", name="Forgot your password?").click()
    page.get_by_label("Username or email address").fill(ADDRESS)
    page.get_by_role("button", name="Send the link").click()
    expect(page.get_by_role("heading", name="Check your mail")).to_be_visible()

    reset = mailbox.wait_for(ADDRESS, count=2)
    assert reset["Subject"] == "Reset your Stint password"
    page.goto(link_in(reset))
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("New password again").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_role("heading", name="Password changed")).to_be_visible()

    page.get_by_role("link", name="Sign in").click()
    fill_login_form(page, "newcomer", PASSWORD)
    expect(page.get_by_text("Wrong username or password.")).to_be_visible()
    fill_login_form(page, "newcomer", NEW_PASSWORD)
    expect(page.get_by_role("button", name="Sign out newcomer")).to_be_visible()
