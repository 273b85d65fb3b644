"""The backchannel authentication endpoint (CIBA Core §7): who may ask, what they may ask, and
the §13 error for each wrong request."""

from __future__ import annotations

from dataclasses import replace

import pytest

from stint.protocol.ciba.errors import (
    InvalidBindingMessageError,
    MissingUserCodeError,
    UnknownUserIdError,
)
from stint.protocol.ciba.policy import CibaPolicy
from stint.protocol.ciba.ports import BackchannelStatus
from stint.protocol.client_auth import ClientCredentials
from stint.protocol.errors import (
    InvalidClientError,
    InvalidRequestError,
    InvalidScopeError,
    UnauthorizedClientError,
)
from stint.protocol.messages import EndpointRequest
from tests.protocol.ciba.conftest import World, ciba_client

pytestmark = pytest.mark.anyio


async def test_a_poll_client_gets_an_auth_req_id_its_lifetime_and_the_interval(
    world: World,
) -> None:
    started = await world.start(binding_message="W4SCT", acr_values="urn:stint:acr:password")
    body = started.body
    assert set(body) == {"auth_req_id", "expires_in", "interval"}
    assert len(body["auth_req_id"]) >= 43  # 256 bits, base64url
    assert (body["expires_in"], body["interval"]) == (300, 5)
    stored = await world.requests.get(world.oauth.hasher.hash(body["auth_req_id"]))
    assert stored == started.request
    assert stored is not None and stored.status is BackchannelStatus.PENDING
    assert (stored.user_id, stored.client_id) == (1, "poller")
    assert stored.scopes == {"openid"}
    assert stored.binding_message == "W4SCT"
    assert stored.acr_values == ("urn:stint:acr:password",)
    # A poll client is never called back: its auth_req_id is kept as a hash only.
    assert stored.auth_req_id is None and stored.client_notification_token is None


async def test_ping_and_push_clients_keep_their_notification_token_and_push_gets_no_interval(
    world: World,
) -> None:
    ping = await world.start("pinger", client_notification_token="ping-bearer-token")
    assert ping.body["interval"] == 5
    assert ping.request.client_notification_token == "ping-bearer-token"
    assert ping.request.auth_req_id == ping.body["auth_req_id"]
    push = await world.start("pusher", client_notification_token="push-bearer-token")
    assert "interval" not in push.body


async def test_requested_expiry_is_honoured_up_to_the_deployments_limit(world: World) -> None:
    assert (await world.start(requested_expiry="120")).body["expires_in"] == 120
    assert (await world.start(requested_expiry="99999")).body["expires_in"] == 1800
    for bad in ("0", "-5", "ten", "1.5"):
        with pytest.raises(InvalidRequestError):
            await world.start(requested_expiry=bad)


async def test_the_client_authenticates_as_at_the_token_endpoint(world: World) -> None:
    wrong = EndpointRequest(
        {"scope": "openid", "login_hint": "alice"}, ClientCredentials(basic=("poller", "nope"))
    )
    with pytest.raises(InvalidClientError):
        await world.endpoint.handle(wrong)
    with pytest.raises(InvalidClientError):
        await world.endpoint.handle(EndpointRequest({"scope": "openid"}))


async def test_a_client_not_registered_for_ciba_or_a_mode_is_unauthorized(world: World) -> None:
    world.add(replace(ciba_client("code-only"), grant_types=frozenset({"authorization_code"})))
    world.add(ciba_client("modeless", mode=None))
    world.add(ciba_client("pinger-without-endpoint", "ping"))
    world.clients.clients["pinger-without-endpoint"].metadata.pop(
        "backchannel_client_notification_endpoint"
    )
    for client_id in ("code-only", "modeless", "pinger-without-endpoint"):
        with pytest.raises(UnauthorizedClientError):
            await world.start(client_id, client_notification_token="t")


async def test_a_mode_the_deployment_does_not_offer_is_unauthorized(world: World) -> None:
    world.with_policy(CibaPolicy(delivery_modes=("poll",)))
    await world.start("poller")
    with pytest.raises(UnauthorizedClientError):
        await world.start("pusher", client_notification_token="t")


async def test_scope_must_be_given_and_include_openid(world: World) -> None:
    with pytest.raises(InvalidRequestError, match="scope is required"):
        await world.start(scope="")
    with pytest.raises(InvalidRequestError, match="openid"):
        await world.start(scope="activities:read")
    with pytest.raises(InvalidScopeError):
        await world.start(scope="openid admin")
    started = await world.start(scope="openid profile activities:read")
    assert started.request.scopes == {"openid", "profile", "activities:read"}


async def test_ping_and_push_need_a_client_notification_token(world: World) -> None:
    for client_id in ("pinger", "pusher"):
        with pytest.raises(InvalidRequestError, match="client_notification_token"):
            await world.start(client_id)
        with pytest.raises(InvalidRequestError, match="malformed"):
            await world.start(client_id, client_notification_token="x" * 1025)


async def test_exactly_one_hint_is_required(world: World) -> None:
    with pytest.raises(InvalidRequestError, match="exactly one"):
        await world.start(login_hint="")
    with pytest.raises(InvalidRequestError, match="exactly one"):
        await world.start(id_token_hint="a.b.c")


async def test_a_hint_naming_nobody_or_a_disabled_account_is_unknown_user_id(
    world: World,
) -> None:
    with pytest.raises(UnknownUserIdError) as raised:
        await world.start(login_hint="mallory")
    assert raised.value.error == "unknown_user_id"
    world.hinted.logins["carol"] = 7  # an account that is no longer active
    with pytest.raises(UnknownUserIdError):
        await world.start(login_hint="carol")


@pytest.mark.parametrize("message", ["x" * 65, "line\nbreak", "<b>bold</b>", "\x00"])
async def test_a_binding_message_too_long_or_not_plain_text_is_refused(
    world: World, message: str
) -> None:
    with pytest.raises(InvalidBindingMessageError) as raised:
        await world.start(binding_message=message)
    assert raised.value.error == "invalid_binding_message"


async def test_a_binding_message_in_any_script_is_kept(world: World) -> None:
    started = await world.start(binding_message="Überweisung 42 € — 確認")
    assert started.request.binding_message == "Überweisung 42 € — 確認"


async def test_a_client_that_registered_user_codes_must_send_one(world: World) -> None:
    world.add(ciba_client("coded", backchannel_user_code_parameter=True))
    with pytest.raises(MissingUserCodeError) as raised:
        await world.start("coded")
    assert raised.value.error == "missing_user_code"


async def test_a_claims_request_is_kept_for_the_approval(world: World) -> None:
    started = await world.start(claims='{"id_token": {"email": {"essential": true}}}')
    assert started.request.claims == {"id_token": {"email": {"essential": True}}, "userinfo": {}}
    with pytest.raises(InvalidRequestError):
        await world.start(claims="not json")
