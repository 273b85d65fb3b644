"""DeviceAuthorizationStore contract (RFC 8628), on SQLite, PostgreSQL and the in-memory fake:
requests read back by either code, each answer and the token issue happen at most once however
many race, and too-fast polls raise the interval for good."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

import pytest

from stint.protocol.consent import Consent
from stint.protocol.device.ports import DeviceAuthorization, DeviceAuthorizationStore, DeviceStatus
from stint.protocol.ports import Approval, Grant, GrantStore
from stint.storage.consent_store import SqlConsentStore
from stint.storage.database import Database
from stint.storage.device_authorization_store import SqlDeviceAuthorizationStore
from tests.storage.conftest import WITH_MEMORY, OAuthStores
from tests.support.oauth_memory import MemoryApprovals, MemoryDeviceAuthorizations, MemoryGrants

pytestmark = pytest.mark.anyio

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
SCOPES = frozenset({"openid", "activities:read"})
OIDC = {"auth_time": 1764579600, "sid": "s1", "acr": "", "amr": ["pwd"]}


@pytest.fixture(params=WITH_MEMORY)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@dataclass
class Devices:
    store: DeviceAuthorizationStore
    grants: GrantStore
    user_id: int
    client_id: str
    db: Database | None

    def request(self, n: int = 1, **changes: object) -> DeviceAuthorization:
        """A pending request of the client's, its codes' hashes numbered ``n``."""
        made = DeviceAuthorization(
            device_code_hash=f"{n:064d}",
            user_code_hash=f"u{n:063d}",
            client_id=self.client_id,
            scopes=SCOPES,
            interval=5,
            created_at=NOW,
            expires_at=NOW + timedelta(minutes=10),
        )
        return replace(made, **changes)  # type: ignore[arg-type]

    def approval(self, grant_id: str = "g1") -> Approval:
        grant = Grant(grant_id, self.client_id, self.user_id, SCOPES, NOW, oidc=OIDC)
        return Approval(grant, consent=Consent(SCOPES))


@pytest.fixture
async def devices(oauth: OAuthStores, sql_db: Database | None) -> Devices:
    if sql_db is None:
        assert isinstance(oauth.grants, MemoryGrants)
        store: DeviceAuthorizationStore = MemoryDeviceAuthorizations(MemoryApprovals(oauth.grants))
    else:
        store = SqlDeviceAuthorizationStore(sql_db)
    return Devices(store, oauth.grants, oauth.user_id, oauth.client_id, sql_db)


async def _added(devices: Devices, n: int = 1, **changes: object) -> DeviceAuthorization:
    request = devices.request(n, **changes)
    assert await devices.store.add(request)
    return request


async def test_a_request_reads_back_whole_by_either_code(devices: Devices) -> None:
    request = await _added(devices, last_polled_at=NOW, interval=7)
    assert await devices.store.get(request.device_code_hash) == request
    assert await devices.store.by_user_code(request.user_code_hash) == request
    assert await devices.store.get("9" * 64) is None
    assert await devices.store.by_user_code(request.device_code_hash) is None  # not a user code


async def test_a_user_code_in_use_stores_nothing(devices: Devices) -> None:
    first = await _added(devices, 1)
    clash = replace(devices.request(2), user_code_hash=first.user_code_hash)
    assert not await devices.store.add(clash)
    assert await devices.store.get(clash.device_code_hash) is None
    assert await devices.store.by_user_code(first.user_code_hash) == first


async def test_requests_long_expired_go_as_new_ones_arrive(devices: Devices) -> None:
    old = await _added(devices, 1, created_at=NOW - timedelta(hours=2), expires_at=NOW)
    recent = await _added(devices, 2, expires_at=NOW)  # expired just now: a late poll hears so
    later = NOW + timedelta(hours=1, seconds=1)
    await _added(devices, 3, created_at=later, expires_at=later + timedelta(minutes=10))
    assert await devices.store.get(old.device_code_hash) is None
    assert await devices.store.get(recent.device_code_hash) is None
    # And the user code it held is free again.
    assert await devices.store.add(
        replace(devices.request(4, created_at=later), user_code_hash=old.user_code_hash)
    )


async def test_an_approval_is_recorded_and_linked_to_the_request(devices: Devices) -> None:
    request = await _added(devices)
    approval = devices.approval()
    assert await devices.store.approve(request.device_code_hash, approval, now=NOW)
    stored = await devices.store.get(request.device_code_hash)
    assert stored == replace(
        request, status=DeviceStatus.APPROVED, user_id=devices.user_id, grant_id="g1", oidc=OIDC
    )
    assert await devices.grants.get("g1") == approval.grant  # as the authorization endpoint's
    if devices.db is not None:
        consent = await SqlConsentStore(devices.db).granted(devices.user_id, devices.client_id)
        assert consent == Consent(SCOPES)


async def test_only_a_pending_unexpired_request_is_approved_and_a_refused_approval_stores_nothing(
    devices: Devices,
) -> None:
    store = devices.store
    approved = await _added(devices, 1)
    assert await store.approve(approved.device_code_hash, devices.approval("g1"), now=NOW)
    assert not await store.approve(approved.device_code_hash, devices.approval("g2"), now=NOW)
    expired = await _added(devices, 2)
    late = expired.expires_at
    assert not await store.approve(expired.device_code_hash, devices.approval("g3"), now=late)
    denied = await _added(devices, 3)
    assert await store.deny(denied.device_code_hash, devices.user_id, now=NOW)
    assert not await store.approve(denied.device_code_hash, devices.approval("g4"), now=NOW)
    assert not await store.approve("9" * 64, devices.approval("g5"), now=NOW)
    for grant_id in ("g2", "g3", "g4", "g5"):
        assert await devices.grants.get(grant_id) is None
    assert (await store.get(approved.device_code_hash)) == replace(
        approved,
        status=DeviceStatus.APPROVED,
        user_id=devices.user_id,
        grant_id="g1",
        oidc=OIDC,
    )


async def test_a_denial_is_recorded_once_and_only_while_pending(devices: Devices) -> None:
    store = devices.store
    request = await _added(devices, 1)
    assert await store.deny(request.device_code_hash, devices.user_id, now=NOW)
    assert not await store.deny(request.device_code_hash, devices.user_id, now=NOW)
    stored = await store.get(request.device_code_hash)
    assert stored == replace(request, status=DeviceStatus.DENIED, user_id=devices.user_id)
    approved = await _added(devices, 2)
    assert await store.approve(approved.device_code_hash, devices.approval(), now=NOW)
    assert not await store.deny(approved.device_code_hash, devices.user_id, now=NOW)
    expired = await _added(devices, 3)
    assert not await store.deny(expired.device_code_hash, devices.user_id, now=expired.expires_at)


async def test_only_an_approved_unexpired_request_is_issued_and_only_once(
    devices: Devices,
) -> None:
    store = devices.store
    pending = await _added(devices, 1)
    assert not await store.issue(pending.device_code_hash, now=NOW)
    approved = await _added(devices, 2)
    assert await store.approve(approved.device_code_hash, devices.approval("g1"), now=NOW)
    assert await store.issue(approved.device_code_hash, now=NOW)
    assert not await store.issue(approved.device_code_hash, now=NOW)
    issued = await store.get(approved.device_code_hash)
    assert issued is not None and issued.status is DeviceStatus.ISSUED
    assert issued.grant_id == "g1"  # still linked: revoking the grant covers its tokens
    late = await _added(devices, 3)
    assert await store.approve(late.device_code_hash, devices.approval("g2"), now=NOW)
    assert not await store.issue(late.device_code_hash, now=late.expires_at)


@pytest.mark.parametrize("polls", [2, 20])
async def test_polls_racing_after_the_approval_issue_exactly_once(
    devices: Devices, polls: int
) -> None:
    request = await _added(devices)
    assert await devices.store.approve(request.device_code_hash, devices.approval(), now=NOW)
    results = await asyncio.gather(
        *(devices.store.issue(request.device_code_hash, now=NOW) for _ in range(polls))
    )
    assert sorted(results) == [False] * (polls - 1) + [True]


async def test_answers_racing_take_effect_once(devices: Devices) -> None:
    request = await _added(devices)
    results = await asyncio.gather(
        *(
            devices.store.approve(request.device_code_hash, devices.approval(f"g{i}"), now=NOW)
            for i in range(5)
        ),
        *(devices.store.deny(request.device_code_hash, devices.user_id, now=NOW) for _ in range(5)),
    )
    assert sum(results) == 1
    stored = await devices.store.get(request.device_code_hash)
    assert stored is not None
    kept = [i for i in range(5) if await devices.grants.get(f"g{i}") is not None]
    if stored.status is DeviceStatus.APPROVED:
        assert kept == [int(str(stored.grant_id)[1:])]  # one grant, the linked one
    else:
        assert stored.status is DeviceStatus.DENIED and kept == []


async def test_a_poll_sooner_than_the_interval_raises_it_for_good(devices: Devices) -> None:
    store = devices.store
    request = await _added(devices)
    code = request.device_code_hash
    first = await store.poll(code, now=NOW)
    assert first is not None and (first.too_fast, first.interval) == (False, 5)
    soon = await store.poll(code, now=NOW + timedelta(seconds=4))
    assert soon is not None and (soon.too_fast, soon.interval) == (True, 10)  # RFC 8628 §3.5
    # The next poll is measured against the raised interval, from the too-fast poll.
    again = await store.poll(code, now=NOW + timedelta(seconds=13))
    assert again is not None and (again.too_fast, again.interval) == (True, 15)
    patient = await store.poll(code, now=NOW + timedelta(seconds=28))
    assert patient is not None and (patient.too_fast, patient.interval) == (False, 15)
    stored = await store.get(code)
    assert stored is not None
    assert (stored.interval, stored.last_polled_at) == (15, NOW + timedelta(seconds=28))
    assert stored.status is DeviceStatus.PENDING
    assert await store.poll("9" * 64, now=NOW) is None


async def test_of_polls_at_the_same_moment_one_is_in_time_and_the_rest_too_fast(
    devices: Devices,
) -> None:
    request = await _added(devices)
    polls = await asyncio.gather(
        *(devices.store.poll(request.device_code_hash, now=NOW) for _ in range(5))
    )
    assert sorted(p.too_fast for p in polls if p is not None) == [False] + [True] * 4
    stored = await devices.store.get(request.device_code_hash)
    assert stored is not None and stored.interval == 5 + 4 * 5
