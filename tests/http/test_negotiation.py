"""Content negotiation: JSON by default, CSV for lists on request, 406 for anything else."""

from __future__ import annotations

import csv
import io

import httpx
import pytest

from tests.conftest import Account, problem
from tests.http.tracking import at, entries, new_activity, new_entry

pytestmark = pytest.mark.anyio

CSV_TYPE = "text/csv; charset=utf-8"


def _rows(response: httpx.Response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.text, newline="")))


async def test_json_is_the_default(client: httpx.AsyncClient, alice: Account) -> None:
    activity = await new_activity(client, alice, "Writing")
    for accept in (None, "*/*", "application/*", "application/json", "text/html, */*;q=0.1"):
        headers = dict(alice.bearer)
        if accept:
            headers["Accept"] = accept
        for url in ("/api/activities", f"/api/activities/{activity['id']}"):
            response = await client.get(url, headers=headers)
            assert response.status_code == 200, accept
            assert response.headers["content-type"] == "application/json", accept
            assert response.json()


async def test_time_entries_as_csv(client: httpx.AsyncClient, alice: Account) -> None:
    writing = await new_activity(client, alice, "Writing")
    first = await new_entry(client, alice, writing["id"], at(9), at(10, 30), note="plain")
    second = await new_entry(
        client, alice, writing["id"], at(11), at(12), note='with "quotes", commas\nand lines'
    )
    response = await client.get(
        "/api/time-entries",
        params={"ordering": "start"},
        headers={**alice.bearer, "Accept": "text/csv"},
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == CSV_TYPE
    assert response.headers["content-disposition"] == 'attachment; filename="time-entries.csv"'
    assert "Accept" in response.headers["vary"]
    # RFC 4180: CRLF ends every record, the last one too.
    assert response.text.startswith("id,activity,start,end,duration_seconds,note\r\n")
    assert response.text.endswith("\r\n")
    assert _rows(response) == [
        ["id", "activity", "start", "end", "duration_seconds", "note"],
        [str(first["id"]), str(writing["id"]), at(9), at(10, 30), "5400", "plain"],
        [
            str(second["id"]),
            str(writing["id"]),
            at(11),
            at(12),
            "3600",
            'with "quotes", commas\nand lines',
        ],
    ]


async def test_a_running_entry_has_an_empty_end_cell(
    client: httpx.AsyncClient, alice: Account
) -> None:
    writing = await new_activity(client, alice, "Writing")
    await new_entry(client, alice, writing["id"], at(9))
    response = await client.get("/api/time-entries", headers={**alice.bearer, "Accept": "text/csv"})
    row = _rows(response)[1]
    assert row[3] == ""
    assert int(row[4]) > 0


async def test_activities_as_csv(client: httpx.AsyncClient, alice: Account) -> None:
    writing = await new_activity(client, alice, "Writing", description="Book", colour="#1e90ff")
    reading = await new_activity(client, alice, "Reading", archived=True)
    response = await client.get("/api/activities", headers={**alice.bearer, "Accept": "text/csv"})
    assert response.status_code == 200
    assert response.headers["content-type"] == CSV_TYPE
    assert response.headers["content-disposition"] == 'attachment; filename="activities.csv"'
    assert response.text.count("\r\n") == 3
    assert _rows(response) == [
        ["id", "name", "description", "colour", "archived", "created_at", "updated_at"],
        [
            str(writing["id"]),
            "Writing",
            "Book",
            "#1e90ff",
            "False",
            writing["created_at"],
            writing["updated_at"],
        ],
        [
            str(reading["id"]),
            "Reading",
            "",
            "",
            "True",
            reading["created_at"],
            reading["updated_at"],
        ],
    ]


async def test_an_empty_csv_list_is_its_header_row(
    client: httpx.AsyncClient, alice: Account
) -> None:
    response = await client.get("/api/time-entries", headers={**alice.bearer, "Accept": "text/csv"})
    assert response.text == "id,activity,start,end,duration_seconds,note\r\n"


async def test_csv_pages_carry_the_next_link(client: httpx.AsyncClient, alice: Account) -> None:
    for name in ("A", "B", "C"):
        await new_activity(client, alice, name)
    headers = {**alice.bearer, "Accept": "text/csv"}
    first = await client.get("/api/activities", params={"limit": 2}, headers=headers)
    assert len(_rows(first)) == 3
    link = first.headers["link"]
    assert link.startswith("</api/activities?") and link.endswith('>; rel="next"')
    second = await client.get(link[1 : link.index(">")], headers=headers)
    assert [row[1] for row in _rows(second)] == ["name", "C"]
    assert "link" not in second.headers


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        ("text/csv", CSV_TYPE),
        ("text/*", CSV_TYPE),
        ("application/json;q=0.5, text/csv", CSV_TYPE),
        ("text/csv;q=0.9, application/json;q=0.8", CSV_TYPE),
        ("text/csv;q=0.1, application/json", "application/json"),
        ("text/csv, application/json", "application/json"),  # equal: the server's preference
        ("application/xml, text/csv;q=0.2", CSV_TYPE),
        ("TEXT/CSV", CSV_TYPE),
    ],
)
async def test_the_preferred_acceptable_type_wins(
    client: httpx.AsyncClient, alice: Account, accept: str, expected: str
) -> None:
    response = await client.get("/api/activities", headers={**alice.bearer, "Accept": accept})
    assert response.status_code == 200
    assert response.headers["content-type"] == expected


async def test_an_unacceptable_list_type_is_406(client: httpx.AsyncClient, alice: Account) -> None:
    refused = [
        "application/xml",
        "text/html",
        "image/*",
        "application/json;q=0",
        "text/csv;q=0, application/json;q=0",
    ]
    for accept in refused:
        for url in ("/api/activities", "/api/time-entries"):
            response = await client.get(url, headers={**alice.bearer, "Accept": accept})
            body = problem(response, 406)
            assert "application/json" in body["detail"], accept
            assert "text/csv" in body["detail"], accept


async def test_single_objects_and_reports_are_json_only(
    client: httpx.AsyncClient, alice: Account
) -> None:
    activity = await new_activity(client, alice, "Writing")
    entry = await new_entry(client, alice, activity["id"], at(9), at(10))
    urls = [
        f"/api/activities/{activity['id']}",
        f"/api/time-entries/{entry['id']}",
        "/api/reports/summary?from=2026-03-02&to=2026-03-03",
    ]
    for url in urls:
        for accept in ("application/xml", "text/csv"):
            response = await client.get(url, headers={**alice.bearer, "Accept": accept})
            problem(response, 406)


async def test_a_write_refused_for_its_accept_header_changes_nothing(
    client: httpx.AsyncClient, alice: Account
) -> None:
    # The 406 comes before the write: a client told "not acceptable" may safely retry.
    xml = {**alice.bearer, "Accept": "application/xml"}
    activity = await new_activity(client, alice, "Writing")
    url = f"/api/activities/{activity['id']}"
    problem(await client.post("/api/activities", json={"name": "New"}, headers=xml), 406)
    problem(await client.patch(url, json={"name": "Renamed"}, headers=xml), 406)
    problem(await client.put(url, json={"name": "Renamed"}, headers=xml), 406)
    entry_payload = {"activity": activity["id"], "start": at(9), "end": at(10)}
    problem(await client.post("/api/time-entries", json=entry_payload, headers=xml), 406)
    problem(
        await client.post("/api/timer/start", json={"activity": activity["id"]}, headers=xml),
        406,
    )
    running = await new_entry(client, alice, activity["id"], at(11))
    entry_url = f"/api/time-entries/{running['id']}"
    problem(await client.patch(entry_url, json={"note": "x"}, headers=xml), 406)
    problem(await client.post(f"{entry_url}/stop", headers=xml), 406)

    listed = await client.get("/api/activities", headers=alice.bearer)
    assert listed.json()["items"] == [activity]
    assert [e["id"] for e in await entries(client, alice)] == [running["id"]]
    current = await client.get(entry_url, headers=alice.bearer)
    assert current.json()["running"] is True
    assert current.json()["note"] == ""


@pytest.mark.parametrize(
    "text", ['=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)", "\tTab", "\rReturn"]
)
async def test_csv_cells_that_a_spreadsheet_would_run_are_neutralised(
    client: httpx.AsyncClient, alice: Account, text: str
) -> None:
    activity = await new_activity(client, alice, text, description=text)
    await new_entry(client, alice, activity["id"], at(9), at(10), note=text)
    headers = {**alice.bearer, "Accept": "text/csv"}
    activity_row = _rows(await client.get("/api/activities", headers=headers))[1]
    entry_row = _rows(await client.get("/api/time-entries", headers=headers))[1]
    name = text.strip()  # names are trimmed when stored: no tab or CR left to neutralise
    assert activity_row[1] == (name if name[0].isalpha() else "'" + name)
    assert activity_row[2] == "'" + text
    assert entry_row[5] == "'" + text
    # JSON carries the text as it is.
    assert (await client.get("/api/activities", headers=alice.bearer)).json()["items"][0][
        "description"
    ] == text


async def test_harmless_text_is_left_alone_in_csv(
    client: httpx.AsyncClient, alice: Account
) -> None:
    activity = await new_activity(client, alice, "a=b", description="1+1")
    await new_entry(client, alice, activity["id"], at(9), at(10), note="x-y @home")
    headers = {**alice.bearer, "Accept": "text/csv"}
    activity_row = _rows(await client.get("/api/activities", headers=headers))[1]
    entry_row = _rows(await client.get("/api/time-entries", headers=headers))[1]
    assert activity_row[1:3] == ["a=b", "1+1"]
    assert entry_row[5] == "x-y @home"
