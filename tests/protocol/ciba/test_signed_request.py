"""Signed authentication requests (CIBA Core §7.1.1): signed by the client's registered key,
for this issuer, within their lifetime, and accepted once."""

from __future__ import annotations

from typing import Any

import pytest

from stint.protocol.errors import InvalidRequestError
from tests.protocol.ciba.conftest import OTHER_KEY, World

pytestmark = pytest.mark.anyio


async def test_a_signed_request_carries_the_parameters(world: World) -> None:
    claims = world.request_claims(scope="openid profile", binding_message="W4SCT")
    started = await world.start("signer", request=world.signed(claims))
    assert started.request.scopes == {"openid", "profile"}
    assert started.request.binding_message == "W4SCT"
    assert started.request.user_id == 1


async def test_requested_expiry_may_be_a_number_in_the_jwt(world: World) -> None:
    claims = world.request_claims(requested_expiry=120)
    started = await world.start("signer", request=world.signed(claims))
    assert started.body["expires_in"] == 120


async def test_a_client_that_registered_a_signing_alg_must_sign(world: World) -> None:
    with pytest.raises(InvalidRequestError, match="must sign"):
        await world.start("signer")


async def test_any_client_with_keys_may_sign_a_request(world: World) -> None:
    claims = world.request_claims("poller")
    assert (await world.start("poller", request=world.signed(claims))).request.user_id == 1


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"aud": "https://someone-else.example"}, "aud"),
        ({"iss": "poller"}, "iss"),
        ({"exp": None}, "lacks exp"),
        ({"jti": None}, "lacks jti"),
        ({"nbf": None}, "lacks nbf"),
        ({"iat": None}, "lacks iat"),
    ],
)
async def test_a_signed_request_with_a_wrong_or_missing_claim_is_refused(
    world: World, changes: dict[str, Any], problem: str
) -> None:
    token = world.signed(world.request_claims(**changes))
    with pytest.raises(InvalidRequestError, match=problem):
        await world.start("signer", request=token)


async def test_an_expired_or_not_yet_valid_signed_request_is_refused(world: World) -> None:
    now = int(world.oauth.clock().timestamp())
    expired = world.request_claims(exp=now - 31, iat=now - 300, nbf=now - 300)
    with pytest.raises(InvalidRequestError, match="expired"):
        await world.start("signer", request=world.signed(expired))
    early = world.request_claims(nbf=now + 120)
    with pytest.raises(InvalidRequestError, match="not valid yet"):
        await world.start("signer", request=world.signed(early))
    long_lived = world.request_claims(exp=now + 3601)
    with pytest.raises(InvalidRequestError, match="60 minutes"):
        await world.start("signer", request=world.signed(long_lived))


async def test_a_replayed_signed_request_is_refused(world: World) -> None:
    token = world.signed(world.request_claims(jti="once"))
    await world.start("signer", request=token)
    with pytest.raises(InvalidRequestError, match="already used"):
        await world.start("signer", request=token)


async def test_a_request_signed_with_another_key_is_refused(world: World) -> None:
    token = world.signed(world.request_claims(), key=OTHER_KEY)
    with pytest.raises(InvalidRequestError, match="signature"):
        await world.start("signer", request=token)


async def test_an_unsigned_or_tampered_request_is_refused(world: World) -> None:
    token = world.signed(world.request_claims())
    header, payload, signature = token.split(".")
    unsigned = "eyJhbGciOiJub25lIn0." + payload + "."
    with pytest.raises(InvalidRequestError, match="alg"):
        await world.start("signer", request=unsigned)
    other = world.signed(world.request_claims(login_hint="bob"))
    with pytest.raises(InvalidRequestError, match="signature"):
        await world.start("signer", request=f"{header}.{other.split('.')[1]}.{signature}")
    with pytest.raises(InvalidRequestError, match="not a signed JWT"):
        await world.start("signer", request="garbage")


async def test_parameters_outside_the_signed_request_are_refused(world: World) -> None:
    token = world.signed(world.request_claims())
    with pytest.raises(InvalidRequestError, match="outside"):
        await world.start("signer", request=token, binding_message="sneaky")
