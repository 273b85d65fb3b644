"""CIBA (OpenID CIBA Core 1.0) from a test's side, in-process: a client registered for a token
delivery mode, its backchannel authentication and token requests, and the person's decision
on /approve through a browser of their own."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import httpx
from starlette.applications import Starlette

from stint.protocol.ciba import GRANT_TYPE
from stint.protocol.registration import ClientSpec, new_client
from tests.conftest import basic
from tests.support.pages import csrf_of

__all__ = [
    "BACKCHANNEL_PATH",
    "CibaClient",
    "backchannel_request",
    "ciba_client",
    "decide",
    "pending",
    "poll",
]

BACKCHANNEL_PATH = "/o/bc-authorize"


@dataclass(frozen=True)
class CibaClient:
    client_id: str
    secret: str

    @property
    def basic(self) -> dict[str, str]:
        return basic(self.client_id, self.secret)


async def ciba_client(
    app: Starlette,
    mode: str | None,
    *,
    notification_endpoint: str | None = None,
    name: str = "Till 4",
    **metadata: Any,
) -> CibaClient:
    """A confidential client registered for CIBA in ``mode`` (poll, ping or push; None: with
    the grant type but no delivery mode)."""
    runtime = app.state.runtime
    spec = ClientSpec(name=name, grant_types=frozenset({"refresh_token"}))
    client, secret = new_client(spec, runtime.hasher, allow_http=True)
    registered = {"backchannel_token_delivery_mode": mode, **metadata} if mode else {}
    if notification_endpoint is not None:
        registered["backchannel_client_notification_endpoint"] = notification_endpoint
    client = replace(
        client,
        grant_types=client.grant_types | {GRANT_TYPE},
        metadata={**client.metadata, **registered},
    )
    await runtime.oauth.clients.add(client)
    assert secret is not None
    return CibaClient(client.client_id, secret)


async def backchannel_request(
    client: httpx.AsyncClient, ciba: CibaClient, **params: str
) -> httpx.Response:
    """POST /o/bc-authorize (CIBA §7.1) as ``ciba``: for alice, openid and activities:read by
    default; ``params`` add to or replace those."""
    form = {"scope": "openid activities:read", "login_hint": "alice", **params}
    return await client.post(BACKCHANNEL_PATH, data=form, headers=ciba.basic)


async def poll(client: httpx.AsyncClient, ciba: CibaClient, auth_req_id: str) -> httpx.Response:
    """The token request of the CIBA grant (§10.1)."""
    form = {"grant_type": GRANT_TYPE, "auth_req_id": auth_req_id}
    return await client.post("/o/token/", data=form, headers=ciba.basic)


async def pending(browser: httpx.AsyncClient) -> list[dict[str, Any]]:
    """What /approve's script sees: the signed-in person's pending requests."""
    answer = await browser.get("/approve/pending")
    assert answer.status_code == 200, answer.text
    assert answer.headers["cache-control"] == "no-store"
    requests: list[dict[str, Any]] = answer.json()["requests"]
    return requests


async def decide(browser: httpx.AsyncClient, request_id: str, decision: str) -> httpx.Response:
    """Press Approve or Deny on /approve for the request ``request_id``."""
    page = await browser.get("/approve")
    assert page.status_code == 200, page.text
    assert f'data-request-id="{request_id}"' in page.text
    form = {"csrf_token": csrf_of(page), "decision": decision}
    return await browser.post(f"/approve/{request_id}", data=form)
