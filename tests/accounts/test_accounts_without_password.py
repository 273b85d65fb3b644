"""Accounts made through an upstream provider: no password signs in to them (a guess fails as a
wrong password does) until the person sets a first one."""

from __future__ import annotations

import pytest

from stint.accounts.memory_counters import MemoryCounterStore
from stint.accounts.service import (
    AccountService,
    AuthStatus,
    PasswordChangeError,
    RegistrationError,
)
from stint.accounts.throttle import LoginThrottle, ThrottleLimits
from tests.conftest import FAST_HASHING, PASSWORD
from tests.support.accounts_memory import MemoryUserStore

pytestmark = pytest.mark.anyio


@pytest.fixture
def users() -> MemoryUserStore:
    return MemoryUserStore()


@pytest.fixture
def accounts(users: MemoryUserStore) -> AccountService:
    throttle = LoginThrottle(MemoryCounterStore(), ThrottleLimits(10, 50, 300))
    return AccountService(users, FAST_HASHING, throttle, cache_key=b"k" * 32)


async def test_no_password_signs_in_to_an_account_made_without_one(
    accounts: AccountService, users: MemoryUserStore
) -> None:
    user = await accounts.register_without_password("octocat", {"name": "The Octocat"})
    assert not accounts.has_usable_password(user)
    assert users.profiles[user.id][0] == {"name": "The Octocat"}
    for guess in (PASSWORD, user.password_hash, "", "!"):
        result = await accounts.authenticate("octocat", guess, "192.0.2.1")
        assert result.status is AuthStatus.INVALID and result.user is None
    with_password = await accounts.register("alice", PASSWORD)
    assert accounts.has_usable_password(with_password)


async def test_an_account_without_a_password_still_needs_a_valid_username(
    accounts: AccountService,
) -> None:
    with pytest.raises(RegistrationError) as refused:
        await accounts.register_without_password("a b")
    assert "username" in refused.value.problems


async def test_a_first_password_is_set_once_and_then_signs_in(accounts: AccountService) -> None:
    user = await accounts.register_without_password("octocat")
    with pytest.raises(PasswordChangeError) as weak:
        await accounts.set_first_password(user, "short")
    assert "new_password" in weak.value.problems
    await accounts.set_first_password(user, PASSWORD)
    result = await accounts.authenticate("octocat", PASSWORD, "192.0.2.1")
    assert result.status is AuthStatus.OK and result.user is not None
    assert accounts.has_usable_password(result.user)
    # From now on a change asks for the current password.
    with pytest.raises(PasswordChangeError):
        await accounts.set_first_password(result.user, "another long passphrase")
