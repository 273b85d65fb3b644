"""The CIBA grant at the token endpoint (CIBA Core §10.1, §11): pending, slow_down, denied,
expired, someone else's or used auth_req_ids, push clients, and the tokens once approved."""

from __future__ import annotations

import asyncio

import pytest
from joserfc import jwt

from stint.protocol.errors import (
    AuthorizationPendingError,
    DeniedByUserError,
    ExpiredTokenError,
    InvalidGrantError,
    InvalidRequestError,
    OAuthError,
    SlowDownError,
    UnauthorizedClientError,
)
from stint.protocol.ports import RevokedBecause
from tests.protocol.ciba.conftest import World
from tests.support.oauth_memory import ISSUER

pytestmark = pytest.mark.anyio


async def test_a_pending_request_answers_authorization_pending(world: World) -> None:
    started = await world.start()
    with pytest.raises(AuthorizationPendingError) as raised:
        await world.poll("poller", started.body["auth_req_id"])
    assert raised.value.error == "authorization_pending"


async def test_polling_sooner_than_the_interval_is_slow_down_and_raises_the_interval(
    world: World,
) -> None:
    auth_req_id = (await world.start()).body["auth_req_id"]
    with pytest.raises(AuthorizationPendingError):
        await world.poll("poller", auth_req_id)
    world.oauth.clock.advance(2)
    with pytest.raises(SlowDownError) as raised:
        await world.poll("poller", auth_req_id)
    assert raised.value.error == "slow_down"
    stored = await world.requests.get(world.oauth.hasher.hash(auth_req_id))
    assert stored is not None and stored.interval == 10
    world.oauth.clock.advance(10)
    with pytest.raises(AuthorizationPendingError):
        await world.poll("poller", auth_req_id)


async def test_an_approved_request_gives_the_code_flows_tokens_once(world: World) -> None:
    started = await world.start(scope="openid profile")
    auth_req_id = started.body["auth_req_id"]
    await world.approve(started)
    body = await world.poll("poller", auth_req_id)
    assert {"access_token", "token_type", "expires_in", "refresh_token", "id_token"} <= set(body)
    assert body["scope"] == "openid profile"
    claims = jwt.decode(body["id_token"], world.oauth.keys.current_for("ES256").key).claims
    assert (claims["iss"], claims["aud"], claims["sub"]) == (ISSUER, "poller", "1")
    assert "at_hash" in claims and claims["sid"] == "sid-1"
    assert "nonce" not in claims  # CIBA has none
    with pytest.raises(InvalidGrantError, match="already used"):
        await world.poll("poller", auth_req_id)


async def test_twenty_polls_of_an_approved_request_at_once_get_tokens_once(world: World) -> None:
    started = await world.start()
    await world.approve(started)
    results = await asyncio.gather(
        *(world.poll("poller", started.body["auth_req_id"]) for _ in range(20)),
        return_exceptions=True,
    )
    assert len([r for r in results if isinstance(r, dict)]) == 1
    assert all(isinstance(r, InvalidGrantError) for r in results if not isinstance(r, dict))


async def test_a_denied_request_answers_access_denied(world: World) -> None:
    started = await world.start()
    await world.approvals.deny(1, started.request.handle)
    with pytest.raises(DeniedByUserError) as raised:
        await world.poll("poller", started.body["auth_req_id"])
    assert (raised.value.error, raised.value.status_code) == ("access_denied", 400)


async def test_an_expired_request_answers_expired_token_even_once_approved(world: World) -> None:
    started = await world.start(requested_expiry="60")
    await world.approve(started)
    world.oauth.clock.advance(60)
    with pytest.raises(ExpiredTokenError) as raised:
        await world.poll("poller", started.body["auth_req_id"])
    assert raised.value.error == "expired_token"


async def test_an_unknown_or_another_clients_auth_req_id_is_invalid_grant(world: World) -> None:
    started = await world.start()
    with pytest.raises(InvalidGrantError):
        await world.poll("poller", "not-an-auth-req-id")
    with pytest.raises(InvalidGrantError):
        await world.poll("signer", started.body["auth_req_id"])
    # The other client's attempt did not count as a poll of this request.
    with pytest.raises(AuthorizationPendingError):
        await world.poll("poller", started.body["auth_req_id"])


async def test_a_push_client_may_not_poll(world: World) -> None:
    started = await world.start("pusher", client_notification_token="bearer")
    with pytest.raises(UnauthorizedClientError) as raised:
        await world.poll("pusher", started.body["auth_req_id"])
    assert raised.value.error == "unauthorized_client"


async def test_a_ping_client_may_poll_too(world: World) -> None:
    started = await world.start("pinger", client_notification_token="bearer")
    await world.approve(started)
    assert "access_token" in await world.poll("pinger", started.body["auth_req_id"])


async def test_auth_req_id_is_required(world: World) -> None:
    with pytest.raises(InvalidRequestError):
        await world.poll("poller", "")


async def test_a_grant_revoked_before_the_poll_issues_nothing(world: World) -> None:
    started = await world.start()
    approved = await world.approve(started)
    await world.oauth.grants.revoke(approved.grant_id, RevokedBecause.USER_REVOKED)
    with pytest.raises(InvalidGrantError, match="revoked"):
        await world.poll("poller", started.body["auth_req_id"])


async def test_every_refusal_is_a_token_endpoint_error_not_a_server_error(world: World) -> None:
    started = await world.start()
    with pytest.raises(OAuthError) as raised:
        await world.poll("poller", started.body["auth_req_id"])
    assert raised.value.status_code == 400
