"""BackchannelRequestStore contract (CIBA Core §7, §10, §11), on SQLite, PostgreSQL and the
in-memory fake: a request reads back whole (its ping/push secrets opened again), is decided once,
polls are counted atomically, and its tokens are redeemed exactly once however many try at once."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from stint.protocol.ciba.ports import (
    BackchannelRequest,
    BackchannelRequestStore,
    BackchannelStatus,
    JtiReplayStore,
)
from stint.protocol.consent import Consent
from stint.protocol.ports import Approval, Grant
from stint.storage.backchannel_request_store import SqlBackchannelRequestStore
from stint.storage.client_store import SqlClientStore
from stint.storage.consent_store import SqlConsentStore
from stint.storage.database import Database
from stint.storage.grant_store import SqlGrantStore
from stint.storage.request_jti_store import SqlRequestJtiStore
from stint.storage.tables import backchannel_requests
from stint.storage.user_store import SqlUserStore
from tests.conftest import BACKENDS, SECRET_KEY
from tests.storage.conftest import WITH_MEMORY
from tests.support.ciba_memory import MemoryBackchannelRequests, MemoryRequestJtis
from tests.support.clock import Clock
from tests.support.oauth_memory import MemoryGrants, MemoryRefreshTokens, web_client

pytestmark = pytest.mark.anyio

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
SCOPES = frozenset({"openid", "profile"})


@pytest.fixture(params=WITH_MEMORY)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@dataclass
class Ciba:
    requests: BackchannelRequestStore
    jtis: JtiReplayStore
    user_id: int
    other_user_id: int
    client_id: str
    clock: Clock
    db: Database | None


@pytest.fixture
async def ciba(sql_db: Database | None) -> Ciba:
    clock = Clock(NOW)
    if sql_db is None:
        grants = MemoryGrants(clock, MemoryRefreshTokens())
        return Ciba(
            MemoryBackchannelRequests(grants=grants),
            MemoryRequestJtis(clock),
            1,
            2,
            "web",
            clock,
            None,
        )
    client = await SqlClientStore(sql_db, cache_seconds=0).add(web_client())
    users = SqlUserStore(sql_db)
    alice = await users.add(username="Alice", username_key="alice", password_hash="h")
    bob = await users.add(username="Bob", username_key="bob", password_hash="h")
    return Ciba(
        SqlBackchannelRequestStore(sql_db, SECRET_KEY.encode()),
        SqlRequestJtiStore(sql_db, clock=clock),
        alice.id,
        bob.id,
        client.client_id,
        clock,
        sql_db,
    )


def _request(ciba: Ciba, n: int = 1, **changes: object) -> BackchannelRequest:
    values: dict[str, object] = {
        "auth_req_id_hash": f"{n:064x}",
        "handle": f"handle-{n}",
        "client_id": ciba.client_id,
        "user_id": ciba.user_id,
        "scopes": SCOPES,
        "delivery_mode": "poll",
        "created_at": NOW + timedelta(seconds=n),
        "expires_at": NOW + timedelta(minutes=5),
        "interval": 5,
    }
    values.update(changes)
    return BackchannelRequest(**values)  # type: ignore[arg-type]


def _approval(ciba: Ciba, grant_id: str = "g1") -> Approval:
    grant = Grant(grant_id, ciba.client_id, ciba.user_id, SCOPES, NOW, oidc={"auth_time": 1})
    return Approval(grant, consent=Consent(SCOPES))


async def test_a_push_request_reads_back_whole_with_its_secrets(ciba: Ciba) -> None:
    request = _request(
        ciba,
        delivery_mode="push",
        interval=0,
        binding_message="W4SCT",
        acr_values=("urn:stint:acr:password",),
        claims={"id_token": {"email": None}, "userinfo": {}},
        auth_req_id="the-auth-req-id",
        client_notification_token="8d67dc78-7faa-4d41-aabd-67707b374255",
    )
    await ciba.requests.add(request)
    assert await ciba.requests.get(request.auth_req_id_hash) == request
    assert await ciba.requests.by_handle("handle-1") == request
    assert await ciba.requests.get("f" * 64) is None
    assert await ciba.requests.by_handle("nope\x00") is None


@pytest.mark.parametrize("backend", BACKENDS)  # at rest: the SQL stores only
async def test_the_notification_secrets_are_sealed_at_rest(ciba: Ciba) -> None:
    assert ciba.db is not None
    token = "8d67dc78-7faa-4d41-aabd-67707b374255"
    await ciba.requests.add(
        _request(ciba, delivery_mode="ping", auth_req_id="aRID", client_notification_token=token)
    )
    async with ciba.db.reader.connect() as conn:
        row = (await conn.execute(backchannel_requests.select())).mappings().one()
    assert token.encode() not in row["sealed_notification"]
    assert b"aRID" not in row["sealed_notification"]
    assert row["auth_req_id_hash"] == f"{1:064x}"


async def test_pending_lists_only_the_users_live_undecided_requests_oldest_first(
    ciba: Ciba,
) -> None:
    await ciba.requests.add(_request(ciba, 2))
    await ciba.requests.add(_request(ciba, 1))
    await ciba.requests.add(_request(ciba, 3, expires_at=NOW))  # expired
    await ciba.requests.add(_request(ciba, 4, user_id=ciba.other_user_id))
    await ciba.requests.add(_request(ciba, 5))
    await ciba.requests.decide("handle-5", ciba.user_id, NOW, None)
    pending = await ciba.requests.pending_for(ciba.user_id, NOW)
    assert [r.handle for r in pending] == ["handle-1", "handle-2"]


async def test_approving_records_the_grant_and_points_the_request_at_it(ciba: Ciba) -> None:
    await ciba.requests.add(_request(ciba))
    decided = await ciba.requests.decide("handle-1", ciba.user_id, NOW, _approval(ciba))
    assert decided is not None
    assert decided.status is BackchannelStatus.APPROVED
    assert (decided.grant_id, decided.oidc, decided.decided_at) == ("g1", {"auth_time": 1}, NOW)
    assert await ciba.requests.get(decided.auth_req_id_hash) == decided
    if ciba.db is not None:
        grant = await SqlGrantStore(ciba.db).get("g1")
        assert grant is not None and grant.user_id == ciba.user_id
        consent = await SqlConsentStore(ciba.db).granted(ciba.user_id, ciba.client_id)
        assert consent.scopes == SCOPES


async def test_a_request_is_decided_once_and_only_by_its_user_before_it_expires(
    ciba: Ciba,
) -> None:
    await ciba.requests.add(_request(ciba, 1))
    await ciba.requests.add(_request(ciba, 2, expires_at=NOW))
    assert await ciba.requests.decide("handle-1", ciba.other_user_id, NOW, None) is None
    assert await ciba.requests.decide("handle-2", ciba.user_id, NOW, None) is None
    denied = await ciba.requests.decide("handle-1", ciba.user_id, NOW, None)
    assert denied is not None and denied.status is BackchannelStatus.DENIED
    assert await ciba.requests.decide("handle-1", ciba.user_id, NOW, _approval(ciba)) is None
    assert await ciba.requests.decide("unknown", ciba.user_id, NOW, None) is None


async def test_approving_and_denying_at_once_decides_once(ciba: Ciba) -> None:
    await ciba.requests.add(_request(ciba))
    results = await asyncio.gather(
        *(
            ciba.requests.decide(
                "handle-1", ciba.user_id, NOW, _approval(ciba, f"g{i}") if i % 2 else None
            )
            for i in range(6)
        )
    )
    assert len([r for r in results if r is not None]) == 1


async def test_a_poll_sooner_than_the_interval_slows_the_client_down(ciba: Ciba) -> None:
    request = _request(ciba)
    await ciba.requests.add(request)
    first = await ciba.requests.poll(request.auth_req_id_hash, NOW, 5)
    assert first is not None and not first.too_fast
    soon = await ciba.requests.poll(request.auth_req_id_hash, NOW + timedelta(seconds=4), 5)
    assert soon is not None and soon.too_fast
    stored = await ciba.requests.get(request.auth_req_id_hash)
    assert stored is not None and stored.interval == 10
    assert stored.last_polled_at == NOW + timedelta(seconds=4)
    # The raised interval holds from the last poll: 9 s later is still too soon, 10 s is fine.
    again = await ciba.requests.poll(request.auth_req_id_hash, NOW + timedelta(seconds=13), 5)
    assert again is not None and again.too_fast
    later = await ciba.requests.poll(request.auth_req_id_hash, NOW + timedelta(seconds=28), 5)
    assert later is not None and not later.too_fast
    assert await ciba.requests.poll("f" * 64, NOW, 5) is None


async def test_an_approved_request_is_redeemed_exactly_once_under_concurrency(
    ciba: Ciba,
) -> None:
    await ciba.requests.add(_request(ciba))
    assert await ciba.requests.redeem(f"{1:064x}", NOW) is None  # pending: nothing to redeem
    await ciba.requests.decide("handle-1", ciba.user_id, NOW, _approval(ciba))
    results = await asyncio.gather(*(ciba.requests.redeem(f"{1:064x}", NOW) for _ in range(20)))
    won = [r for r in results if r is not None]
    assert len(won) == 1 and won[0].status is BackchannelStatus.ISSUED
    assert won[0].grant_id == "g1"


async def test_an_expired_approved_request_is_not_redeemed(ciba: Ciba) -> None:
    await ciba.requests.add(_request(ciba))
    await ciba.requests.decide("handle-1", ciba.user_id, NOW, _approval(ciba))
    assert await ciba.requests.redeem(f"{1:064x}", NOW + timedelta(minutes=5)) is None


async def test_pruning_deletes_expired_requests_only(ciba: Ciba) -> None:
    await ciba.requests.add(_request(ciba, 1, expires_at=NOW))
    await ciba.requests.add(_request(ciba, 2))
    assert await ciba.requests.prune(NOW) == 1
    assert await ciba.requests.get(f"{1:064x}") is None
    assert await ciba.requests.get(f"{2:064x}") is not None


async def test_a_jti_is_accepted_once_per_issuer_until_it_expires(ciba: Ciba) -> None:
    until = NOW + timedelta(minutes=1)
    assert await ciba.jtis.first_use("web", "jti-1", until)
    assert not await ciba.jtis.first_use("web", "jti-1", until)
    assert await ciba.jtis.first_use("other", "jti-1", until)
    ciba.clock.advance(61)
    assert await ciba.jtis.first_use("web", "jti-1", NOW + timedelta(minutes=5))


async def test_one_jti_presented_ten_times_at_once_is_accepted_once(ciba: Ciba) -> None:
    until = NOW + timedelta(minutes=1)
    results = await asyncio.gather(*(ciba.jtis.first_use("web", "j", until) for _ in range(10)))
    assert results.count(True) == 1


async def test_adding_a_request_clears_requests_expired_an_hour_before(ciba: Ciba) -> None:
    await ciba.requests.add(_request(ciba, 1, expires_at=NOW - timedelta(minutes=30)))
    await ciba.requests.add(_request(ciba, 2, expires_at=NOW - timedelta(hours=2)))
    later = NOW + timedelta(seconds=1)
    await ciba.requests.add(_request(ciba, 3, created_at=later))
    # Half an hour past expiry, a poll still hears expired_token; two hours past, it is gone.
    assert await ciba.requests.get(f"{1:064x}") is not None
    assert await ciba.requests.get(f"{2:064x}") is None
