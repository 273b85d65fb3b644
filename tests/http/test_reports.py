"""/api/reports/summary: totals per activity, local day or ISO week over [from, to)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.conftest import Account, problem
from tests.http.tracking import at, new_activity, new_entry

pytestmark = pytest.mark.anyio

URL = "/api/reports/summary"


async def _summary(client: httpx.AsyncClient, account: Account, **params: str) -> dict[str, Any]:
    response = await client.get(URL, params=params, headers=account.bearer)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    body: dict[str, Any] = response.json()
    assert body["total_seconds"] == sum(g["seconds"] for g in body["groups"])
    return body


async def test_totals_per_activity(client: httpx.AsyncClient, alice: Account) -> None:
    writing = await new_activity(client, alice, "Writing")
    reading = await new_activity(client, alice, "Reading")
    await new_entry(client, alice, writing["id"], at(9), at(10))
    await new_entry(client, alice, writing["id"], at(11), at(11, 30))
    await new_entry(client, alice, reading["id"], at(14), at(16))
    await new_entry(client, alice, reading["id"], at(9, day=3), at(10, day=3))  # outside
    body = await _summary(client, alice, **{"from": "2026-03-02", "to": "2026-03-03"})
    assert body == {
        "from": "2026-03-02T00:00:00+00:00",
        "to": "2026-03-03T00:00:00+00:00",
        "tz": "UTC",
        "group_by": "activity",
        "total_seconds": 5400 + 7200,
        "groups": [
            {"key": str(writing["id"]), "label": "Writing", "seconds": 5400},
            {"key": str(reading["id"]), "label": "Reading", "seconds": 7200},
        ],
    }


async def test_an_empty_range_has_no_groups(client: httpx.AsyncClient, alice: Account) -> None:
    body = await _summary(client, alice, **{"from": "2026-03-02", "to": "2026-03-03"})
    assert (body["total_seconds"], body["groups"]) == (0, [])


async def test_entries_are_clipped_to_the_range(client: httpx.AsyncClient, alice: Account) -> None:
    writing = await new_activity(client, alice, "Writing")
    await new_entry(client, alice, writing["id"], at(8), at(12))
    await new_entry(client, alice, writing["id"], at(6), at(9, 30))  # ends inside
    await new_entry(client, alice, writing["id"], at(10, 30), at(14))  # starts inside
    await new_entry(client, alice, writing["id"], at(11), at(12))  # starts at `to`: out
    await new_entry(client, alice, writing["id"], at(7), at(9))  # ends at `from`: out
    body = await _summary(client, alice, **{"from": at(9), "to": at(11)})
    assert body["total_seconds"] == 7200 + 1800 + 1800
    assert body["from"] == at(9)
    assert body["to"] == at(11)


async def test_days_are_local_to_the_time_zone(client: httpx.AsyncClient, alice: Account) -> None:
    writing = await new_activity(client, alice, "Writing")
    # 22:30Z-00:30Z is 23:30-01:30 in Paris (UTC+1 in March).
    await new_entry(client, alice, writing["id"], at(22, 30), at(0, 30, day=3))
    params = {"from": "2026-03-01", "to": "2026-03-05", "group_by": "day"}
    utc = await _summary(client, alice, **params)
    assert utc["groups"] == [
        {"key": "2026-03-02", "label": "2026-03-02", "seconds": 5400},
        {"key": "2026-03-03", "label": "2026-03-03", "seconds": 1800},
    ]
    paris = await _summary(client, alice, **params, tz="Europe/Paris")
    assert paris["tz"] == "Europe/Paris"
    assert paris["group_by"] == "day"
    assert paris["groups"] == [
        {"key": "2026-03-02", "label": "2026-03-02", "seconds": 1800},
        {"key": "2026-03-03", "label": "2026-03-03", "seconds": 5400},
    ]


async def test_a_day_with_a_dst_change_is_as_long_as_it_really_is(
    client: httpx.AsyncClient, alice: Account
) -> None:
    writing = await new_activity(client, alice, "Writing")
    # Midnight to midnight in Paris around 29 March 2026, when clocks skip 02:00-03:00.
    await new_entry(
        client, alice, writing["id"], "2026-03-28T00:00:00+01:00", "2026-03-31T00:00:00+02:00"
    )
    params = {"from": "2026-03-28", "to": "2026-03-31", "group_by": "day", "tz": "Europe/Paris"}
    body = await _summary(client, alice, **params)
    assert [(g["key"], g["seconds"]) for g in body["groups"]] == [
        ("2026-03-28", 24 * 3600),
        ("2026-03-29", 23 * 3600),
        ("2026-03-30", 24 * 3600),
    ]
    assert body["total_seconds"] == 71 * 3600


async def test_weeks_are_keyed_by_their_monday(client: httpx.AsyncClient, alice: Account) -> None:
    writing = await new_activity(client, alice, "Writing")
    await new_entry(client, alice, writing["id"], at(9, day=1), at(10, day=1))  # Sunday
    await new_entry(client, alice, writing["id"], at(9, day=2), at(11, day=2))  # Monday
    await new_entry(client, alice, writing["id"], at(9, day=8), at(9, 15, day=8))  # Sunday
    await new_entry(client, alice, writing["id"], at(23, day=8), at(1, day=9))  # over midnight
    params = {"from": "2026-02-23", "to": "2026-03-16", "group_by": "week"}
    body = await _summary(client, alice, **params)
    assert body["groups"] == [
        {"key": "2026-02-23", "label": "2026-02-23", "seconds": 3600},
        {"key": "2026-03-02", "label": "2026-03-02", "seconds": 7200 + 900 + 3600},
        {"key": "2026-03-09", "label": "2026-03-09", "seconds": 3600},
    ]
    # In Tokyo (UTC+9) Sunday 09:00Z is already Sunday evening, and 23:00Z Sunday is Monday.
    tokyo = await _summary(client, alice, **params, tz="Asia/Tokyo")
    assert [(g["key"], g["seconds"]) for g in tokyo["groups"]] == [
        ("2026-02-23", 3600),
        ("2026-03-02", 7200 + 900),
        ("2026-03-09", 7200),
    ]


async def test_a_bare_date_is_local_midnight_in_the_time_zone(
    client: httpx.AsyncClient, alice: Account
) -> None:
    writing = await new_activity(client, alice, "Writing")
    # 23:30Z on 28 February is 00:30 on 1 March in Paris.
    await new_entry(client, alice, writing["id"], "2026-02-28T23:30:00+00:00", at(0, 30, day=1))
    params = {"from": "2026-03-01", "to": "2026-03-02"}
    paris = await _summary(client, alice, **params, tz="Europe/Paris")
    assert paris["from"] == "2026-02-28T23:00:00+00:00"
    assert paris["to"] == "2026-03-01T23:00:00+00:00"
    assert paris["total_seconds"] == 3600
    utc = await _summary(client, alice, **params)
    assert utc["from"] == "2026-03-01T00:00:00+00:00"
    assert utc["total_seconds"] == 1800
    # A time with an offset is that instant, whatever the time zone.
    exact = await _summary(
        client, alice, tz="Europe/Paris", **{"from": at(0, day=1), "to": at(0, day=2)}
    )
    assert exact["from"] == at(0, day=1)
    assert exact["total_seconds"] == 1800


async def test_running_entries_count_up_to_now(client: httpx.AsyncClient, alice: Account) -> None:
    writing = await new_activity(client, alice, "Writing")
    now = datetime.now(UTC)
    await new_entry(client, alice, writing["id"], (now - timedelta(hours=2)).isoformat())
    params = {
        "from": (now - timedelta(days=1)).isoformat(),
        "to": (now + timedelta(days=1)).isoformat(),
    }
    body = await _summary(client, alice, **params)
    assert 7200 <= body["total_seconds"] < 7200 + 120
    # A range that ends before now counts the running entry only up to `to`.
    ended = {"from": params["from"], "to": (now - timedelta(hours=1)).isoformat()}
    assert (await _summary(client, alice, **ended))["total_seconds"] == 3600


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"from": "2026-03-01", "to": "2026-03-02", "tz": "Mars/Olympus_Mons"}, "tz"),
        ({"from": "2026-03-01", "to": "2026-03-02", "tz": "../../etc/passwd"}, "tz"),
        ({"from": "2026-03-01", "to": "2026-03-02", "tz": "/etc/localtime"}, "tz"),
        ({"from": "2026-03-01", "to": "2026-03-02", "tz": ""}, "tz"),
        ({"from": "2026-03-01", "to": "2026-03-02", "tz": "Europe"}, "tz"),
        ({"from": "2026-03-01", "to": "2026-03-02", "tz": "x" * 65}, "tz"),
        ({"from": "2026-03-02", "to": "2026-03-01"}, "to"),
        ({"from": "2026-03-02", "to": "2026-03-02"}, "to"),
        ({"from": at(10), "to": at(9)}, "to"),
        ({"from": "2020-01-01", "to": "2026-01-01"}, "to"),  # over five years
        ({"to": "2026-03-02"}, "from"),
        ({"from": "2026-03-02"}, "to"),
        ({"from": "last week", "to": "2026-03-02"}, "from"),
        ({"from": "2026-03-02T09:00:00", "to": "2026-03-03"}, "from"),
        ({"from": "0001-01-01", "to": "0002-01-01", "tz": "Asia/Tokyo"}, "from"),
        ({"from": "2026-03-01", "to": "2026-03-02", "group_by": "month"}, "group_by"),
    ],
)
async def test_bad_parameters_are_named(
    client: httpx.AsyncClient, alice: Account, params: dict[str, str], field: str
) -> None:
    response = await client.get(URL, params=params, headers=alice.bearer)
    body = problem(response, 400)
    assert field in [e["field"] for e in body["errors"]]


async def test_missing_from_and_to_are_both_named(
    client: httpx.AsyncClient, alice: Account
) -> None:
    body = problem(await client.get(URL, headers=alice.bearer), 400)
    assert {e["field"] for e in body["errors"]} == {"from", "to"}


async def test_reports_need_authentication(client: httpx.AsyncClient) -> None:
    problem(await client.get(URL, params={"from": "2026-03-01", "to": "2026-03-02"}), 401)
