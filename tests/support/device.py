"""The device flow (RFC 8628) from a test's side, in-process: the device's two requests and the
person's visit to /device in an in-process browser (tests.support.pages)."""

from __future__ import annotations

from typing import Any

import httpx
from starlette.applications import Starlette

from stint.protocol.device import DEVICE_CODE_GRANT
from tests.conftest import make_client
from tests.support.clock import Clock
from tests.support.pages import csrf_of, hidden_inputs
from tests.support.tokens import client_auth, token_request

__all__ = [
    "DEVICE_AUTHORIZATION",
    "DEVICE_CODE_GRANT",
    "answer",
    "device_client",
    "enter_code",
    "poll",
    "start",
    "use_clock",
]

DEVICE_AUTHORIZATION = "/o/device_authorization"


async def device_client(app: Starlette, name: str = "Living-room TV", **spec: Any) -> str:
    """A public client registered for the device flow (and refresh tokens); returns its id."""
    spec.setdefault("grant_types", [DEVICE_CODE_GRANT, "refresh_token"])
    client_id, _ = await make_client(app, name=name, client_type="public", **spec)
    return client_id


async def start(
    client: httpx.AsyncClient,
    client_id: str,
    secret: str | None = None,
    *,
    scope: str | None = "openid activities:read",
) -> httpx.Response:
    """The device authorization request (§3.1), authenticated as at the token endpoint."""
    headers, data = client_auth(client_id, secret)
    if scope is not None:
        data["scope"] = scope
    return await client.post(DEVICE_AUTHORIZATION, data=data, headers=headers)


async def poll(
    client: httpx.AsyncClient, client_id: str, device_code: str, secret: str | None = None
) -> httpx.Response:
    """One device access token request (§3.4)."""
    params = {"grant_type": DEVICE_CODE_GRANT, "device_code": device_code}
    return await token_request(client, client_id, secret, params)


async def enter_code(browser: httpx.AsyncClient, user_code: str) -> httpx.Response:
    """Open /device signed in and submit ``user_code`` as typed; returns the answer (the
    approval page when the code names a waiting request)."""
    page = await browser.get("/device")
    assert page.status_code == 200, page.text
    return await browser.post("/device", data={"csrf_token": csrf_of(page), "user_code": user_code})


async def answer(
    browser: httpx.AsyncClient, approval_page: httpx.Response, decision: str = "approve"
) -> httpx.Response:
    """Click Allow (``approve``) or Deny (``deny``) on the approval page."""
    assert approval_page.status_code == 200, approval_page.text
    assert 'name="decision"' in approval_page.text
    form = hidden_inputs(approval_page.text)
    return await browser.post("/device", data={**form, "decision": decision})


def use_clock(app: Starlette, clock: Clock) -> None:
    """Run the app's token clock from ``clock``: expiry and the polling interval follow it (the
    device authorization endpoint, /device and the token step read that one clock)."""
    # The token factory takes its clock when the core is built; tests swap it here.
    app.state.runtime.tokens._clock = clock
