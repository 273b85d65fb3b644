"""CIBA end to end in each token delivery mode (CIBA Core §5): the client's backchannel request,
the person's approval on /approve, then the tokens by polling (§10.1), after a ping (§10.2), or
pushed to the client (§10.3)."""

from __future__ import annotations

import httpx
import pytest
from starlette.applications import Starlette

from stint.settings import Settings
from tests.conftest import Account, register
from tests.oidc.support import half_hash, unverified, verify_id_token
from tests.support.apps import app_with
from tests.support.ciba import backchannel_request, ciba_client, decide, pending, poll
from tests.support.notification_endpoint import NotificationEndpoint
from tests.support.pages import browser, sign_in

pytestmark = pytest.mark.anyio

AUTH_REQ_ID_CLAIM = "urn:openid:params:jwt:claim:auth_req_id"


async def test_poll_mode_pending_then_approved_on_approve_then_tokens_with_an_id_token(
    app: Starlette, client: httpx.AsyncClient, approver: httpx.AsyncClient, alice: Account
) -> None:
    ciba = await ciba_client(app, "poll")
    started = await backchannel_request(client, ciba, binding_message="Till 4: 12.50 EUR")
    assert started.status_code == 200, started.text
    assert started.headers["cache-control"] == "no-store"
    body = started.json()
    assert set(body) == {"auth_req_id", "expires_in", "interval"}  # §7.3
    assert body["interval"] == 5
    assert 0 < body["expires_in"] <= 1800

    waiting = await poll(client, ciba, body["auth_req_id"])
    assert waiting.status_code == 400
    assert waiting.json()["error"] == "authorization_pending"

    [shown] = await pending(approver)
    assert shown["client_name"] == "Till 4"
    assert shown["binding_message"] == "Till 4: 12.50 EUR"
    assert {s["scope"] for s in shown["scopes"]} == {"openid", "activities:read"}
    assert body["auth_req_id"] not in str(shown)  # the client's handle never reaches the page
    approved = await decide(approver, shown["id"], "approve")
    assert approved.status_code == 303
    assert approved.headers["location"] == "/approve?notice=approved"
    assert await pending(approver) == []

    tokens = await poll(client, ciba, body["auth_req_id"])
    assert tokens.status_code == 200, tokens.text
    issued = tokens.json()
    assert issued["token_type"] == "Bearer"
    assert issued["scope"].split() == ["activities:read", "openid"]
    verified = await verify_id_token(
        client, issued["id_token"], ciba.client_id, nonce=None, access_token=issued["access_token"]
    )
    assert AUTH_REQ_ID_CLAIM not in verified.claims  # only pushed ID tokens carry it
    me = await client.get(
        "/api/activities", headers={"Authorization": f"Bearer {issued['access_token']}"}
    )
    assert me.status_code == 200, me.text

    again = await poll(client, ciba, body["auth_req_id"])  # single use
    assert again.status_code == 400
    assert again.json()["error"] == "invalid_grant"


async def test_ping_mode_notifies_the_client_which_then_gets_its_tokens(
    app: Starlette,
    client: httpx.AsyncClient,
    approver: httpx.AsyncClient,
    alice: Account,
    endpoint: NotificationEndpoint,
) -> None:
    ciba = await ciba_client(app, "ping", notification_endpoint=endpoint.url)
    started = await backchannel_request(client, ciba, client_notification_token="ping-token-1")
    assert started.status_code == 200, started.text
    auth_req_id = started.json()["auth_req_id"]
    assert "interval" in started.json()  # §7.3: a ping client may poll too

    [shown] = await pending(approver)
    assert (await decide(approver, shown["id"], "approve")).status_code == 303
    await app.state.ciba_notifier.settle()

    notified = endpoint.received()
    assert notified.path == "/cb"
    assert notified.authorization == "Bearer ping-token-1"  # §10.2
    assert notified.content_type == "application/json"
    assert notified.body == {"auth_req_id": auth_req_id}

    tokens = await poll(client, ciba, auth_req_id)
    assert tokens.status_code == 200, tokens.text
    assert tokens.json()["id_token"]


async def test_push_mode_delivers_the_tokens_and_an_id_token_naming_the_request(
    app: Starlette,
    client: httpx.AsyncClient,
    approver: httpx.AsyncClient,
    alice: Account,
    endpoint: NotificationEndpoint,
) -> None:
    ciba = await ciba_client(app, "push", notification_endpoint=endpoint.url)
    started = await backchannel_request(client, ciba, client_notification_token="push-token-1")
    assert started.status_code == 200, started.text
    auth_req_id = started.json()["auth_req_id"]
    assert "interval" not in started.json()  # §7.3: push clients never poll

    [shown] = await pending(approver)
    assert (await decide(approver, shown["id"], "approve")).status_code == 303
    await app.state.ciba_notifier.settle()

    pushed = endpoint.received()
    assert pushed.authorization == "Bearer push-token-1"
    body = pushed.body
    assert body["auth_req_id"] == auth_req_id  # §10.3.1
    assert body["token_type"] == "Bearer"
    verified = await verify_id_token(
        client, body["id_token"], ciba.client_id, nonce=None, access_token=body["access_token"]
    )
    assert verified.claims[AUTH_REQ_ID_CLAIM] == auth_req_id
    if "refresh_token" in body:
        alg = verified.header["alg"]
        rt_hash = verified.claims["urn:openid:params:jwt:claim:rt_hash"]
        assert rt_hash == half_hash(body["refresh_token"], alg)
    me = await client.get(
        "/api/activities", headers={"Authorization": f"Bearer {body['access_token']}"}
    )
    assert me.status_code == 200, me.text

    # §10.3: a push client gets nothing by polling.
    polled = await poll(client, ciba, auth_req_id)
    assert polled.status_code == 400
    assert polled.json()["error"] == "unauthorized_client"
    assert endpoint.nothing_more()
    assert unverified(body["id_token"])[1]["aud"] in (ciba.client_id, [ciba.client_id])


async def test_a_notification_the_client_refuses_is_retried_until_it_is_taken(
    app: Starlette,
    client: httpx.AsyncClient,
    approver: httpx.AsyncClient,
    alice: Account,
    endpoint: NotificationEndpoint,
) -> None:
    endpoint.statuses = [503, 500]
    ciba = await ciba_client(app, "ping", notification_endpoint=endpoint.url)
    started = await backchannel_request(client, ciba, client_notification_token="t")
    [shown] = await pending(approver)
    await decide(approver, shown["id"], "approve")
    await app.state.ciba_notifier.settle()
    attempts = [endpoint.received(), endpoint.received(), endpoint.received()]
    assert {a.body["auth_req_id"] for a in attempts} == {started.json()["auth_req_id"]}
    assert endpoint.nothing_more()  # taken at the third attempt: no fourth


async def test_a_notification_is_given_up_after_the_configured_attempts(
    settings: Settings, endpoint: NotificationEndpoint
) -> None:
    endpoint.statuses = [500, 500, 500]
    async with app_with(settings, ciba_notification_attempts=2) as (app, client):
        alice = await register(client, "alice")
        ciba = await ciba_client(app, "push", notification_endpoint=endpoint.url)
        await backchannel_request(client, ciba, client_notification_token="t")
        async with browser(app) as approving:
            await sign_in(approving, alice.username, alice.password)
            [shown] = await pending(approving)
            answered = await decide(approving, shown["id"], "approve")
        assert answered.status_code == 303  # the page never waits for the client
        await app.state.ciba_notifier.settle()
    assert [endpoint.received().body["token_type"] for _ in range(2)] == ["Bearer", "Bearer"]
    assert endpoint.nothing_more()  # two attempts, no third
