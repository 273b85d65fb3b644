"""UpstreamSignInStore contract, on SQLite, PostgreSQL and the in-memory fake: a pending sign-in
is taken once however many take it at once (a replayed /complete URL gets nothing), expires,
and is kept at rest only as the hash of its state with its session sealed."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from stint.connectors.ports import PendingSignIn
from stint.protocol.secrets import new_secret
from stint.storage.tables import upstream_sign_ins
from tests.conftest import BACKENDS
from tests.storage.conftest import WITH_MEMORY, SocialStores

pytestmark = pytest.mark.anyio

SESSION = {
    "code_verifier": "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk",
    "nonce": "n-0S6_WzA2Mj",
    "request_token": {"oauth_token": "rt", "oauth_token_secret": "rts"},
}


@pytest.fixture(params=WITH_MEMORY)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


async def test_a_pending_sign_in_reads_back_whole_once(social: SocialStores) -> None:
    state = new_secret()
    pending = PendingSignIn(
        "github", "login", SESSION, next_url="/o/authorize/?client_id=web&state=xyz"
    )
    await social.sign_ins.put(state, pending, ttl_seconds=600)
    assert await social.sign_ins.take(state) == pending
    assert (await social.sign_ins.take(state)) is None  # a replayed /complete URL


async def test_a_connect_keeps_the_account_that_started_it(social: SocialStores) -> None:
    alice = await social.users.add(username="alice", username_key="alice", password_hash="h")
    state = new_secret()
    await social.sign_ins.put(state, PendingSignIn("gitlab", "connect", user_id=alice.id), 600)
    taken = await social.sign_ins.take(state)
    assert taken is not None
    assert (taken.purpose, taken.user_id, taken.session, taken.next_url) == (
        "connect",
        alice.id,
        {},
        "",
    )


async def test_unknown_states_get_nothing(social: SocialStores) -> None:
    await social.sign_ins.put(new_secret(), PendingSignIn("github", "login", SESSION), 600)
    assert await social.sign_ins.take(new_secret()) is None
    assert await social.sign_ins.take("") is None
    assert await social.sign_ins.take("state\x00") is None


async def test_an_expired_sign_in_is_not_returned(social: SocialStores) -> None:
    state = new_secret()
    await social.sign_ins.put(state, PendingSignIn("github", "login", SESSION), 600)
    social.clock.advance(600)
    assert await social.sign_ins.take(state) is None


async def test_expired_sign_ins_are_pruned_and_live_ones_kept(social: SocialStores) -> None:
    old, live = new_secret(), new_secret()
    await social.sign_ins.put(old, PendingSignIn("github", "login", SESSION), 60)
    await social.sign_ins.put(live, PendingSignIn("github", "login", SESSION), 600)
    social.clock.advance(60)
    assert await social.sign_ins.prune() == 1
    assert await social.sign_ins.prune() == 0
    assert await social.sign_ins.take(live) is not None


async def test_starting_a_sign_in_prunes_abandoned_ones(social: SocialStores) -> None:
    await social.sign_ins.put(new_secret(), PendingSignIn("github", "login", SESSION), 60)
    social.clock.advance(61)
    await social.sign_ins.put(new_secret(), PendingSignIn("github", "login", SESSION), 60)
    assert await social.sign_ins.prune() == 0  # the first went when the second came


async def test_ten_takes_of_one_state_at_once_give_it_to_exactly_one(
    social: SocialStores,
) -> None:
    state = new_secret()
    await social.sign_ins.put(state, PendingSignIn("google", "login", SESSION), 600)
    results = await asyncio.gather(*(social.sign_ins.take(state) for _ in range(10)))
    assert sum(r is not None for r in results) == 1


@pytest.mark.parametrize("backend", BACKENDS)
async def test_at_rest_the_state_is_hashed_and_the_session_sealed(social: SocialStores) -> None:
    assert social.db is not None
    state = new_secret()
    await social.sign_ins.put(state, PendingSignIn("google", "login", SESSION), 600)
    async with social.db.read() as conn:
        row = (await conn.execute(select(upstream_sign_ins))).one()
    at_rest = " ".join(str(value) for value in row).encode() + bytes(row.sealed_session)
    for secret in (state, SESSION["code_verifier"], SESSION["nonce"], "oauth_token_secret"):
        assert str(secret).encode() not in at_rest
    assert await social.sign_ins.take(state) is not None
