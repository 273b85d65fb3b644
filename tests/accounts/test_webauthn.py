"""The WebAuthn ceremonies on the in-memory stores, with a software authenticator's genuine
responses: what a passkey proves, and every replay, clone or misdirected response refused."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from stint.accounts.passkeys import Passkey
from stint.accounts.webauthn import (
    CHALLENGE_SECONDS,
    PasskeyError,
    Purpose,
    WebAuthnCeremonies,
)
from tests.support.clock import Clock
from tests.support.passkeys_memory import MemoryChallenges, MemoryPasskeys
from tests.support.webauthn import SoftAuthenticator

pytestmark = pytest.mark.anyio

ORIGIN = "https://stint.example"
ALICE, BOB = 1, 2


@dataclass
class Relying:
    ceremonies: WebAuthnCeremonies
    clock: Clock


@pytest.fixture
def rp() -> Relying:
    clock = Clock(datetime(2026, 12, 6, 9, 0, tzinfo=UTC))
    ceremonies = WebAuthnCeremonies(
        MemoryPasskeys(clock),
        MemoryChallenges(clock),
        origin=ORIGIN,
        rp_id="stint.example",
        rp_name="Stint",
        user_handle_key=b"k" * 32,
        clock=clock,
    )
    return Relying(ceremonies, clock)


async def enrol(
    rp: Relying, authenticator: SoftAuthenticator, user_id: int = ALICE, name: str = "Laptop"
) -> Passkey:
    options = json.loads(await rp.ceremonies.registration_options(user_id, "alice"))
    return await rp.ceremonies.register(user_id, name, authenticator.create(options))


async def sign_in_response(rp: Relying, authenticator: SoftAuthenticator) -> str:
    options = json.loads(await rp.ceremonies.authentication_options(Purpose.SIGN_IN))
    return authenticator.get(options)


async def test_registration_options_ask_for_a_discoverable_passkey_of_this_site(
    rp: Relying,
) -> None:
    options = json.loads(await rp.ceremonies.registration_options(ALICE, "alice"))
    assert options["rp"] == {"id": "stint.example", "name": "Stint"}
    assert options["authenticatorSelection"]["residentKey"] == "required"
    assert options["attestation"] == "none"
    assert options["user"]["name"] == "alice"
    # The user handle is neither the user id nor the name, and the same at every enrolment.
    again = json.loads(await rp.ceremonies.registration_options(ALICE, "alice"))
    assert options["user"]["id"] == again["user"]["id"] not in ("1", "alice")
    assert options["challenge"] != again["challenge"]


async def test_an_enrolled_passkey_is_stored_with_its_name_key_and_count(rp: Relying) -> None:
    passkey = await enrol(rp, SoftAuthenticator(ORIGIN))
    assert (passkey.user_id, passkey.name, passkey.sign_count) == (ALICE, "Laptop", 0)
    assert passkey.transports == ("internal",)
    assert passkey.device_bound
    assert await rp.ceremonies.passkeys.for_user(ALICE) == [passkey]


async def test_a_second_enrolment_excludes_the_passkeys_already_registered(rp: Relying) -> None:
    passkey = await enrol(rp, SoftAuthenticator(ORIGIN))
    options = json.loads(await rp.ceremonies.registration_options(ALICE, "alice"))
    assert len(options["excludeCredentials"]) == 1
    assert passkey.credential_id.hex()  # the stored id is the one the authenticator made


async def test_a_passkey_signs_in_with_no_username_as_two_factors(rp: Relying) -> None:
    authenticator = SoftAuthenticator(ORIGIN)
    passkey = await enrol(rp, authenticator)
    options = json.loads(await rp.ceremonies.authentication_options(Purpose.SIGN_IN))
    assert "allowCredentials" not in options or options["allowCredentials"] == []
    assert options["userVerification"] == "required"
    used = await rp.ceremonies.authenticate(Purpose.SIGN_IN, authenticator.get(options))
    assert (used.user_id, used.passkey.id, used.user_verified) == (ALICE, passkey.id, True)
    assert used.key_method == "hwk"
    stored = (await rp.ceremonies.passkeys.for_user(ALICE))[0]
    assert (stored.sign_count, stored.last_used_at) == (1, rp.clock.now)


async def test_a_synced_passkey_is_a_software_key(rp: Relying) -> None:
    authenticator = SoftAuthenticator(ORIGIN, backup_eligible=True)
    assert not (await enrol(rp, authenticator)).device_bound
    used = await rp.ceremonies.authenticate(
        Purpose.SIGN_IN, await sign_in_response(rp, authenticator)
    )
    assert used.key_method == "swk"


async def test_a_replayed_assertion_is_refused(rp: Relying) -> None:
    authenticator = SoftAuthenticator(ORIGIN)
    await enrol(rp, authenticator)
    response = await sign_in_response(rp, authenticator)
    await rp.ceremonies.authenticate(Purpose.SIGN_IN, response)
    with pytest.raises(PasskeyError, match="challenge"):
        await rp.ceremonies.authenticate(Purpose.SIGN_IN, response)


async def test_a_replayed_assertion_of_a_key_that_never_counts_is_refused_too(
    rp: Relying,
) -> None:
    authenticator = SoftAuthenticator(ORIGIN, counts=False)  # synced passkeys report 0
    await enrol(rp, authenticator)
    response = await sign_in_response(rp, authenticator)
    await rp.ceremonies.authenticate(Purpose.SIGN_IN, response)
    with pytest.raises(PasskeyError):
        await rp.ceremonies.authenticate(Purpose.SIGN_IN, response)
    # A fresh challenge signs in again: a count of 0 is no clone (WebAuthn L3 §6.1.1).
    await rp.ceremonies.authenticate(Purpose.SIGN_IN, await sign_in_response(rp, authenticator))


async def test_a_cloned_authenticator_whose_count_fell_behind_is_refused(rp: Relying) -> None:
    authenticator = SoftAuthenticator(ORIGIN)
    await enrol(rp, authenticator)
    await rp.ceremonies.authenticate(Purpose.SIGN_IN, await sign_in_response(rp, authenticator))
    authenticator.credentials[0].sign_count = 0  # the clone signs with the count it copied
    with pytest.raises(PasskeyError, match="sign count"):
        await rp.ceremonies.authenticate(Purpose.SIGN_IN, await sign_in_response(rp, authenticator))


async def test_a_response_made_for_another_origin_is_refused(rp: Relying) -> None:
    authenticator = SoftAuthenticator(ORIGIN)
    await enrol(rp, authenticator)
    authenticator.origin = "https://stint.example.evil"
    with pytest.raises(PasskeyError, match="origin"):
        await rp.ceremonies.authenticate(Purpose.SIGN_IN, await sign_in_response(rp, authenticator))


async def test_a_registration_from_another_origin_is_refused(rp: Relying) -> None:
    with pytest.raises(PasskeyError, match="origin"):
        await enrol(rp, SoftAuthenticator("https://phish.example"))
    assert await rp.ceremonies.passkeys.for_user(ALICE) == []


async def test_a_challenge_runs_out(rp: Relying) -> None:
    authenticator = SoftAuthenticator(ORIGIN)
    await enrol(rp, authenticator)
    response = await sign_in_response(rp, authenticator)
    rp.clock.advance(CHALLENGE_SECONDS)
    with pytest.raises(PasskeyError, match="expired"):
        await rp.ceremonies.authenticate(Purpose.SIGN_IN, response)


async def test_a_registration_challenge_is_bound_to_its_account(rp: Relying) -> None:
    options = json.loads(await rp.ceremonies.registration_options(ALICE, "alice"))
    created = SoftAuthenticator(ORIGIN).create(options)
    with pytest.raises(PasskeyError, match="another ceremony"):
        await rp.ceremonies.register(BOB, "Stolen", created)
    assert await rp.ceremonies.passkeys.for_user(BOB) == []


async def test_a_sign_in_challenge_does_not_register_a_passkey(rp: Relying) -> None:
    options = json.loads(await rp.ceremonies.authentication_options(Purpose.SIGN_IN))
    options |= {"rp": {"id": "stint.example"}, "user": {"id": "AA"}}
    with pytest.raises(PasskeyError, match="another ceremony"):
        await rp.ceremonies.register(ALICE, "Laptop", SoftAuthenticator(ORIGIN).create(options))


async def test_without_user_verification_a_passkey_is_a_second_factor_only(rp: Relying) -> None:
    authenticator = SoftAuthenticator(ORIGIN, user_verification=False)
    await enrol(rp, authenticator)
    with pytest.raises(PasskeyError, match="verif"):
        await rp.ceremonies.authenticate(Purpose.SIGN_IN, await sign_in_response(rp, authenticator))
    options = json.loads(await rp.ceremonies.authentication_options(Purpose.SECOND_FACTOR, ALICE))
    used = await rp.ceremonies.authenticate(
        Purpose.SECOND_FACTOR, authenticator.get(options), ALICE
    )
    assert (used.user_id, used.user_verified) == (ALICE, False)


async def test_a_second_factor_takes_only_the_signing_in_accounts_passkey(rp: Relying) -> None:
    alices, bobs = SoftAuthenticator(ORIGIN), SoftAuthenticator(ORIGIN)
    await enrol(rp, alices, ALICE)
    await enrol(rp, bobs, BOB)
    options = json.loads(await rp.ceremonies.authentication_options(Purpose.SECOND_FACTOR, ALICE))
    assert len(options["allowCredentials"]) == 1
    # Bob's passkey on a challenge issued for Alice's second step.
    response = bobs.get(options, bobs.credentials[0])
    with pytest.raises(PasskeyError):
        await rp.ceremonies.authenticate(Purpose.SECOND_FACTOR, response, ALICE)


async def test_an_unknown_passkey_signs_no_one_in(rp: Relying) -> None:
    authenticator = SoftAuthenticator(ORIGIN)
    await enrol(rp, authenticator)
    [passkey] = await rp.ceremonies.passkeys.for_user(ALICE)
    assert await rp.ceremonies.passkeys.remove(ALICE, passkey.id)
    with pytest.raises(PasskeyError, match="no such passkey"):
        await rp.ceremonies.authenticate(Purpose.SIGN_IN, await sign_in_response(rp, authenticator))


@pytest.mark.parametrize(
    "response", ["", "[]", "{}", '{"id": "x"}', "x" * 20000, '{"id": 1, "rawId": null}']
)
async def test_malformed_responses_are_refused_not_crashed_on(rp: Relying, response: str) -> None:
    with pytest.raises(PasskeyError):
        await rp.ceremonies.authenticate(Purpose.SIGN_IN, response)
    with pytest.raises(PasskeyError):
        await rp.ceremonies.register(ALICE, "Laptop", response)


async def test_a_response_signed_by_another_key_is_refused(rp: Relying) -> None:
    authenticator = SoftAuthenticator(ORIGIN)
    await enrol(rp, authenticator)
    impostor = SoftAuthenticator(ORIGIN)
    await enrol(rp, impostor, BOB)
    # Alice's credential id on a response the impostor's key signed.
    impostor.credentials[0].credential_id = authenticator.credentials[0].credential_id
    impostor.credentials[0].user_handle = authenticator.credentials[0].user_handle
    with pytest.raises(PasskeyError, match="signature"):
        await rp.ceremonies.authenticate(Purpose.SIGN_IN, await sign_in_response(rp, impostor))
    stored = (await rp.ceremonies.passkeys.for_user(ALICE))[0]
    assert stored.last_used_at is None


async def test_a_user_handle_not_the_passkeys_accounts_is_refused(rp: Relying) -> None:
    authenticator = SoftAuthenticator(ORIGIN)
    await enrol(rp, authenticator)
    authenticator.credentials[0].user_handle = rp.ceremonies.user_handle(BOB)
    with pytest.raises(PasskeyError, match="user handle"):
        await rp.ceremonies.authenticate(Purpose.SIGN_IN, await sign_in_response(rp, authenticator))
