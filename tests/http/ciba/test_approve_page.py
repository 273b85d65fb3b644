"""/approve as a page: what a reload shows without JavaScript, the script it loads instead of
inline code (CSP default-src 'self'), and /account's pointer to it."""

from __future__ import annotations

import re

import httpx
import pytest
from starlette.applications import Starlette

from tests.conftest import Account
from tests.support.ciba import backchannel_request, ciba_client
from tests.support.pages import text_of

pytestmark = pytest.mark.anyio


async def test_a_reload_shows_each_pending_request_with_its_app_scopes_and_message(
    app: Starlette, client: httpx.AsyncClient, approver: httpx.AsyncClient, alice: Account
) -> None:
    empty = await approver.get("/approve")
    assert "No request is waiting." in text_of(empty)
    ciba = await ciba_client(app, "poll", name="Kiosk & Co")
    await backchannel_request(
        client, ciba, scope="openid profile activities:read", binding_message="Order 7 & 8"
    )
    page = await approver.get("/approve")
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"
    shown = text_of(page)
    assert "Kiosk & Co asks to sign in as you" in shown
    assert "Order 7 & 8" in shown
    assert re.findall(r'<li data-scope="([^"]+)"', page.text) == [
        "activities:read",
        "openid",
        "profile",
    ]
    # One form for the request (the script's <template> holds a blank one for new requests).
    assert len(re.findall(r'<form method="post" action="/approve/[^"]+">', page.text)) == 1
    # The script comes from /static (CSP default-src 'self'); the page holds no inline code.
    assert re.findall(r"<script[^>]*>", page.text) == ['<script src="/static/approve.js" defer>']
    script = await approver.get("/static/approve.js")
    assert script.status_code == 200
    assert "javascript" in script.headers["content-type"]
    assert "default-src 'self'" in page.headers["content-security-policy"]


async def test_account_points_to_the_requests_waiting(
    app: Starlette, client: httpx.AsyncClient, approver: httpx.AsyncClient, alice: Account
) -> None:
    assert "Nothing is waiting now." in text_of(await approver.get("/account"))
    ciba = await ciba_client(app, "poll")
    await backchannel_request(client, ciba)
    await backchannel_request(client, ciba)
    account = await approver.get("/account")
    assert "2 requests waiting for your answer." in text_of(account)
    assert 'href="/approve"' in account.text
