"""What /approve does (CIBA Core §7 through the authorization endpoint's consent rules): the
signed-in person's pending requests, approving them into a grant and consent, denying them."""

from __future__ import annotations

import pytest

from stint.protocol.authorize.response import Authentication
from stint.protocol.ciba.ports import BackchannelStatus
from stint.protocol.consent import Consent
from tests.protocol.ciba.conftest import World

pytestmark = pytest.mark.anyio


async def test_pending_shows_each_request_with_its_app_scopes_and_binding_message(
    world: World,
) -> None:
    first = await world.start(scope="openid profile", binding_message="W4SCT")
    world.oauth.clock.advance(1)
    await world.start("signer", request=world.signed(world.request_claims()))
    world.hinted.logins["bob"] = 2
    world.oauth.users.names[2] = "bob"
    await world.start(login_hint="bob")  # someone else's
    pending = await world.approvals.pending(1)
    assert [p.client.client_id for p in pending] == ["poller", "signer"]
    shown = pending[0]
    assert shown.handle == first.request.handle
    assert shown.request.binding_message == "W4SCT"
    assert shown.consent == Consent(frozenset({"openid", "profile"}))
    assert not shown.consented_before


async def test_approving_records_grant_consent_and_session_like_the_authorization_endpoint(
    world: World,
) -> None:
    started = await world.start(scope="openid profile", acr_values="urn:stint:acr:password")
    approved = await world.approve(started)
    assert approved is not None and approved.status is BackchannelStatus.APPROVED
    (approval,) = world.requests.approvals.approvals
    assert approval.grant.id == approved.grant_id
    assert (approval.grant.user_id, approval.grant.client_id) == (1, "poller")
    assert approval.consent == Consent(frozenset({"openid", "profile"}))
    assert approval.sid == "sid-1"  # back-channel logout reaches the client
    oidc = approval.grant.oidc
    assert oidc is not None and oidc["acr"] == "urn:stint:acr:password"
    assert oidc["nonce"] is None and oidc["sid"] == "sid-1"
    # The consent is remembered: the next request for the same shows as consented before.
    await world.start(scope="openid")
    (again,) = await world.approvals.pending(1)
    assert again.consented_before


async def test_only_the_person_named_can_decide_and_only_once(world: World) -> None:
    started = await world.start()
    handle = started.request.handle
    authn = Authentication(world.oauth.clock(), sid="other")
    assert await world.approvals.approve(2, "bob", handle, authn) is None
    assert await world.approvals.deny(2, handle) is None
    denied = await world.approvals.deny(1, handle)
    assert denied is not None and denied.status is BackchannelStatus.DENIED
    assert await world.approve(started) is None
    assert world.requests.approvals.approvals == []


async def test_an_expired_request_can_no_longer_be_approved(world: World) -> None:
    started = await world.start(requested_expiry="30")
    world.oauth.clock.advance(30)
    assert await world.approvals.pending(1) == []
    assert await world.approve(started) is None
