"""Calling ping and push clients back (CIBA Core §10.2, §10.3.1, §12)."""

from __future__ import annotations

import pytest
from joserfc import jwt

from stint.protocol.ciba.tokens import AUTH_REQ_ID_CLAIM, RT_HASH_CLAIM
from stint.protocol.oidc.id_token import half_hash
from tests.protocol.ciba.conftest import NOTIFY, World

pytestmark = pytest.mark.anyio


async def test_a_poll_client_is_not_called_back(world: World) -> None:
    started = await world.start()
    approved = await world.approve(started)
    assert await world.notifications.after_decision(approved) is None


async def test_a_ping_client_hears_its_auth_req_id_with_its_bearer_token(world: World) -> None:
    started = await world.start("pinger", client_notification_token="ping-bearer")
    approved = await world.approve(started)
    notification = await world.notifications.after_decision(approved)
    assert notification is not None
    assert (notification.endpoint, notification.bearer) == (NOTIFY, "ping-bearer")
    assert notification.body == {"auth_req_id": started.body["auth_req_id"]}
    # Ping only tells: the tokens are still to be fetched, once.
    assert "access_token" in await world.poll("pinger", started.body["auth_req_id"])


async def test_a_ping_client_hears_of_a_denial_too(world: World) -> None:
    started = await world.start("pinger", client_notification_token="ping-bearer")
    denied = await world.approvals.deny(1, started.request.handle)
    assert denied is not None
    notification = await world.notifications.after_decision(denied)
    assert notification is not None
    assert notification.body == {"auth_req_id": started.body["auth_req_id"]}


async def test_a_push_client_gets_its_tokens_once_with_the_id_token_bound_to_the_request(
    world: World,
) -> None:
    started = await world.start("pusher", client_notification_token="push-bearer")
    approved = await world.approve(started)
    notification = await world.notifications.after_decision(approved)
    assert notification is not None and notification.bearer == "push-bearer"
    body = notification.body
    assert body["auth_req_id"] == started.body["auth_req_id"]
    assert {"access_token", "token_type", "expires_in", "refresh_token", "id_token"} <= set(body)
    claims = jwt.decode(body["id_token"], world.oauth.keys.current_for("ES256").key).claims
    assert claims[AUTH_REQ_ID_CLAIM] == started.body["auth_req_id"]  # §10.3.1
    assert claims[RT_HASH_CLAIM] == half_hash(body["refresh_token"], "ES256")
    assert claims["at_hash"] == half_hash(body["access_token"], "ES256")
    assert await world.notifications.after_decision(approved) is None  # pushed once


async def test_a_push_client_hears_access_denied_with_its_auth_req_id(world: World) -> None:
    started = await world.start("pusher", client_notification_token="push-bearer")
    denied = await world.approvals.deny(1, started.request.handle)
    assert denied is not None
    notification = await world.notifications.after_decision(denied)
    assert notification is not None
    assert notification.body["error"] == "access_denied"  # §12
    assert notification.body["auth_req_id"] == started.body["auth_req_id"]
