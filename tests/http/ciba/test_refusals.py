"""What CIBA refuses (CIBA Core §11, §12, §13): a denied request, an unknown hint, an expired
request, a client not registered for its mode, polling too fast, and deciding someone else's
request."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import update
from starlette.applications import Starlette

from stint.storage.tables import backchannel_requests
from tests.conftest import Account, make_client, register
from tests.support.ciba import (
    BACKCHANNEL_PATH,
    CibaClient,
    backchannel_request,
    ciba_client,
    decide,
    pending,
    poll,
)
from tests.support.notification_endpoint import NotificationEndpoint
from tests.support.pages import browser, csrf_of, sign_in

pytestmark = pytest.mark.anyio


async def test_a_denied_request_is_access_denied_at_the_token_endpoint(
    app: Starlette, client: httpx.AsyncClient, approver: httpx.AsyncClient, alice: Account
) -> None:
    ciba = await ciba_client(app, "poll")
    auth_req_id = (await backchannel_request(client, ciba)).json()["auth_req_id"]
    [shown] = await pending(approver)
    denied = await decide(approver, shown["id"], "deny")
    assert denied.headers["location"] == "/approve?notice=denied"
    refused = await poll(client, ciba, auth_req_id)
    assert refused.status_code == 400  # RFC 6749 §5.2
    assert refused.json()["error"] == "access_denied"  # §11
    assert await pending(approver) == []


async def test_a_denied_push_request_pushes_the_error(
    app: Starlette,
    client: httpx.AsyncClient,
    approver: httpx.AsyncClient,
    alice: Account,
    endpoint: NotificationEndpoint,
) -> None:
    ciba = await ciba_client(app, "push", notification_endpoint=endpoint.url)
    started = await backchannel_request(client, ciba, client_notification_token="push-t")
    [shown] = await pending(approver)
    await decide(approver, shown["id"], "deny")
    await app.state.ciba_notifier.settle()
    pushed = endpoint.received()
    assert pushed.authorization == "Bearer push-t"
    assert pushed.body["error"] == "access_denied"  # §12
    assert pushed.body["auth_req_id"] == started.json()["auth_req_id"]
    assert "access_token" not in pushed.body


async def test_an_unknown_hint_is_unknown_user_id(
    app: Starlette, client: httpx.AsyncClient, alice: Account
) -> None:
    ciba = await ciba_client(app, "poll")
    refused = await backchannel_request(client, ciba, login_hint="nobody-here")
    assert refused.status_code == 400
    assert refused.json()["error"] == "unknown_user_id"  # §13
    assert refused.headers["cache-control"] == "no-store"


async def test_an_expired_request_is_expired_token_and_leaves_the_approval_page(
    app: Starlette,
    client: httpx.AsyncClient,
    approver: httpx.AsyncClient,
    alice: Account,
) -> None:
    ciba = await ciba_client(app, "poll")
    started = await backchannel_request(client, ciba, requested_expiry="60")
    assert started.json()["expires_in"] == 60
    [shown] = await pending(approver)
    # As if the minute had passed.
    async with app.state.runtime.db.write() as conn:
        await conn.execute(
            update(backchannel_requests).values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
    assert await pending(approver) == []
    too_late = await decide_without_page(approver, shown["id"], "approve")
    assert too_late.headers["location"] == "/approve?notice=gone"
    expired = await poll(client, ciba, started.json()["auth_req_id"])
    assert expired.status_code == 400
    assert expired.json()["error"] == "expired_token"  # §11


@pytest.mark.parametrize(
    ("mode", "endpoint_url"),
    [
        pytest.param(None, None, id="no delivery mode"),
        pytest.param("ping", None, id="ping without a notification endpoint"),
        pytest.param("push", None, id="push without a notification endpoint"),
        pytest.param("carrier-pigeon", None, id="a mode nobody offers"),
    ],
)
async def test_a_client_not_registered_for_a_mode_is_unauthorized_client(
    app: Starlette,
    client: httpx.AsyncClient,
    alice: Account,
    mode: str | None,
    endpoint_url: str | None,
) -> None:
    ciba = await ciba_client(app, mode, notification_endpoint=endpoint_url)
    refused = await backchannel_request(client, ciba, client_notification_token="t")
    assert refused.status_code == 400, refused.text
    assert refused.json()["error"] == "unauthorized_client"  # §13


async def test_a_client_without_the_ciba_grant_is_unauthorized_client(
    app: Starlette, client: httpx.AsyncClient, alice: Account
) -> None:
    client_id, secret = await make_client(app, name="Plain", grant_types=["client_credentials"])
    assert secret is not None
    refused = await backchannel_request(client, CibaClient(client_id, secret))
    assert refused.status_code == 400
    assert refused.json()["error"] == "unauthorized_client"


async def test_polling_faster_than_the_interval_is_slow_down(
    app: Starlette, client: httpx.AsyncClient, alice: Account
) -> None:
    ciba = await ciba_client(app, "poll")
    auth_req_id = (await backchannel_request(client, ciba)).json()["auth_req_id"]
    first = await poll(client, ciba, auth_req_id)
    assert first.json()["error"] == "authorization_pending"
    second = await poll(client, ciba, auth_req_id)  # well within the 5 s interval
    assert second.status_code == 400
    assert second.json()["error"] == "slow_down"  # §11, RFC 8628 §3.5


async def test_the_endpoint_needs_client_authentication(
    app: Starlette, client: httpx.AsyncClient, alice: Account
) -> None:
    ciba = await ciba_client(app, "poll")
    form = {"scope": "openid", "login_hint": "alice", "client_id": ciba.client_id}
    refused = await client.post(BACKCHANNEL_PATH, data=form)
    assert refused.status_code == 401
    assert refused.json()["error"] == "invalid_client"
    wrong = await client.post(
        BACKCHANNEL_PATH,
        data={"scope": "openid", "login_hint": "alice"},
        auth=(ciba.client_id, "x"),
    )
    assert wrong.status_code == 401
    assert (await client.get(BACKCHANNEL_PATH)).status_code == 405


async def test_another_person_cannot_see_or_decide_alices_request(
    app: Starlette, client: httpx.AsyncClient, alice: Account
) -> None:
    bob = await register(client, "bob")
    ciba = await ciba_client(app, "poll")
    auth_req_id = (await backchannel_request(client, ciba)).json()["auth_req_id"]
    async with browser(app) as alices, browser(app) as bobs:
        await sign_in(alices, alice.username, alice.password)
        await sign_in(bobs, bob.username, bob.password)
        [shown] = await pending(alices)
        assert await pending(bobs) == []
        attempt = await decide_without_page(bobs, shown["id"], "approve")
        assert attempt.headers["location"] == "/approve?notice=gone"
        assert len(await pending(alices)) == 1
    still = await poll(client, ciba, auth_req_id)
    assert still.json()["error"] == "authorization_pending"


async def test_deciding_needs_the_form_token_and_a_session(
    app: Starlette, client: httpx.AsyncClient, approver: httpx.AsyncClient, alice: Account
) -> None:
    ciba = await ciba_client(app, "poll")
    await backchannel_request(client, ciba)
    [shown] = await pending(approver)
    forged = await approver.post(f"/approve/{shown['id']}", data={"decision": "approve"})
    assert forged.status_code == 403
    undecided = await decide_without_page(approver, shown["id"], "maybe")
    assert undecided.status_code == 400
    assert len(await pending(approver)) == 1
    async with browser(app) as signed_out:
        assert (await signed_out.get("/approve")).headers["location"].startswith("/login?")
        assert (await signed_out.get("/approve/pending")).status_code == 401


async def decide_without_page(
    browser_: httpx.AsyncClient, request_id: str, decision: str
) -> httpx.Response:
    """POST a decision for ``request_id`` with the browser's form token, whatever /approve shows."""
    token = csrf_of(await browser_.get("/approve"))
    return await browser_.post(
        f"/approve/{request_id}", data={"csrf_token": token, "decision": decision}
    )
