"""Passkeys in a real browser: Chromium's virtual authenticator (DevTools protocol ``WebAuthn``)
enrols a passkey on /account/security, then signs in with it and no password; the signed
response, captured and posted again with the same cookies, is refused.

WebAuthn needs a domain for its relying party (an IP address is none, WebAuthn L3 §5.1.4.1), so
this server's issuer is http://localhost:PORT, a secure context like https.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Request, expect

from tests.browser.conftest import Browser
from tests.browser.support import fill_login_form
from tests.conftest import LiveServer, running_server

USERNAME = "passkey-person"


@pytest.fixture(scope="module")
def localhost_server(
    tmp_path_factory: pytest.TempPathFactory, sqlite_template_with_keys: Path
) -> Iterator[LiveServer]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    with running_server(
        tmp_path_factory.mktemp("passkeys"),
        template=sqlite_template_with_keys,
        port=port,
        STINT_ISSUER=f"http://localhost:{port}",
    ) as server:
        server.base_url = f"http://localhost:{port}"
        yield server


def add_virtual_authenticator(browser: Browser) -> None:
    """A platform authenticator (a laptop's, say) with resident keys and a PIN or biometric
    that always passes (DevTools protocol WebAuthn.addVirtualAuthenticator)."""
    cdp = browser.context.new_cdp_session(browser.page)
    cdp.send("WebAuthn.enable")
    cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )


def enrol(browser: Browser, base: str, username: str) -> None:
    """Sign in with the password and add a passkey on /account/security, then sign out."""
    page = browser.page
    page.goto(f"{base}/login?next=/account/security")
    fill_login_form(page, username)
    page.get_by_label("Passkey name").fill("Virtual key")
    page.get_by_role("button", name="Add a passkey").click()
    expect(page.get_by_role("status")).to_have_text("The passkey was added.")
    expect(page.get_by_role("cell", name="Virtual key", exact=True)).to_be_visible()
    page.get_by_role("button", name=f"Sign out {username}").click()


def test_a_passkey_enrolled_on_the_security_page_signs_in_with_no_password(
    localhost_server: LiveServer, browser: Browser
) -> None:
    base = localhost_server.base_url
    localhost_server.create_user(USERNAME)
    page = browser.page
    add_virtual_authenticator(browser)
    enrol(browser, base, USERNAME)

    signed: list[Request] = []
    page.on("request", lambda r: signed.append(r) if r.url == f"{base}/login/passkey" else None)
    page.goto(f"{base}/login?next=/account")
    cookies = {c["name"]: c["value"] for c in browser.context.cookies(base)}
    page.get_by_role("button", name="Sign in with a passkey").click()
    expect(page.get_by_role("button", name=f"Sign out {USERNAME}")).to_be_visible()
    assert page.url == f"{base}/account"
    assert browser.errors == []

    # The same signed response, from the same cookies, a second time: its challenge is spent.
    [request] = signed
    replayed = httpx.post(
        f"{base}/login/passkey",
        content=request.post_data_buffer,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        cookies=cookies,
    )
    assert replayed.status_code == 400, replayed.text
    assert replayed.json() == {"error": "refused"}
    assert "stint_session" not in replayed.cookies


def test_after_the_password_a_passkey_is_the_second_factor(
    localhost_server: LiveServer, browser: Browser
) -> None:
    base = localhost_server.base_url
    localhost_server.create_user("second-factor-person")
    add_virtual_authenticator(browser)
    enrol(browser, base, "second-factor-person")
    page = browser.page
    page.goto(f"{base}/login?next=/account")
    fill_login_form(page, "second-factor-person")
    expect(page.get_by_role("heading", name="Confirm it is you")).to_be_visible()
    page.get_by_role("button", name="Use a passkey").click()
    expect(page.get_by_role("button", name="Sign out second-factor-person")).to_be_visible()
    assert page.url == f"{base}/account"
    assert browser.errors == []
