"""The /device page's operations (RFC 8628 §3.3): a typed user code finds the pending request;
approving records the same Approval as the authorization endpoint, linked to the request;
denying answers the device with access_denied."""

from __future__ import annotations

from dataclasses import replace

import pytest

from stint.protocol.authorize.response import Authentication
from stint.protocol.consent import Consent
from stint.protocol.device.ports import DeviceStatus
from stint.protocol.tokens import Subject
from tests.protocol.device.conftest import DeviceFlow, device_client, device_flow

pytestmark = pytest.mark.anyio


async def test_a_typed_user_code_finds_the_request_with_its_client_and_scopes(
    flow: DeviceFlow,
) -> None:
    body = await flow.start(scope="openid activities:read")
    typed = body["user_code"].lower().replace("-", " ")
    pending = await flow.verification.lookup(typed)
    assert pending is not None
    assert pending.client == flow.clients.clients["tv"]
    assert pending.scopes == {"openid", "activities:read"}
    assert pending.device_code_hash == flow.oauth.hasher.hash(body["device_code"])
    assert pending.asked_consent == Consent(frozenset({"openid", "activities:read"}))


@pytest.mark.parametrize("typed", ["BCDF-GHJK", "", "AAAA-AAAA", "' OR 1=1 --"])
async def test_a_code_that_names_no_request_finds_nothing(flow: DeviceFlow, typed: str) -> None:
    await flow.start()
    assert await flow.verification.lookup(typed) is None


async def test_an_expired_request_is_not_found(flow: DeviceFlow) -> None:
    body = await flow.start()
    flow.oauth.clock.advance(600)
    assert await flow.verification.lookup(body["user_code"]) is None


async def test_an_answered_request_is_not_found_again(flow: DeviceFlow) -> None:
    approved, denied = await flow.start(), await flow.start()
    assert await flow.approve(approved["user_code"])
    await flow.verification.deny(await flow.pending(denied["user_code"]), 1)
    assert await flow.verification.lookup(approved["user_code"]) is None
    assert await flow.verification.lookup(denied["user_code"]) is None


async def test_a_request_of_a_client_since_removed_or_unregistered_is_not_found(
    flow: DeviceFlow,
) -> None:
    removed, changed = await flow.start(), await flow.start()
    del flow.clients.clients["tv"]
    assert await flow.verification.lookup(removed["user_code"]) is None
    flow.clients.clients["tv"] = replace(device_client(), grant_types=frozenset({"refresh_token"}))
    assert await flow.verification.lookup(changed["user_code"]) is None


async def test_approving_records_the_grant_consent_and_session_and_links_the_request(
    flow: DeviceFlow,
) -> None:
    body = await flow.start(scope="openid activities:read")
    signed_in_at = flow.oauth.clock()
    flow.oauth.clock.advance(60)
    assert await flow.approve(body["user_code"], auth_time=signed_in_at, acr="1", amr=("pwd",))
    (approval,) = flow.oauth.approvals.approvals
    grant = approval.grant
    assert (grant.client_id, grant.user_id) == ("tv", 1)
    assert grant.scopes == {"openid", "activities:read"}
    assert approval.consent == Consent(frozenset({"openid", "activities:read"}))
    assert approval.sid == "sid-alice"  # back-channel logout covers the device's client
    assert approval.code is None and approval.opaque_token is None
    assert grant.oidc is not None
    assert (grant.oidc["auth_time"], grant.oidc["sid"], grant.oidc["acr"], grant.oidc["nonce"]) == (
        int(signed_in_at.timestamp()),
        "sid-alice",
        "1",
        None,
    )
    assert await flow.oauth.grants.get(grant.id) == grant  # listed on /account like any other
    (stored,) = flow.oauth.device_authorizations.requests.values()
    assert (stored.status, stored.user_id, stored.grant_id, stored.oidc) == (
        DeviceStatus.APPROVED,
        1,
        grant.id,
        grant.oidc,
    )


async def test_without_the_openid_scope_or_id_tokens_no_authentication_or_session_is_kept() -> None:
    for flow, scope in [
        (await device_flow(), "activities:read"),
        (await device_flow(openid=False), "openid activities:read"),
    ]:
        body = await flow.start(scope=scope)
        assert await flow.approve(body["user_code"])
        (approval,) = flow.oauth.approvals.approvals
        assert approval.grant.oidc is None and approval.sid is None


async def test_an_answer_comes_once(flow: DeviceFlow) -> None:
    body = await flow.start()
    pending = await flow.pending(body["user_code"])
    authn = Authentication(auth_time=flow.oauth.clock(), sid="s")
    alice = Subject(1, "alice")
    assert await flow.verification.approve(pending, alice, authn)
    assert not await flow.verification.approve(pending, alice, authn)  # another tab, say
    assert not await flow.verification.deny(pending, 1)
    assert len(flow.oauth.approvals.approvals) == 1


async def test_a_request_that_expired_while_the_page_was_open_is_not_approved(
    flow: DeviceFlow,
) -> None:
    body = await flow.start()
    pending = await flow.pending(body["user_code"])
    flow.oauth.clock.advance(600)
    authn = Authentication(auth_time=flow.oauth.clock())
    assert not await flow.verification.approve(pending, Subject(1, "alice"), authn)
    assert not await flow.verification.deny(pending, 1)
    assert flow.oauth.approvals.approvals == []
    assert flow.oauth.grants.grants == {}


async def test_denying_records_who_denied_and_no_grant(flow: DeviceFlow) -> None:
    body = await flow.start()
    assert await flow.verification.deny(await flow.pending(body["user_code"]), 1)
    (stored,) = flow.oauth.device_authorizations.requests.values()
    assert (stored.status, stored.user_id, stored.grant_id) == (DeviceStatus.DENIED, 1, None)
    assert flow.oauth.approvals.approvals == []


async def test_only_a_signed_in_user_approves(flow: DeviceFlow) -> None:
    body = await flow.start()
    pending = await flow.pending(body["user_code"])
    with pytest.raises(ValueError, match="signed-in"):
        await flow.verification.approve(
            pending, Subject(None), Authentication(auth_time=flow.oauth.clock())
        )
