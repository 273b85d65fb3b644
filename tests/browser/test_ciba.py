"""CIBA against a running Stint with a real browser as the person's authentication device
(CIBA Core §5): Chromium, signed in on /approve, sees each new request appear without a reload,
approves one and denies another, in each token delivery mode. The test is the client (its
backchannel and token requests) and, for ping and push, its notification endpoint (a loopback
HTTP server)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Locator, Page, expect

from stint.protocol.ciba import GRANT_TYPE
from tests.browser.conftest import Browser
from tests.browser.support import screenshot, sign_in
from tests.conftest import PASSWORD, LiveServer
from tests.support.notification_endpoint import NotificationEndpoint, notification_endpoint

APP_NAME = "Front desk till"


@pytest.fixture
def endpoint() -> Iterator[NotificationEndpoint]:
    with notification_endpoint() as server:
        yield server


def register_client(server: LiveServer, mode: str, endpoint: NotificationEndpoint) -> httpx.Auth:
    """Dynamic registration (RFC 7591) of a confidential CIBA client in ``mode``."""
    metadata: dict[str, Any] = {
        "client_name": APP_NAME,
        "grant_types": [GRANT_TYPE],
        "scope": "openid activities:read",
        "backchannel_token_delivery_mode": mode,
    }
    if mode != "poll":
        metadata["backchannel_client_notification_endpoint"] = endpoint.url
    registered = httpx.post(f"{server.base_url}/o/register", json=metadata)
    assert registered.status_code == 201, registered.text
    body = registered.json()
    assert body["backchannel_token_delivery_mode"] == mode
    return httpx.BasicAuth(body["client_id"], body["client_secret"])


def backchannel_request(
    server: LiveServer, auth: httpx.Auth, username: str, message: str, mode: str
) -> str:
    form = {"scope": "openid activities:read", "login_hint": username, "binding_message": message}
    if mode != "poll":
        form["client_notification_token"] = f"token-for-{message}"
    started = httpx.post(f"{server.base_url}/o/bc-authorize", data=form, auth=auth)
    assert started.status_code == 200, started.text
    auth_req_id: str = started.json()["auth_req_id"]
    return auth_req_id


def token_request(server: LiveServer, auth: httpx.Auth, auth_req_id: str) -> httpx.Response:
    form = {"grant_type": GRANT_TYPE, "auth_req_id": auth_req_id}
    return httpx.post(f"{server.base_url}/o/token/", data=form, auth=auth)


def appears(page: Page, message: str) -> Locator:
    """The card of the request showing ``message``, once the page has shown it by itself."""
    card = page.locator("article.approve-request").filter(has_text=message)
    expect(card).to_be_visible(timeout=10_000)  # the page polls every two seconds
    expect(card.get_by_role("heading", level=2)).to_have_text(f"{APP_NAME} asks to sign in as you")
    return card


@pytest.mark.parametrize("mode", ["poll", "ping", "push"])
def test_a_request_appears_on_approve_without_a_reload_and_is_approved_or_denied(
    live_server: LiveServer,
    browser: Browser,
    endpoint: NotificationEndpoint,
    mode: str,
    tmp_path: Path,
) -> None:
    username = f"ciba-{mode}"
    live_server.create_user(username)
    auth = register_client(live_server, mode, endpoint)
    page = browser.page
    sign_in(page, live_server.base_url, username)
    page.goto(f"{live_server.base_url}/approve")
    expect(page.get_by_text("No request is waiting.")).to_be_visible()
    page.evaluate("window.sameDocument = true")  # gone if the page were reloaded

    approved_id = backchannel_request(live_server, auth, username, "Desk 1: 4.20 EUR", mode)
    denied_id = backchannel_request(live_server, auth, username, "Desk 2: 9.99 EUR", mode)
    first = appears(page, "Desk 1: 4.20 EUR")
    appears(page, "Desk 2: 9.99 EUR")
    assert page.evaluate("window.sameDocument") is True
    # Newest on top, as a reload would show them.
    expect(page.locator("article.approve-request .binding-message")).to_have_text(
        ["Desk 2: 9.99 EUR", "Desk 1: 4.20 EUR"]
    )
    expect(page.get_by_text("No request is waiting.")).to_be_hidden()
    expect(first.locator("li[data-scope=openid]")).to_have_count(1)
    screenshot(page, f"ciba-approve-{mode}.png", tmp_path)

    if mode != "push":  # §11: until the person answers
        assert token_request(live_server, auth, approved_id).json()["error"] == (
            "authorization_pending"
        )
    first.get_by_role("button", name="Approve").click()
    expect(page.get_by_role("status").filter(has_text="Approved.")).to_be_visible()
    second = appears(page, "Desk 2: 9.99 EUR")
    second.get_by_role("button", name="Deny").click()
    expect(page.get_by_role("status").filter(has_text="Denied.")).to_be_visible()
    expect(page.get_by_text("No request is waiting.")).to_be_visible()

    if mode == "poll":
        tokens = token_request(live_server, auth, approved_id)
        assert tokens.status_code == 200, tokens.text
        assert tokens.json()["id_token"]
        refused = token_request(live_server, auth, denied_id)
        assert refused.json()["error"] == "access_denied"
    else:
        # The client is called back once per decision, in the order they were made.
        notified = [endpoint.received(), endpoint.received()]
        by_id = {n.body["auth_req_id"]: n for n in notified}
        assert set(by_id) == {approved_id, denied_id}
        assert by_id[approved_id].authorization == "Bearer token-for-Desk 1: 4.20 EUR"
        assert by_id[denied_id].authorization == "Bearer token-for-Desk 2: 9.99 EUR"
        if mode == "ping":
            assert by_id[approved_id].body == {"auth_req_id": approved_id}  # §10.2
            tokens = token_request(live_server, auth, approved_id)
            assert tokens.status_code == 200, tokens.text
            assert tokens.json()["id_token"]
            refused = token_request(live_server, auth, denied_id)
            assert refused.json()["error"] == "access_denied"
        else:
            pushed = by_id[approved_id].body  # §10.3.1
            assert pushed["access_token"] and pushed["id_token"]
            assert by_id[denied_id].body["error"] == "access_denied"  # §12
            me = httpx.get(
                f"{live_server.base_url}/api/activities",
                headers={"Authorization": f"Bearer {pushed['access_token']}"},
            )
            assert me.status_code == 200, me.text
    assert browser.errors == []


def test_a_request_decided_in_another_browser_leaves_the_page_by_itself(
    live_server: LiveServer, browser: Browser, endpoint: NotificationEndpoint
) -> None:
    username = "ciba-two-tabs"
    live_server.create_user(username)
    auth = register_client(live_server, "poll", endpoint)
    page = browser.page
    sign_in(page, live_server.base_url, username)
    page.goto(f"{live_server.base_url}/approve")
    backchannel_request(live_server, auth, username, "Desk 3", "poll")
    card = appears(page, "Desk 3")
    request_id = card.get_attribute("data-request-id")
    assert request_id
    with httpx.Client(base_url=live_server.base_url) as phone:  # the person's other device
        form = {"csrf_token": _csrf(phone.get("/login").text), "next": "/approve"}
        form |= {"username": username, "password": PASSWORD}
        assert phone.post("/login", data=form).status_code == 303
        token = _csrf(phone.get("/approve").text)
        answer = phone.post(
            f"/approve/{request_id}", data={"csrf_token": token, "decision": "deny"}
        )
        assert answer.headers["location"] == "/approve?notice=denied"
    expect(card).to_have_count(0, timeout=10_000)
    expect(page.get_by_text("No request is waiting.")).to_be_visible()
    assert browser.errors == []


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found is not None, html
    return found.group(1)
