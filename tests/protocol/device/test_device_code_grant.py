"""The device grant at the token endpoint (RFC 8628 §3.4-3.5), on an injected clock: each
polling error, slow_down's longer interval, expiry, denial, and a device code used up once."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from stint.protocol.client_auth import ClientCredentials
from stint.protocol.device import DEVICE_CODE_GRANT
from stint.protocol.errors import (
    AccessDeniedError,
    AuthorizationPendingError,
    ExpiredTokenError,
    InvalidGrantError,
    InvalidRequestError,
    OAuthError,
    SlowDownError,
    UnauthorizedClientError,
)
from stint.protocol.grants.device_code import DeviceCodeGrant
from stint.protocol.jws import segment_json
from stint.protocol.messages import EndpointRequest
from stint.protocol.oidc.id_token import half_hash
from stint.protocol.ports import RevokedBecause
from tests.protocol.device.conftest import DeviceFlow, device_client, device_flow

pytestmark = pytest.mark.anyio


async def _error(flow: DeviceFlow, device_code: str, client_id: str = "tv") -> OAuthError:
    with pytest.raises(OAuthError) as raised:
        await flow.poll(device_code, client_id)
    return raised.value


async def _approved(flow: DeviceFlow, scope: str = "openid activities:read") -> dict[str, Any]:
    body = await flow.start(scope=scope)
    assert await flow.approve(body["user_code"])
    return body


async def test_before_the_person_answers_the_device_hears_authorization_pending(
    flow: DeviceFlow,
) -> None:
    body = await flow.start()
    assert isinstance(await _error(flow, body["device_code"]), AuthorizationPendingError)
    flow.oauth.clock.advance(5)
    error = await _error(flow, body["device_code"])
    assert error.error == "authorization_pending"


async def test_polling_sooner_than_the_interval_is_slow_down_and_adds_5_seconds_for_good(
    flow: DeviceFlow,
) -> None:
    body = await flow.start()
    code = body["device_code"]
    assert isinstance(await _error(flow, code), AuthorizationPendingError)
    flow.oauth.clock.advance(4)
    slow = await _error(flow, code)
    assert isinstance(slow, SlowDownError) and slow.error == "slow_down"
    assert "10 seconds" in slow.description
    # §3.5: the new interval holds for every later poll: 5 seconds is now too soon.
    flow.oauth.clock.advance(5)
    assert isinstance(await _error(flow, code), SlowDownError)  # and 15 from here on
    flow.oauth.clock.advance(15)
    assert isinstance(await _error(flow, code), AuthorizationPendingError)
    (stored,) = flow.oauth.device_authorizations.requests.values()
    assert stored.interval == 15


async def test_once_approved_the_next_poll_gets_tokens_refresh_token_and_id_token(
    flow: DeviceFlow,
) -> None:
    body = await _approved(flow)
    tokens = await flow.poll(body["device_code"])
    (approval,) = flow.oauth.approvals.approvals
    grant_id = approval.grant.id
    assert tokens["token_type"] == "Bearer"
    assert tokens["scope"] == "activities:read openid"
    claims = await flow.oauth.verifier().verify(tokens["access_token"])
    assert (claims.subject, claims.username, claims.grant_id) == ("1", "alice", grant_id)
    assert [t.grant_id for t in flow.oauth.refresh_tokens.tokens.values()] == [grant_id]
    id_token = segment_json(tokens["id_token"], 1)
    assert id_token["aud"] == "tv" and id_token["sid"] == "sid-alice"
    assert id_token["auth_time"] == int(flow.oauth.clock().timestamp())
    assert id_token["at_hash"] == half_hash(tokens["access_token"], "RS256")
    assert "nonce" not in id_token  # the device flow has none


async def test_the_refresh_token_works_like_any_other(flow: DeviceFlow) -> None:
    body = await _approved(flow)
    tokens = await flow.poll(body["device_code"])
    form = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    refreshed = await flow.token.handle(
        EndpointRequest(form, ClientCredentials(form_client_id="tv"))
    )
    assert refreshed["access_token"] and "id_token" in refreshed


async def test_without_openid_there_is_no_id_token(flow: DeviceFlow) -> None:
    body = await _approved(flow, scope="activities:read")
    tokens = await flow.poll(body["device_code"])
    assert "id_token" not in tokens and tokens["refresh_token"]


async def test_a_client_without_the_refresh_grant_gets_no_refresh_token() -> None:
    flow = await device_flow(device_client("kiosk", grant_types=frozenset({DEVICE_CODE_GRANT})))
    body = await flow.start("kiosk", scope="activities:read")
    assert await flow.approve(body["user_code"])
    tokens = await flow.poll(body["device_code"], "kiosk")
    assert "refresh_token" not in tokens


async def test_the_device_code_is_used_up_by_the_tokens(flow: DeviceFlow) -> None:
    body = await _approved(flow)
    assert (await flow.poll(body["device_code"]))["access_token"]
    flow.oauth.clock.advance(5)
    again = await _error(flow, body["device_code"])
    assert isinstance(again, InvalidGrantError) and "already used" in again.description


async def test_two_polls_at_once_after_the_approval_get_tokens_once(flow: DeviceFlow) -> None:
    body = await _approved(flow)
    results = await asyncio.gather(
        *(flow.poll(body["device_code"]) for _ in range(2)), return_exceptions=True
    )
    assert sorted(type(r).__name__ for r in results) == ["InvalidGrantError", "dict"]


async def test_a_denied_request_is_access_denied(flow: DeviceFlow) -> None:
    body = await flow.start()
    await flow.verification.deny(await flow.pending(body["user_code"]), 1)
    denied = await _error(flow, body["device_code"])
    assert isinstance(denied, AccessDeniedError) and denied.error == "access_denied"
    assert flow.oauth.refresh_tokens.tokens == {}


@pytest.mark.parametrize(
    ("deny", "before"), [(False, AuthorizationPendingError), (True, AccessDeniedError)]
)
async def test_once_the_codes_lifetime_is_over_the_device_hears_expired_token(
    flow: DeviceFlow, deny: bool, before: type[OAuthError]
) -> None:
    body = await flow.start()
    if deny:
        await flow.verification.deny(await flow.pending(body["user_code"]), 1)
    flow.oauth.clock.advance(599)  # expires_in was 600
    assert isinstance(await _error(flow, body["device_code"]), before)
    flow.oauth.clock.advance(1)
    expired = await _error(flow, body["device_code"])
    assert isinstance(expired, ExpiredTokenError) and expired.error == "expired_token"


async def test_an_approved_code_not_collected_before_expiry_gives_no_tokens(
    flow: DeviceFlow,
) -> None:
    body = await _approved(flow)
    flow.oauth.clock.advance(600)
    expired = await _error(flow, body["device_code"])
    assert isinstance(expired, ExpiredTokenError) and expired.error == "expired_token"
    assert flow.oauth.refresh_tokens.tokens == {}


async def test_an_unknown_device_code_is_invalid_grant(flow: DeviceFlow) -> None:
    await flow.start()
    assert isinstance(await _error(flow, "no-such-code"), InvalidGrantError)


async def test_another_clients_device_code_is_invalid_grant_and_burns_nothing() -> None:
    flow = await device_flow(device_client("thief"))
    body = await _approved(flow)
    stolen = await _error(flow, body["device_code"], "thief")
    assert isinstance(stolen, InvalidGrantError) and "unknown device code" in stolen.description
    assert (await flow.poll(body["device_code"]))["access_token"]  # still the owner's


async def test_a_request_without_a_device_code_is_invalid_request(flow: DeviceFlow) -> None:
    assert isinstance(await _error(flow, ""), InvalidRequestError)


async def test_a_client_not_registered_for_the_device_grant_is_unauthorized_client(
    flow: DeviceFlow,
) -> None:
    body = await _approved(flow)
    error = await _error(flow, body["device_code"], "web")
    assert isinstance(error, UnauthorizedClientError) and error.error == "unauthorized_client"


async def test_a_grant_revoked_before_the_poll_gives_no_tokens(flow: DeviceFlow) -> None:
    body = await _approved(flow)
    (approval,) = flow.oauth.approvals.approvals
    await flow.oauth.grants.revoke(approval.grant.id, RevokedBecause.USER_REVOKED)
    assert isinstance(await _error(flow, body["device_code"]), InvalidGrantError)


async def test_a_user_deactivated_before_the_poll_gets_no_tokens(flow: DeviceFlow) -> None:
    body = await _approved(flow)
    del flow.oauth.users.names[1]
    error = await _error(flow, body["device_code"])
    assert isinstance(error, InvalidGrantError) and "no longer active" in error.description


async def test_the_grant_cannot_be_built_without_its_store(flow: DeviceFlow) -> None:
    with pytest.raises(ValueError, match="device authorization store"):
        DeviceCodeGrant(flow.oauth.context(device_authorizations=None))
