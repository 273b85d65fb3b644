"""A user signing in and approving a request, driven over plain HTTP like a browser would.

The last redirect, to the client's redirect URI, is returned rather than followed: nothing
listens there.
"""

from __future__ import annotations

from urllib.parse import urljoin

import requests

from tests.conftest import PASSWORD
from tests.support.pages import hidden_fields

__all__ = ["approve"]

TIMEOUT = 10


def _redirect(response: requests.Response, status: int) -> str:
    assert response.status_code == status, (response.status_code, response.text[:500])
    return urljoin(response.url, response.headers["Location"])


def approve(
    authorization_url: str, redirect_uri: str, username: str, password: str = PASSWORD
) -> str:
    """Sign in as ``username``, allow the request; returns the redirect back to the client."""
    browser = requests.Session()
    # Not signed in: the authorization endpoint sends the browser to the login page.
    login_url = _redirect(
        browser.get(authorization_url, allow_redirects=False, timeout=TIMEOUT), 303
    )
    assert "/login?next=" in login_url
    page = browser.get(login_url, allow_redirects=False, timeout=TIMEOUT)
    assert page.status_code == 200, page.text[:500]
    form = dict(hidden_fields(page.text))
    assert set(form) == {"csrf_token", "next"}, form
    signed_in = browser.post(
        urljoin(login_url, "/login"),
        data={**form, "username": username, "password": password},
        allow_redirects=False,
        timeout=TIMEOUT,
    )
    back = _redirect(signed_in, 303)
    assert "/o/authorize/?" in back
    consent = browser.get(back, allow_redirects=False, timeout=TIMEOUT)
    if consent.status_code == 302:  # consent given before: answered at once
        location = _redirect(consent, 302)
        assert location.startswith(redirect_uri), location
        return location
    assert consent.status_code == 200, consent.text[:500]
    fields = hidden_fields(consent.text)
    assert "csrf_token" in dict(fields)
    answered = browser.post(
        urljoin(back, "/o/authorize/"),
        data=[*fields, ("decision", "approve")],
        allow_redirects=False,
        timeout=TIMEOUT,
    )
    location = _redirect(answered, 303)
    assert location.startswith(redirect_uri), location
    return location
