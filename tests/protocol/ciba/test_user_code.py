"""CIBA Core §7.1 user_code where the deployment checks them (STINT_CIBA_USER_CODE=password):
the person's password, checked by the accounts as a sign-in, so a client that knows only who
someone is cannot flood them with requests."""

from __future__ import annotations

import pytest

from stint.protocol.ciba.errors import InvalidUserCodeError, MissingUserCodeError
from stint.protocol.ciba.policy import CibaPolicy
from stint.protocol.ciba.ports import BackchannelStatus
from stint.protocol.errors import InvalidRequestError
from tests.protocol.ciba.conftest import World, ciba_client

pytestmark = pytest.mark.anyio

PASSWORD = "correct horse"  # alice's, in MemoryUsers


@pytest.fixture
def coded(world: World) -> World:
    """The world with user codes on, and a client registered to send them."""
    world.with_policy(CibaPolicy(user_code_supported=True))
    world.add(ciba_client("coded", backchannel_user_code_parameter=True))
    return world


async def test_the_persons_password_as_user_code_lets_the_request_through(coded: World) -> None:
    started = await coded.start("coded", ip="198.51.100.4", user_code=PASSWORD)
    assert started.request.status is BackchannelStatus.PENDING
    assert started.request.user_id == 1
    # Checked as a sign-in of alice's from the client's address.
    assert coded.oauth.users.attempts == [("alice", "198.51.100.4")]
    # The code is kept nowhere: not in the stored request, not in the answer.
    assert PASSWORD not in repr(started.request)
    assert PASSWORD not in repr(started.body)


async def test_a_wrong_user_code_is_invalid_user_code_and_counts_as_a_sign_in(
    coded: World,
) -> None:
    with pytest.raises(InvalidUserCodeError) as raised:
        await coded.start("coded", ip="198.51.100.4", user_code="battery staple")
    assert raised.value.error == "invalid_user_code"  # §13
    assert "battery staple" not in str(raised.value.description)
    assert coded.oauth.users.attempts == [("alice", "198.51.100.4")]
    assert coded.requests.requests == {}


async def test_a_missing_user_code_is_missing_user_code_and_checks_nothing(coded: World) -> None:
    with pytest.raises(MissingUserCodeError) as raised:
        await coded.start("coded")
    assert raised.value.error == "missing_user_code"  # §13
    assert coded.oauth.users.attempts == []


async def test_a_person_without_a_password_cannot_be_asked_with_a_user_code(
    coded: World,
) -> None:
    # An account made through a social provider: active, but no password verifies.
    coded.oauth.users.names[2] = "bob"
    coded.hinted.logins["bob"] = 2
    with pytest.raises(InvalidUserCodeError):
        await coded.start("coded", login_hint="bob", user_code=PASSWORD)


async def test_another_persons_password_is_not_this_persons_code(coded: World) -> None:
    coded.oauth.users.names[2] = "bob"
    coded.oauth.users.passwords["bob"] = "bobs own"
    with pytest.raises(InvalidUserCodeError):
        await coded.start("coded", user_code="bobs own")  # the hint names alice


async def test_a_request_refused_for_another_reason_costs_no_password_check(
    coded: World,
) -> None:
    with pytest.raises(InvalidRequestError, match="openid"):
        await coded.start("coded", scope="activities:read", user_code=PASSWORD)
    assert coded.oauth.users.attempts == []


async def test_clients_that_did_not_register_user_codes_are_not_asked_for_one(
    coded: World,
) -> None:
    started = await coded.start("poller", user_code="anything")
    assert started.request.status is BackchannelStatus.PENDING
    assert coded.oauth.users.attempts == []


async def test_with_user_codes_off_a_client_registered_for_them_is_refused(world: World) -> None:
    # Registered while the deployment checked user codes, then the operator turned them off.
    world.add(ciba_client("coded", backchannel_user_code_parameter=True))
    with pytest.raises(InvalidUserCodeError):
        await world.start("coded", user_code=PASSWORD)
    assert world.oauth.users.attempts == []
