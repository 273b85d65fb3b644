"""What the browser tests do often: sign in through the form, start an authorization."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

from playwright.sync_api import Page, expect

from tests.conftest import PASSWORD
from tests.support.pkce import new_pkce


def sign_in(page: Page, base_url: str, username: str, password: str = PASSWORD) -> None:
    """Open the sign-in page and sign in, as a person would."""
    page.goto(f"{base_url}/login")
    fill_login_form(page, username, password)
    expect(page.get_by_role("button", name=f"Sign out {username}")).to_be_visible()


def fill_login_form(page: Page, username: str, password: str = PASSWORD) -> None:
    expect(page.get_by_role("heading", name="Sign in to Stint")).to_be_visible()
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in", exact=True).click()


@dataclass(frozen=True)
class AuthorizationRequest:
    url: str
    state: str
    verifier: str


def authorization_request(
    base_url: str, client_id: str, redirect_uri: str, scopes: list[str]
) -> AuthorizationRequest:
    """An authorization code request with PKCE S256 (RFC 7636 §4.2)."""
    pkce = new_pkce()
    state = secrets.token_urlsafe(12)
    query = urlencode(
        {
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": redirect_uri,
            "scope": " ".join(scopes),
            "state": state,
            "code_challenge": pkce.challenge,
            "code_challenge_method": "S256",
        }
    )
    return AuthorizationRequest(f"{base_url}/o/authorize/?{query}", state, pkce.verifier)


def screenshot(page: Page, name: str, tmp_path: Path) -> Path:
    """A full-page PNG in ``STINT_SCREENSHOT_DIR`` (to look at), else in the test's tmp_path."""
    path = Path(os.environ.get("STINT_SCREENSHOT_DIR") or tmp_path) / name
    page.screenshot(path=str(path), full_page=True)
    return path
