"""/api/time-entries over HTTP: success shapes, time rules, filters, ordering, running entries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.conftest import Account, problem
from tests.http.tracking import at, entries, new_activity, new_entry, parse_time

pytestmark = pytest.mark.anyio

FIELDS = {
    "id",
    "activity",
    "start",
    "end",
    "running",
    "duration_seconds",
    "note",
    "created_at",
    "updated_at",
}


@pytest.fixture
async def writing(client: httpx.AsyncClient, alice: Account) -> int:
    activity: int = (await new_activity(client, alice, "Writing"))["id"]
    return activity


@pytest.fixture
async def reading(client: httpx.AsyncClient, alice: Account) -> int:
    activity: int = (await new_activity(client, alice, "Reading"))["id"]
    return activity


def _ids(items: list[dict[str, Any]]) -> list[int]:
    return [item["id"] for item in items]


async def test_create_returns_the_entry_its_location_and_etag(
    client: httpx.AsyncClient, alice: Account, writing: int
) -> None:
    payload = {
        "activity": writing,
        "start": "2026-03-02T09:00:00+01:00",
        "end": "2026-03-02T10:30:00+01:00",
        "note": "chapter 1",
    }
    response = await client.post("/api/time-entries", json=payload, headers=alice.bearer)
    assert response.status_code == 201
    body = response.json()
    assert set(body) == FIELDS
    assert body["activity"] == writing
    # Stored and returned in UTC, the same instant as sent.
    assert body["start"] == "2026-03-02T08:00:00+00:00"
    assert parse_time(body["end"]) == parse_time("2026-03-02T10:30:00+01:00")
    assert body["running"] is False
    assert body["duration_seconds"] == 5400
    assert body["note"] == "chapter 1"
    assert response.headers["location"] == f"/api/time-entries/{body['id']}"
    assert response.headers["etag"] == '"v1"'

    read = await client.get(response.headers["location"], headers=alice.bearer)
    assert read.status_code == 200
    assert read.json() == body
    assert read.headers["etag"] == '"v1"'


async def test_the_note_defaults_to_empty(
    client: httpx.AsyncClient, alice: Account, writing: int
) -> None:
    payload = {"activity": writing, "start": at(9), "end": at(10)}
    response = await client.post("/api/time-entries", json=payload, headers=alice.bearer)
    assert response.json()["note"] == ""


@pytest.mark.parametrize(
    ("changes", "fields"),
    [
        ({"start": "2026-03-02T09:00:00"}, {"start"}),
        ({"end": "2026-03-02T10:00:00"}, {"end"}),
        ({"start": "2026-03-02T09:00:00", "end": "2026-03-02T10:00:00"}, {"start", "end"}),
        ({"start": "2026-03-02"}, {"start"}),
        ({"start": "yesterday"}, {"start"}),
        ({"start": 1772442000}, {"start"}),
        ({"start": None}, {"start"}),
        ({"start": "0001-01-01T00:00:00+01:00"}, {"start"}),
        ({"start": "9999-12-31T23:59:59+00:00", "end": None}, {"start"}),
        ({"end": at(8)}, {"end"}),
        ({"end": at(9)}, {"end"}),
        ({"activity": None}, {"activity"}),
        ({"activity": "1"}, {"activity"}),
        ({"activity": 0}, {"activity"}),
        ({"activity": 2**31}, {"activity"}),
        ({"activity": 10**30}, {"activity"}),
        ({"note": "n" * 2001}, {"note"}),
        ({"note": None}, {"note"}),
        ({"note": "a\u0000b"}, {"note"}),
        ({"duration": 60}, {"duration"}),
        ({"running": False}, {"running"}),
    ],
)
async def test_create_names_each_bad_field(
    client: httpx.AsyncClient,
    alice: Account,
    writing: int,
    changes: dict[str, object],
    fields: set[str],
) -> None:
    payload = {"activity": writing, "start": at(9), "end": at(10), **changes}
    response = await client.post("/api/time-entries", json=payload, headers=alice.bearer)
    body = problem(response, 400)
    assert {e["field"] for e in body["errors"]} == fields
    assert await entries(client, alice) == []


async def test_missing_fields_are_named(client: httpx.AsyncClient, alice: Account) -> None:
    response = await client.post("/api/time-entries", json={}, headers=alice.bearer)
    assert {e["field"] for e in problem(response, 400)["errors"]} == {"activity", "start"}


async def test_an_unknown_activity_is_a_bad_field(
    client: httpx.AsyncClient, alice: Account, writing: int
) -> None:
    payload = {"activity": writing + 1000, "start": at(9), "end": at(10)}
    response = await client.post("/api/time-entries", json=payload, headers=alice.bearer)
    assert [e["field"] for e in problem(response, 400)["errors"]] == ["activity"]


async def test_another_users_activity_is_a_bad_field(
    client: httpx.AsyncClient, alice: Account, bob: Account
) -> None:
    bobs = await new_activity(client, bob, "Bob's")
    payload = {"activity": bobs["id"], "start": at(9), "end": at(10)}
    response = await client.post("/api/time-entries", json=payload, headers=alice.bearer)
    assert [e["field"] for e in problem(response, 400)["errors"]] == ["activity"]
    assert await entries(client, alice) == []
    assert await entries(client, bob) == []


async def test_any_offset_is_accepted_and_compared_as_an_instant(
    client: httpx.AsyncClient, alice: Account, writing: int
) -> None:
    # 09:30+05:00 (04:30Z) is before 09:00+01:00 (08:00Z), although 09:30 reads later.
    payload = {"activity": writing, "start": "2026-03-02T09:00:00+01:00"}
    early = {**payload, "end": "2026-03-02T09:30:00+05:00"}
    response = await client.post("/api/time-entries", json=early, headers=alice.bearer)
    assert [e["field"] for e in problem(response, 400)["errors"]] == ["end"]
    late = {**payload, "end": "2026-03-02T05:00:00-05:00"}  # 10:00Z
    response = await client.post("/api/time-entries", json=late, headers=alice.bearer)
    assert response.status_code == 201
    assert response.json()["duration_seconds"] == 2 * 3600


async def test_put_replaces_the_entry(
    client: httpx.AsyncClient, alice: Account, writing: int, reading: int
) -> None:
    entry = await new_entry(client, alice, writing, at(9), at(10), note="draft")
    url = f"/api/time-entries/{entry['id']}"
    payload = {"activity": reading, "start": at(11), "end": at(11, 45)}
    response = await client.put(url, json=payload, headers=alice.bearer)
    assert response.status_code == 200
    body = response.json()
    assert body["activity"] == reading
    assert (body["start"], body["end"]) == (at(11), at(11, 45))
    assert body["duration_seconds"] == 45 * 60
    assert body["note"] == ""  # left out of a PUT: back to the default
    assert body["created_at"] == entry["created_at"]
    assert response.headers["etag"] == '"v2"'
    assert (await client.get(url, headers=alice.bearer)).json() == body


async def test_put_validates_like_create(
    client: httpx.AsyncClient, alice: Account, writing: int
) -> None:
    entry = await new_entry(client, alice, writing, at(9), at(10))
    url = f"/api/time-entries/{entry['id']}"
    payload = {"activity": writing, "start": at(11), "end": at(10)}
    response = await client.put(url, json=payload, headers=alice.bearer)
    assert [e["field"] for e in problem(response, 400)["errors"]] == ["end"]
    assert (await client.get(url, headers=alice.bearer)).json() == entry


async def test_patch_changes_only_the_fields_sent(
    client: httpx.AsyncClient, alice: Account, writing: int, reading: int
) -> None:
    entry = await new_entry(client, alice, writing, at(9), at(10), note="draft")
    url = f"/api/time-entries/{entry['id']}"
    response = await client.patch(url, json={"note": "final"}, headers=alice.bearer)
    assert response.status_code == 200
    body = response.json()
    assert body == {**entry, "note": "final", "updated_at": body["updated_at"]}

    moved = await client.patch(url, json={"activity": reading, "end": at(12)}, headers=alice.bearer)
    assert moved.status_code == 200
    assert moved.json()["activity"] == reading
    assert (moved.json()["start"], moved.json()["end"]) == (at(9), at(12))
    assert moved.json()["duration_seconds"] == 3 * 3600
    assert moved.headers["etag"] == '"v3"'


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"end": at(8)}, "end"),  # before the stored start
        ({"start": at(10, 30)}, "end"),  # after the stored end
        ({"start": "2026-03-02T08:00:00"}, "start"),
        ({"start": None}, "start"),
        ({"activity": None}, "activity"),
        ({"note": None}, "note"),
        ({"activity": 999_999}, "activity"),
        ({"colour": "#000000"}, "colour"),
    ],
)
async def test_patch_names_the_bad_field_and_changes_nothing(
    client: httpx.AsyncClient, alice: Account, writing: int, payload: dict[str, object], field: str
) -> None:
    entry = await new_entry(client, alice, writing, at(9), at(10))
    url = f"/api/time-entries/{entry['id']}"
    response = await client.patch(url, json=payload, headers=alice.bearer)
    assert [e["field"] for e in problem(response, 400)["errors"]] == [field]
    after = await client.get(url, headers=alice.bearer)
    assert after.json() == entry
    assert after.headers["etag"] == '"v1"'


async def test_delete_removes_the_entry(
    client: httpx.AsyncClient, alice: Account, writing: int
) -> None:
    keep = await new_entry(client, alice, writing, at(9), at(10))
    gone = await new_entry(client, alice, writing, at(11), at(12))
    url = f"/api/time-entries/{gone['id']}"
    response = await client.delete(url, headers=alice.bearer)
    assert response.status_code == 204
    problem(await client.get(url, headers=alice.bearer), 404)
    problem(await client.delete(url, headers=alice.bearer), 404)
    assert await entries(client, alice) == [keep]


@pytest.mark.parametrize("missing", ["999999", "0", str(2**31), "9" * 5000])
async def test_unknown_entry_ids_are_not_found(
    client: httpx.AsyncClient, alice: Account, writing: int, missing: str
) -> None:
    url = f"/api/time-entries/{missing}"
    payload = {"activity": writing, "start": at(9), "end": at(10)}
    problem(await client.get(url, headers=alice.bearer), 404)
    problem(await client.put(url, json=payload, headers=alice.bearer), 404)
    problem(await client.patch(url, json={"note": "x"}, headers=alice.bearer), 404)
    problem(await client.delete(url, headers=alice.bearer), 404)
    problem(await client.post(f"{url}/stop", headers=alice.bearer), 404)


# Filters. A day's entries: A 08:00-09:00, B 09:30-10:30, C 11:00-12:00, D running since 13:00.


@pytest.fixture
async def day(
    client: httpx.AsyncClient, alice: Account, writing: int, reading: int
) -> dict[str, int]:
    return {
        "A": (await new_entry(client, alice, writing, at(8), at(9)))["id"],
        "B": (await new_entry(client, alice, reading, at(9, 30), at(10, 30)))["id"],
        "C": (await new_entry(client, alice, writing, at(11), at(12)))["id"],
        "D": (await new_entry(client, alice, reading, at(13)))["id"],
        "yesterday": (await new_entry(client, alice, writing, at(22, day=1), at(23, day=1)))["id"],
    }


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        # Entries overlapping [from, to): an entry ending at `from` or starting at `to` is out.
        ({"from": at(9), "to": at(11)}, ["B"]),
        ({"from": at(8, 59), "to": at(11, 1)}, ["A", "B", "C"]),
        ({"from": at(10), "to": at(10, 1)}, ["B"]),
        ({"from": at(12)}, ["D"]),  # a running entry has no end: it overlaps every later time
        ({"from": "2026-03-09T00:00:00+00:00"}, ["D"]),
        ({"to": at(8)}, ["yesterday"]),
        ({"to": at(8, 1)}, ["yesterday", "A"]),
        ({"from": at(12), "to": at(13)}, []),
        ({"from": at(12), "to": at(13, 1)}, ["D"]),
        # [08:30Z, 09:00Z), sent with an offset.
        ({"from": "2026-03-02T09:30:00+01:00", "to": "2026-03-02T10:00:00+01:00"}, ["A"]),
        # A bare date is midnight UTC.
        ({"from": "2026-03-02", "to": "2026-03-03"}, ["A", "B", "C", "D"]),
        ({"from": "2026-03-01", "to": "2026-03-02"}, ["yesterday"]),
    ],
)
async def test_from_and_to_select_overlapping_entries(
    client: httpx.AsyncClient,
    alice: Account,
    day: dict[str, int],
    params: dict[str, str],
    expected: list[str],
) -> None:
    found = await entries(client, alice, ordering="start", **params)
    assert _ids(found) == [day[name] for name in expected]


async def test_the_activity_filter_keeps_one_activity(
    client: httpx.AsyncClient, alice: Account, writing: int, reading: int, day: dict[str, int]
) -> None:
    found = await entries(client, alice, activity=writing, ordering="start")
    assert _ids(found) == [day["yesterday"], day["A"], day["C"]]
    assert all(item["activity"] == writing for item in found)
    combined = await entries(client, alice, activity=reading, to=at(12))
    assert _ids(combined) == [day["B"]]


async def test_ordering_is_by_start_either_way(
    client: httpx.AsyncClient, alice: Account, day: dict[str, int]
) -> None:
    chronological = [day[name] for name in ("yesterday", "A", "B", "C", "D")]
    assert _ids(await entries(client, alice, ordering="start")) == chronological
    assert _ids(await entries(client, alice, ordering="-start")) == chronological[::-1]
    # Newest first unless asked otherwise.
    assert _ids(await entries(client, alice)) == chronological[::-1]


async def test_entries_are_ordered_by_instant_not_by_the_offset_they_were_sent_with(
    client: httpx.AsyncClient, alice: Account, writing: int
) -> None:
    later = await new_entry(client, alice, writing, "2026-03-02T09:00:00-05:00")  # 14:00Z
    earlier = await new_entry(client, alice, writing, "2026-03-02T12:00:00+01:00", at(12))
    assert _ids(await entries(client, alice, ordering="start")) == [earlier["id"], later["id"]]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"from": at(11), "to": at(9)}, "to"),
        ({"from": at(9), "to": at(9)}, "to"),
        ({"from": "2026-03-02T09:00:00"}, "from"),
        ({"to": "2026-03-02T09:00:00"}, "to"),
        ({"from": "soon"}, "from"),
        ({"from": "0001-01-01T00:00:00+01:00"}, "from"),
        ({"to": "9999-12-31T23:00:00-05:00"}, "to"),
        ({"activity": "writing"}, "activity"),
        ({"activity": "0"}, "activity"),
        ({"activity": str(2**40)}, "activity"),
        ({"ordering": "end"}, "ordering"),
        ({"ordering": "+start"}, "ordering"),
    ],
)
async def test_bad_filters_are_named(
    client: httpx.AsyncClient, alice: Account, params: dict[str, str], field: str
) -> None:
    response = await client.get("/api/time-entries", params=params, headers=alice.bearer)
    body = problem(response, 400)
    assert [e["field"] for e in body["errors"]] == [field]


# Running entries


async def test_an_entry_without_end_is_running(
    client: httpx.AsyncClient, alice: Account, writing: int
) -> None:
    start = datetime.now(UTC) - timedelta(minutes=90)
    entry = await new_entry(client, alice, writing, start.isoformat())
    assert entry["running"] is True
    assert entry["end"] is None
    # Its duration runs up to now.
    assert 90 * 60 - 1 <= entry["duration_seconds"] <= 90 * 60 + 60
    read = await client.get(f"/api/time-entries/{entry['id']}", headers=alice.bearer)
    assert read.json()["running"] is True
    assert read.json()["duration_seconds"] >= entry["duration_seconds"]


async def test_a_running_entry_that_starts_later_lasts_zero_seconds_so_far(
    client: httpx.AsyncClient, alice: Account, writing: int
) -> None:
    start = datetime.now(UTC) + timedelta(hours=2)
    entry = await new_entry(client, alice, writing, start.isoformat())
    assert entry["duration_seconds"] == 0


async def test_a_second_running_entry_is_a_conflict(
    client: httpx.AsyncClient, alice: Account, writing: int, reading: int
) -> None:
    running = await new_entry(client, alice, writing, at(9))
    payload = {"activity": reading, "start": at(10)}
    response = await client.post("/api/time-entries", json=payload, headers=alice.bearer)
    body = problem(response, 409)
    assert body["type"] == "/api/problems/timer-already-running"
    assert body["running_entry"] == f"/api/time-entries/{running['id']}"
    assert _ids(await entries(client, alice)) == [running["id"]]

    # Finished entries may still be recorded while one runs.
    finished = await new_entry(client, alice, reading, at(7), at(8))
    assert finished["running"] is False


async def test_reopening_an_entry_while_another_runs_is_a_conflict(
    client: httpx.AsyncClient, alice: Account, writing: int
) -> None:
    running = await new_entry(client, alice, writing, at(11))
    finished = await new_entry(client, alice, writing, at(9), at(10))
    url = f"/api/time-entries/{finished['id']}"
    body = problem(await client.patch(url, json={"end": None}, headers=alice.bearer), 409)
    assert body["running_entry"] == f"/api/time-entries/{running['id']}"
    payload = {"activity": writing, "start": at(9)}
    problem(await client.put(url, json=payload, headers=alice.bearer), 409)
    assert (await client.get(url, headers=alice.bearer)).json() == finished


async def test_a_finished_entry_may_be_reopened_when_none_runs(
    client: httpx.AsyncClient, alice: Account, writing: int
) -> None:
    finished = await new_entry(client, alice, writing, at(9), at(10))
    url = f"/api/time-entries/{finished['id']}"
    response = await client.patch(url, json={"end": None}, headers=alice.bearer)
    assert response.status_code == 200
    assert response.json()["running"] is True
    assert response.json()["end"] is None


async def test_deleting_the_running_entry_frees_the_timer(
    client: httpx.AsyncClient, alice: Account, writing: int
) -> None:
    running = await new_entry(client, alice, writing, at(9))
    response = await client.delete(f"/api/time-entries/{running['id']}", headers=alice.bearer)
    assert response.status_code == 204
    again = await new_entry(client, alice, writing, at(10))
    assert again["running"] is True
