"""Each user sees only their own activities and entries: another's are simply not found (404).

404 rather than 403, so that ids do not tell a stranger what exists.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.conftest import Account, problem
from tests.http.tracking import at, entries, new_activity, new_entry

pytestmark = pytest.mark.anyio


@dataclass(frozen=True)
class AliceData:
    activity: dict[str, Any]
    finished: dict[str, Any]
    running: dict[str, Any]

    @property
    def urls(self) -> list[str]:
        return [
            f"/api/activities/{self.activity['id']}",
            f"/api/time-entries/{self.finished['id']}",
            f"/api/time-entries/{self.running['id']}",
        ]


@pytest.fixture
async def alices(client: httpx.AsyncClient, alice: Account) -> AliceData:
    activity = await new_activity(client, alice, "Writing", description="private")
    finished = await new_entry(client, alice, activity["id"], at(9), at(10), note="secret")
    running = await new_entry(client, alice, activity["id"], at(11))
    return AliceData(activity, finished, running)


async def _snapshot(
    client: httpx.AsyncClient, account: Account, data: AliceData
) -> list[tuple[int, str, dict[str, Any]]]:
    """Status, ETag and body of each of alice's objects (a running entry's duration aside)."""
    snapshot = []
    for url in data.urls:
        response = await client.get(url, headers=account.bearer)
        body = {k: v for k, v in response.json().items() if k != "duration_seconds"}
        snapshot.append((response.status_code, response.headers["etag"], body))
    return snapshot


async def test_another_users_objects_are_not_found(
    client: httpx.AsyncClient, alice: Account, bob: Account, alices: AliceData
) -> None:
    for url in alices.urls:
        body = problem(await client.get(url, headers=bob.bearer), 404)
        assert body["detail"] == "no such object"
    # The same answer as for an id that names nothing at all.
    nothing = await client.get("/api/activities/999999", headers=bob.bearer)
    assert problem(nothing, 404) == problem(
        await client.get(alices.urls[0], headers=bob.bearer), 404
    )


async def test_lists_hold_only_ones_own(
    client: httpx.AsyncClient, alice: Account, bob: Account, alices: AliceData
) -> None:
    bobs = await new_activity(client, bob, "Bob's")
    bobs_entry = await new_entry(client, bob, bobs["id"], at(9), at(10))
    activities = await client.get("/api/activities", headers=bob.bearer)
    assert activities.json()["items"] == [bobs]
    assert await entries(client, bob) == [bobs_entry]
    # Filtering on alice's activity finds nothing of hers.
    assert await entries(client, bob, activity=alices.activity["id"]) == []
    csv = await client.get("/api/time-entries", headers={**bob.bearer, "Accept": "text/csv"})
    assert "secret" not in csv.text
    assert len(csv.text.splitlines()) == 2  # the header row and bob's one entry


async def test_another_users_objects_cannot_be_changed(
    client: httpx.AsyncClient, alice: Account, bob: Account, alices: AliceData
) -> None:
    before = await _snapshot(client, alice, alices)
    activity_url, finished_url, running_url = alices.urls
    bobs = await new_activity(client, bob, "Bob's")
    entry = {"activity": bobs["id"], "start": at(12), "end": at(13)}
    attempts = [
        ("PUT", activity_url, {"name": "Taken over"}),
        ("PATCH", activity_url, {"archived": True}),
        ("DELETE", activity_url, None),
        ("DELETE", f"{activity_url}?cascade=true", None),
        ("PUT", finished_url, entry),
        ("PATCH", finished_url, {"note": "changed"}),
        ("PATCH", running_url, {"end": at(12)}),
        ("DELETE", finished_url, None),
        ("DELETE", running_url, None),
        ("POST", f"{running_url}/stop", None),
        ("POST", f"{finished_url}/stop", None),
    ]
    for method, url, payload in attempts:
        for headers in (
            bob.bearer,
            {**bob.bearer, "If-Match": "*"},
            {**bob.bearer, "If-Match": '"v1"'},
        ):
            response = await client.request(method, url, json=payload, headers=headers)
            problem(response, 404)
    assert await _snapshot(client, alice, alices) == before
    assert len(await entries(client, alice)) == 2


async def test_another_users_activity_cannot_take_entries(
    client: httpx.AsyncClient, alice: Account, bob: Account, alices: AliceData
) -> None:
    theirs = alices.activity["id"]
    bobs = await new_activity(client, bob, "Bob's")
    own = await new_entry(client, bob, bobs["id"], at(9), at(10))
    own_url = f"/api/time-entries/{own['id']}"
    attempts = [
        ("POST", "/api/time-entries", {"activity": theirs, "start": at(12), "end": at(13)}),
        ("POST", "/api/timer/start", {"activity": theirs}),
        ("PUT", own_url, {"activity": theirs, "start": at(9), "end": at(10)}),
        ("PATCH", own_url, {"activity": theirs}),
    ]
    for method, url, payload in attempts:
        response = await client.request(method, url, json=payload, headers=bob.bearer)
        assert [e["field"] for e in problem(response, 400)["errors"]] == ["activity"]
    assert await entries(client, bob) == [own]
    assert len(await entries(client, alice)) == 2


async def test_one_users_running_timer_does_not_block_anothers(
    client: httpx.AsyncClient, alice: Account, bob: Account, alices: AliceData
) -> None:
    bobs = await new_activity(client, bob, "Bob's")
    response = await client.post(
        "/api/timer/start", json={"activity": bobs["id"]}, headers=bob.bearer
    )
    assert response.status_code == 201
    assert "running_entry" not in response.json()


async def test_reports_count_only_ones_own_time(
    client: httpx.AsyncClient, alice: Account, bob: Account, alices: AliceData
) -> None:
    params = {"from": "2026-03-02", "to": "2026-03-03"}
    bobs = await client.get("/api/reports/summary", params=params, headers=bob.bearer)
    assert bobs.status_code == 200
    assert bobs.json()["total_seconds"] == 0
    assert bobs.json()["groups"] == []
    alices_report = await client.get("/api/reports/summary", params=params, headers=alice.bearer)
    assert alices_report.json()["total_seconds"] >= 3600


async def test_names_are_unique_per_user_only(
    client: httpx.AsyncClient, alice: Account, bob: Account, alices: AliceData
) -> None:
    # Bob taking alice's activity name neither fails nor tells him the name is in use.
    bobs = await new_activity(client, bob, "writing")
    assert bobs["id"] != alices.activity["id"]
    assert (await client.get(alices.urls[0], headers=alice.bearer)).json() == alices.activity
