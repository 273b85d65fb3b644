"""Keyset pagination: limits, cursors that visit each item once, `next` and the Link header."""

from __future__ import annotations

import base64
import re
from datetime import datetime
from typing import Any

import httpx
import orjson
import pytest

from tests.conftest import Account, problem
from tests.http.tracking import at, new_activity, new_entry, parse_time

pytestmark = pytest.mark.anyio

LINK = re.compile(r'^<([^>]+)>; rel="next"$')


def _by_start(entry: tuple[str, int]) -> tuple[datetime, int]:
    return parse_time(entry[0]), entry[1]


def _cursor(position: object) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(position)).rstrip(b"=").decode()


async def _walk(
    client: httpx.AsyncClient, account: Account, url: str, params: dict[str, Any]
) -> list[list[dict[str, Any]]]:
    """Follow `next` from the first page to the last; return the pages."""
    pages: list[list[dict[str, Any]]] = []
    response = await client.get(url, params=params, headers=account.bearer)
    while True:
        assert response.status_code == 200, response.text
        body = response.json()
        pages.append(body["items"])
        link = response.headers.get("link")
        if body["next"] is None:
            assert link is None
            return pages
        match = LINK.match(link or "")
        assert match, link
        assert match.group(1) == body["next"]
        assert body["next"].startswith(url + "?")  # relative to the origin, same resource
        assert len(pages) < 100, "the walk does not end"
        response = await client.get(body["next"], headers=account.bearer)


@pytest.mark.parametrize("url", ["/api/activities", "/api/time-entries"])
async def test_limits_outside_1_to_200_are_refused(
    client: httpx.AsyncClient, alice: Account, url: str
) -> None:
    for limit in ("0", "201", "-1", "abc", "1.5", ""):
        response = await client.get(url, params={"limit": limit}, headers=alice.bearer)
        assert [e["field"] for e in problem(response, 400)["errors"]] == ["limit"], limit


@pytest.mark.parametrize("url", ["/api/activities", "/api/time-entries"])
async def test_limits_of_1_and_200_are_accepted(
    client: httpx.AsyncClient, alice: Account, url: str
) -> None:
    activity = await new_activity(client, alice, "A")
    await new_activity(client, alice, "B")
    await new_entry(client, alice, activity["id"], at(9), at(10))
    await new_entry(client, alice, activity["id"], at(11), at(12))
    one = await client.get(url, params={"limit": 1}, headers=alice.bearer)
    assert len(one.json()["items"]) == 1
    assert one.json()["next"] is not None
    most = await client.get(url, params={"limit": 200}, headers=alice.bearer)
    assert len(most.json()["items"]) == 2
    assert most.json()["next"] is None


async def test_the_default_page_holds_50(client: httpx.AsyncClient, alice: Account) -> None:
    for n in range(51):
        await new_activity(client, alice, f"A{n}")
    first = (await client.get("/api/activities", headers=alice.bearer)).json()
    assert len(first["items"]) == 50
    last = (await client.get(first["next"], headers=alice.bearer)).json()
    assert [a["name"] for a in last["items"]] == ["A50"]
    assert last["next"] is None


async def test_the_cursor_walks_every_activity_once(
    client: httpx.AsyncClient, alice: Account
) -> None:
    created = [(await new_activity(client, alice, f"A{n}"))["id"] for n in range(7)]
    for limit in (1, 2, 3, 7, 8):
        pages = await _walk(client, alice, "/api/activities", {"limit": limit})
        assert [len(page) for page in pages[:-1]] == [limit] * (len(pages) - 1)
        assert 1 <= len(pages[-1]) <= limit
        assert [a["id"] for page in pages for a in page] == created, limit


async def test_an_empty_list_is_one_last_page(client: httpx.AsyncClient, alice: Account) -> None:
    for url in ("/api/activities", "/api/time-entries"):
        assert await _walk(client, alice, url, {"limit": 5}) == [[]]


async def test_a_full_last_page_has_no_next(client: httpx.AsyncClient, alice: Account) -> None:
    for n in range(4):
        await new_activity(client, alice, f"A{n}")
    pages = await _walk(client, alice, "/api/activities", {"limit": 2})
    assert [len(page) for page in pages] == [2, 2]


@pytest.fixture
async def timeline(client: httpx.AsyncClient, alice: Account) -> dict[str, Any]:
    """Eleven entries of two activities, several starting at the very same instant."""
    writing = (await new_activity(client, alice, "Writing"))["id"]
    reading = (await new_activity(client, alice, "Reading"))["id"]
    starts = [
        (at(9), writing),
        (at(9), reading),
        (at(9), writing),
        (at(8), reading),
        (at(10), writing),
        (at(9), writing),
        (at(7, day=1), reading),
        ("2026-03-02T09:00:00.500000+00:00", writing),
        (at(10), reading),
        (at(12), writing),
        (at(9), reading),
    ]
    ids = []
    for n, (start, activity) in enumerate(starts):
        entry = await new_entry(client, alice, activity, start, at(13), note=str(n))
        ids.append((entry["start"], entry["id"], activity))
    return {"writing": writing, "reading": reading, "entries": ids}


@pytest.mark.parametrize("ordering", ["start", "-start"])
async def test_the_cursor_walks_every_entry_once_in_order(
    client: httpx.AsyncClient, alice: Account, timeline: dict[str, Any], ordering: str
) -> None:
    # Ties on start are broken by id, the same way on every page.
    expected = sorted(((start, id_) for start, id_, _ in timeline["entries"]), key=_by_start)
    if ordering == "-start":
        expected.reverse()
    for limit in (1, 2, 3, 5, 11, 12):
        params = {"limit": limit, "ordering": ordering}
        pages = await _walk(client, alice, "/api/time-entries", params)
        assert [len(page) for page in pages[:-1]] == [limit] * (len(pages) - 1)
        assert [(e["start"], e["id"]) for page in pages for e in page] == expected, limit


@pytest.mark.parametrize("ordering", ["start", "-start"])
async def test_the_next_link_keeps_the_filters(
    client: httpx.AsyncClient, alice: Account, timeline: dict[str, Any], ordering: str
) -> None:
    writing = timeline["writing"]
    params = {"limit": 1, "ordering": ordering, "activity": writing, "to": at(10)}
    pages = await _walk(client, alice, "/api/time-entries", params)
    walked = [(e["start"], e["id"]) for page in pages for e in page]
    expected = sorted(
        (
            (start, id_)
            for start, id_, activity in timeline["entries"]
            if activity == writing and parse_time(start) < parse_time(at(10))
        ),
        key=_by_start,
    )
    assert len(expected) == 4
    assert walked == (expected if ordering == "start" else expected[::-1])


async def test_a_walk_survives_changes_between_pages(
    client: httpx.AsyncClient, alice: Account
) -> None:
    ids = [(await new_activity(client, alice, f"A{n}"))["id"] for n in range(6)]
    first = (await client.get("/api/activities", params={"limit": 2}, headers=alice.bearer)).json()
    # The next item is deleted and a new one is added before the next page is read.
    await client.delete(f"/api/activities/{ids[2]}", headers=alice.bearer)
    added = (await new_activity(client, alice, "Late"))["id"]
    rest = await _walk(client, alice, first["next"].split("?")[0], _query(first["next"]))
    walked = [a["id"] for a in first["items"]] + [a["id"] for page in rest for a in page]
    assert walked == [*ids[:2], *ids[3:], added]


def _query(url: str) -> dict[str, str]:
    return dict(httpx.URL(url).params)


ACTIVITY_CURSORS = [
    "not a cursor",
    "!!!",
    "e30",  # {}
    _cursor([]),
    _cursor(["x"]),
    _cursor([1, 2]),
    _cursor([True]),
    _cursor([1.5]),
    _cursor([-1]),
    _cursor([2**31]),
    _cursor([2**63]),
    base64.urlsafe_b64encode(b"[" + b"9" * 30 + b"]").decode(),
    _cursor(["2026-03-02T09:00:00+00:00", 1]),  # an entry cursor
    "x" * 513,
]
ENTRY_CURSORS = [
    "not a cursor",
    _cursor([5]),  # an activity cursor
    _cursor(["2026-03-02T09:00:00+00:00"]),
    _cursor(["yesterday", 1]),
    _cursor(["2026-03-02T09:00:00", 1]),  # no offset: ours always carry one
    _cursor(["0001-01-01T00:00:00+01:00", 1]),  # before year 1 in UTC
    _cursor(["2026-03-02T09:00:00+00:00", 2**31]),
    _cursor(["2026-03-02T09:00:00+00:00", "1"]),
    _cursor([1, "2026-03-02T09:00:00+00:00"]),
]


async def test_a_tampered_cursor_is_refused(client: httpx.AsyncClient, alice: Account) -> None:
    activity = await new_activity(client, alice, "Writing")
    await new_entry(client, alice, activity["id"], at(9), at(10))
    cases: list[tuple[str, dict[str, str], str]]
    cases = [("/api/activities", {}, cursor) for cursor in ACTIVITY_CURSORS]
    cases += [
        ("/api/time-entries", {"ordering": ordering}, cursor)
        for cursor in ENTRY_CURSORS
        for ordering in ("start", "-start")
    ]
    for url, params, cursor in cases:
        response = await client.get(url, params={**params, "cursor": cursor}, headers=alice.bearer)
        errors = problem(response, 400)["errors"]
        assert [e["field"] for e in errors] == ["cursor"], (url, cursor)


async def test_a_cursor_reveals_nothing_of_another_users_list(
    client: httpx.AsyncClient, alice: Account, bob: Account
) -> None:
    for n in range(3):
        await new_activity(client, alice, f"A{n}")
    bobs = await new_activity(client, bob, "B")
    first = (await client.get("/api/activities", params={"limit": 1}, headers=alice.bearer)).json()
    # Bob following alice's next link gets his own activities after that position, not hers.
    theirs = (await client.get(first["next"], headers=bob.bearer)).json()
    assert [a["id"] for a in theirs["items"]] == [bobs["id"]]
