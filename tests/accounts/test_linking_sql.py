"""Account linking on the SQL stores, SQLite and PostgreSQL: sign-ins of one new person at once
end in one account, and a refused sign-in leaves no row behind."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import Table, func, select

from stint.accounts.linking import (
    DEFAULT_PIPELINE,
    AccountLinker,
    LinkingPolicy,
    RefusalReason,
    SignInAttempt,
    SignInRefused,
    Step,
    UpstreamSignIn,
)
from stint.accounts.memory_counters import MemoryCounterStore
from stint.accounts.service import AccountService
from stint.accounts.throttle import LoginThrottle, ThrottleLimits
from stint.storage.database import Database
from stint.storage.tables import upstream_identities, users
from stint.storage.upstream_identity_store import SqlUpstreamIdentityStore
from stint.storage.user_store import SqlUserStore
from tests.conftest import FAST_HASHING, SECRET_KEY

pytestmark = [pytest.mark.anyio, pytest.mark.both_databases]

POLICY = LinkingPolicy(label="Google", store_tokens=True)
PERSON = UpstreamSignIn(
    "google",
    "108204268033311374519",
    {"email": "ada@example.com", "fullname": "Ada Lovelace"},
    email_verified=True,
    tokens={"access_token": "ya29.a0Af", "id_token": "eyJ"},
)


def linker(db: Database, *after_associate: Step) -> AccountLinker:
    user_store = SqlUserStore(db)
    throttle = LoginThrottle(MemoryCounterStore(), ThrottleLimits(10, 50, 300))
    accounts = AccountService(user_store, FAST_HASHING, throttle, cache_key=b"k" * 32)
    pipeline: list[str | Step] = [*DEFAULT_PIPELINE[:7], *after_associate, *DEFAULT_PIPELINE[7:]]
    return AccountLinker(
        user_store,
        SqlUpstreamIdentityStore(db, SECRET_KEY.encode()),
        accounts,
        pipeline=pipeline,
    )


async def _count(db: Database, table: Table) -> int:
    async with db.read() as conn:
        return int((await conn.execute(select(func.count()).select_from(table))).scalar_one())


async def test_five_first_sign_ins_of_one_person_at_once_leave_one_account(db: Database) -> None:
    results = await asyncio.gather(
        *(linker(db).sign_in(PERSON, POLICY) for _ in range(5)), return_exceptions=True
    )
    signed_in = [r for r in results if isinstance(r, SignInAttempt)]
    refused = [r for r in results if isinstance(r, SignInRefused)]
    assert len(signed_in) >= 1 and len(signed_in) + len(refused) == 5
    # A loser is refused: its identity was just linked, or the winner's new account already
    # holds the email while the link is being made. Never a second account.
    assert {r.reason for r in refused} <= {RefusalReason.IDENTITY_TAKEN, RefusalReason.EMAIL_TAKEN}
    assert len({a.user.id for a in signed_in if a.user}) == 1
    assert await _count(db, users) == 1  # the losers' accounts were removed
    assert await _count(db, upstream_identities) == 1


async def test_a_refusal_after_association_leaves_no_row(db: Database) -> None:
    async def refuse(attempt: SignInAttempt) -> None:
        raise SignInRefused(RefusalReason.NOT_ALLOWED, "Not today.")

    with pytest.raises(SignInRefused):
        await linker(db, refuse).sign_in(PERSON, POLICY)
    assert await _count(db, users) == 0
    assert await _count(db, upstream_identities) == 0
    attempt = await linker(db).sign_in(PERSON, POLICY)
    assert attempt.is_new and attempt.social is not None


async def test_only_connections_to_usable_providers_count_as_ways_in(db: Database) -> None:
    accounts = linker(db)
    user = (await accounts.sign_in(PERSON, LinkingPolicy())).user
    assert user is not None
    await accounts.sign_in(
        UpstreamSignIn("removed", "7", {}), LinkingPolicy(), connecting_user=user
    )
    with pytest.raises(SignInRefused) as refused:
        await accounts.disconnect(user.id, PERSON.provider, PERSON.uid, usable={PERSON.provider})
    assert refused.value.reason is RefusalReason.LAST_SIGN_IN_METHOD
    await accounts.disconnect(user.id, "removed", "7", usable={PERSON.provider})
    assert [c.provider for c in await accounts.connections(user.id)] == [PERSON.provider]
