"""The timer: POST /api/timer/start and /api/time-entries/{id}/stop, alone and concurrently."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.conftest import Account, problem
from tests.http.tracking import at, entries, new_activity, new_entry, parse_time

pytestmark = pytest.mark.anyio

WRITING = object()  # stands for the id of the `writing` fixture's activity in parameters


@pytest.fixture
async def writing(client: httpx.AsyncClient, alice: Account) -> int:
    activity: int = (await new_activity(client, alice, "Writing"))["id"]
    return activity


async def _start(
    client: httpx.AsyncClient, account: Account, activity: int, note: str = ""
) -> httpx.Response:
    return await client.post(
        "/api/timer/start", json={"activity": activity, "note": note}, headers=account.bearer
    )


async def _stop(client: httpx.AsyncClient, account: Account, entry_id: int) -> httpx.Response:
    return await client.post(f"/api/time-entries/{entry_id}/stop", headers=account.bearer)


async def test_start_creates_a_running_entry_starting_now(
    client: httpx.AsyncClient, alice: Account, writing: int
) -> None:
    before = datetime.now(UTC).replace(microsecond=0)
    response = await _start(client, alice, writing, note="chapter 2")
    after = datetime.now(UTC)
    assert response.status_code == 201
    entry = response.json()
    assert entry["activity"] == writing
    assert entry["note"] == "chapter 2"
    assert entry["running"] is True
    assert entry["end"] is None
    assert before <= parse_time(entry["start"]) <= after
    assert response.headers["location"] == f"/api/time-entries/{entry['id']}"
    assert response.headers["etag"] == '"v1"'
    assert [_without_duration(e) for e in await entries(client, alice)] == [
        _without_duration(entry)
    ]


def _without_duration(entry: dict[str, Any]) -> dict[str, Any]:
    """A running entry's duration grows between two reads; the rest stays."""
    return {k: v for k, v in entry.items() if k != "duration_seconds"}


async def test_stop_ends_the_running_entry_now(
    client: httpx.AsyncClient, alice: Account, writing: int
) -> None:
    started = (await _start(client, alice, writing)).json()
    response = await _stop(client, alice, started["id"])
    now = datetime.now(UTC)
    assert response.status_code == 200
    stopped = response.json()
    assert stopped["running"] is False
    start, end = parse_time(stopped["start"]), parse_time(stopped["end"])
    assert start == parse_time(started["start"])
    # Never ends at or before its start, even when stopped within the same second.
    assert start < end <= max(now, start + timedelta(seconds=1))
    assert stopped["duration_seconds"] >= 1
    assert response.headers["etag"] == '"v2"'
    read = await client.get(f"/api/time-entries/{started['id']}", headers=alice.bearer)
    assert read.json() == stopped


async def test_stopping_a_stopped_entry_returns_it_unchanged(
    client: httpx.AsyncClient, alice: Account, writing: int
) -> None:
    started = (await _start(client, alice, writing)).json()
    first = await _stop(client, alice, started["id"])
    second = await _stop(client, alice, started["id"])
    assert second.status_code == 200
    assert second.json() == first.json()
    assert second.headers["etag"] == first.headers["etag"] == '"v2"'


async def test_stopping_an_entry_recorded_with_an_end_changes_nothing(
    client: httpx.AsyncClient, alice: Account, writing: int
) -> None:
    finished = await new_entry(client, alice, writing, at(9), at(10))
    response = await _stop(client, alice, finished["id"])
    assert response.status_code == 200
    assert response.json() == finished
    assert response.headers["etag"] == '"v1"'


async def test_stop_keeps_an_hour_old_start(
    client: httpx.AsyncClient, alice: Account, writing: int
) -> None:
    start = (datetime.now(UTC) - timedelta(hours=1)).replace(microsecond=0)
    running = await new_entry(client, alice, writing, start.isoformat())
    stopped = (await _stop(client, alice, running["id"])).json()
    assert parse_time(stopped["start"]) == start
    assert 3600 <= stopped["duration_seconds"] <= 3600 + 60


async def test_starting_while_one_runs_is_a_conflict_naming_the_running_entry(
    client: httpx.AsyncClient, alice: Account, writing: int
) -> None:
    running = (await _start(client, alice, writing)).json()
    reading = await new_activity(client, alice, "Reading")
    body = problem(await _start(client, alice, reading["id"]), 409)
    assert body["type"] == "/api/problems/timer-already-running"
    assert body["running_entry"] == f"/api/time-entries/{running['id']}"
    listed = await entries(client, alice)
    assert [e["id"] for e in listed] == [running["id"]]
    assert listed[0]["activity"] == writing


async def test_a_stopped_timer_can_be_started_again(
    client: httpx.AsyncClient, alice: Account, writing: int
) -> None:
    first = (await _start(client, alice, writing)).json()
    await _stop(client, alice, first["id"])
    second = await _start(client, alice, writing)
    assert second.status_code == 201
    assert second.json()["id"] != first["id"]
    assert [e["running"] for e in await entries(client, alice, ordering="start")] == [False, True]


async def test_an_entry_posted_without_end_also_blocks_the_timer(
    client: httpx.AsyncClient, alice: Account, writing: int
) -> None:
    running = await new_entry(client, alice, writing, at(9))
    body = problem(await _start(client, alice, writing), 409)
    assert body["running_entry"] == f"/api/time-entries/{running['id']}"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({}, "activity"),
        ({"activity": None}, "activity"),
        ({"activity": "1"}, "activity"),
        ({"activity": 0}, "activity"),
        ({"activity": 999_999}, "activity"),
        ({"activity": WRITING, "note": 5}, "note"),
        ({"activity": WRITING, "note": "n" * 2001}, "note"),
        ({"activity": WRITING, "note": "\u0000"}, "note"),
        ({"activity": WRITING, "start": "2026-03-02T09:00:00+00:00"}, "start"),
    ],
)
async def test_start_names_the_bad_field(
    client: httpx.AsyncClient, alice: Account, writing: int, payload: dict[str, object], field: str
) -> None:
    payload = {k: writing if v is WRITING else v for k, v in payload.items()}
    response = await client.post("/api/timer/start", json=payload, headers=alice.bearer)
    assert [e["field"] for e in problem(response, 400)["errors"]] == [field]
    assert await entries(client, alice) == []


async def test_start_on_another_users_activity_is_a_bad_field(
    client: httpx.AsyncClient, alice: Account, bob: Account
) -> None:
    bobs = await new_activity(client, bob, "Bob's")
    body = problem(await _start(client, alice, bobs["id"]), 400)
    assert [e["field"] for e in body["errors"]] == ["activity"]
    assert await entries(client, alice) == []
    assert await entries(client, bob) == []


async def test_start_needs_a_json_body(
    client: httpx.AsyncClient, alice: Account, writing: int
) -> None:
    response = await client.post(
        "/api/timer/start", content=f'{{"activity": {writing}}}', headers=alice.bearer
    )
    problem(response, 415)
    assert await entries(client, alice) == []


async def test_concurrent_starts_run_exactly_one_timer(
    client: httpx.AsyncClient, alice: Account, writing: int
) -> None:
    # On PostgreSQL these race through the connection pool; the database decides the winner.
    responses = await asyncio.gather(*(_start(client, alice, writing) for _ in range(10)))
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201] + [409] * 9
    winner = next(r for r in responses if r.status_code == 201).json()
    for response in responses:
        if response.status_code == 409:
            body = problem(response, 409)
            assert body["running_entry"] == f"/api/time-entries/{winner['id']}"
    listed = await entries(client, alice)
    assert [e["id"] for e in listed] == [winner["id"]]
    assert listed[0]["running"] is True


async def test_concurrent_starts_of_two_users_do_not_block_each_other(
    client: httpx.AsyncClient, alice: Account, bob: Account, writing: int
) -> None:
    bobs = (await new_activity(client, bob, "Bob's"))["id"]
    starts = [_start(client, alice, writing) for _ in range(5)]
    starts += [_start(client, bob, bobs) for _ in range(5)]
    responses = await asyncio.gather(*starts)
    assert sorted(r.status_code for r in responses[:5]) == [201] + [409] * 4
    assert sorted(r.status_code for r in responses[5:]) == [201] + [409] * 4
    assert [e["running"] for e in await entries(client, alice)] == [True]
    assert [e["running"] for e in await entries(client, bob)] == [True]


async def test_concurrent_stops_all_return_the_one_stopped_entry(
    client: httpx.AsyncClient, alice: Account, writing: int
) -> None:
    # Two devices pressing stop together: the slower one sent no If-Match, so it gets the
    # stopped entry, not a 412.
    running = (await _start(client, alice, writing)).json()
    responses = await asyncio.gather(*(_stop(client, alice, running["id"]) for _ in range(10)))
    assert [r.status_code for r in responses] == [200] * 10
    ends = {r.json()["end"] for r in responses}
    assert len(ends) == 1
    read = await client.get(f"/api/time-entries/{running['id']}", headers=alice.bearer)
    assert read.json()["end"] in ends
    assert read.headers["etag"] == '"v2"'  # stopped once
