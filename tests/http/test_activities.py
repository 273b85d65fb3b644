"""/api/activities over HTTP: the success shapes, validation, uniqueness, deletion, limits."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tests.conftest import Account, problem
from tests.http.tracking import at, entries, new_activity, new_entry, parse_time

pytestmark = pytest.mark.anyio

FIELDS = {"id", "name", "description", "colour", "archived", "created_at", "updated_at"}


async def _list(client: httpx.AsyncClient, account: Account) -> list[dict[str, Any]]:
    response = await client.get("/api/activities", params={"limit": 200}, headers=account.bearer)
    assert response.status_code == 200
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def test_create_returns_the_activity_its_location_and_etag(
    client: httpx.AsyncClient, alice: Account
) -> None:
    response = await client.post(
        "/api/activities",
        json={"name": "Writing", "description": "Book", "colour": "#1e90ff"},
        headers=alice.bearer,
    )
    assert response.status_code == 201
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert set(body) == FIELDS
    assert body["name"] == "Writing"
    assert body["description"] == "Book"
    assert body["colour"] == "#1e90ff"
    assert body["archived"] is False
    assert parse_time(body["created_at"]) == parse_time(body["updated_at"])
    assert response.headers["location"] == f"/api/activities/{body['id']}"
    assert response.headers["etag"] == '"v1"'

    read = await client.get(response.headers["location"], headers=alice.bearer)
    assert read.status_code == 200
    assert read.json() == body
    assert read.headers["etag"] == '"v1"'


async def test_create_fills_in_defaults(client: httpx.AsyncClient, alice: Account) -> None:
    body = await new_activity(client, alice, "Reading")
    assert (body["description"], body["colour"], body["archived"]) == ("", None, False)


async def test_create_trims_the_name_and_lowercases_the_colour(
    client: httpx.AsyncClient, alice: Account
) -> None:
    body = await new_activity(client, alice, "  Writing  ", colour="#ABCDEF")
    assert body["name"] == "Writing"
    assert body["colour"] == "#abcdef"


async def test_list_holds_own_activities_in_creation_order(
    client: httpx.AsyncClient, alice: Account
) -> None:
    assert await _list(client, alice) == []
    created = [await new_activity(client, alice, name) for name in ("B", "A", "C")]
    response = await client.get("/api/activities", headers=alice.bearer)
    assert response.status_code == 200
    assert response.json() == {"items": created, "next": None}


async def test_put_replaces_every_field(client: httpx.AsyncClient, alice: Account) -> None:
    activity = await new_activity(client, alice, "Writing", description="Book", colour="#000000")
    url = f"/api/activities/{activity['id']}"
    response = await client.put(
        url, json={"name": "Editing", "archived": True}, headers=alice.bearer
    )
    assert response.status_code == 200
    body = response.json()
    # Fields left out of a PUT take their defaults: it replaces, it does not merge.
    assert body == {
        **activity,
        "name": "Editing",
        "description": "",
        "colour": None,
        "archived": True,
        "updated_at": body["updated_at"],
    }
    assert parse_time(body["updated_at"]) >= parse_time(activity["updated_at"])
    assert response.headers["etag"] == '"v2"'
    assert (await client.get(url, headers=alice.bearer)).json() == body


async def test_patch_changes_only_the_fields_sent(
    client: httpx.AsyncClient, alice: Account
) -> None:
    activity = await new_activity(client, alice, "Writing", description="Book", colour="#000000")
    url = f"/api/activities/{activity['id']}"
    response = await client.patch(url, json={"description": "Novel"}, headers=alice.bearer)
    assert response.status_code == 200
    assert response.headers["etag"] == '"v2"'
    body = response.json()
    assert body == {**activity, "description": "Novel", "updated_at": body["updated_at"]}

    cleared = await client.patch(url, json={"colour": None}, headers=alice.bearer)
    assert cleared.status_code == 200
    assert cleared.json()["colour"] is None  # colour is the one nullable field
    assert cleared.json()["description"] == "Novel"
    assert cleared.headers["etag"] == '"v3"'


async def test_an_empty_patch_keeps_every_field(client: httpx.AsyncClient, alice: Account) -> None:
    activity = await new_activity(client, alice, "Writing", colour="#000000")
    response = await client.patch(
        f"/api/activities/{activity['id']}", json={}, headers=alice.bearer
    )
    assert response.status_code == 200
    assert {k: v for k, v in response.json().items() if k != "updated_at"} == {
        k: v for k, v in activity.items() if k != "updated_at"
    }


async def test_delete_removes_the_activity(client: httpx.AsyncClient, alice: Account) -> None:
    keep = await new_activity(client, alice, "Keep")
    gone = await new_activity(client, alice, "Gone")
    url = f"/api/activities/{gone['id']}"
    response = await client.delete(url, headers=alice.bearer)
    assert response.status_code == 204
    assert response.content == b""
    problem(await client.get(url, headers=alice.bearer), 404)
    problem(await client.delete(url, headers=alice.bearer), 404)
    assert await _list(client, alice) == [keep]


@pytest.mark.parametrize(
    ("payload", "fields"),
    [
        ({}, {"name"}),
        ({"description": "no name"}, {"name"}),
        ({"name": ""}, {"name"}),
        ({"name": "   "}, {"name"}),
        ({"name": "x" * 101}, {"name"}),
        ({"name": None}, {"name"}),
        ({"name": 42}, {"name"}),
        ({"name": ["Writing"]}, {"name"}),
        ({"name": "A", "colour": "blue"}, {"colour"}),
        ({"name": "A", "colour": "#12345"}, {"colour"}),
        ({"name": "A", "colour": "#1234567"}, {"colour"}),
        ({"name": "A", "colour": "#12345g"}, {"colour"}),
        ({"name": "A", "colour": 0x123456}, {"colour"}),
        ({"name": "A", "archived": "yes"}, {"archived"}),
        ({"name": "A", "archived": 1}, {"archived"}),
        ({"name": "A", "archived": None}, {"archived"}),
        ({"name": "A", "description": None}, {"description"}),
        ({"name": "A", "description": 7}, {"description"}),
        ({"name": "A", "description": "d" * 2001}, {"description"}),
        ({"name": "A", "colour_hex": "#123456"}, {"colour_hex"}),
        ({"name": "A", "id": 5}, {"id"}),
        (
            {"name": 5, "colour": "blue", "archived": "yes", "x": 1},
            {"name", "colour", "archived", "x"},
        ),
    ],
)
async def test_create_names_each_bad_field(
    client: httpx.AsyncClient, alice: Account, payload: dict[str, object], fields: set[str]
) -> None:
    body = problem(await client.post("/api/activities", json=payload, headers=alice.bearer), 400)
    assert body["type"] == "/api/problems/validation-error"
    assert {e["field"] for e in body["errors"]} == fields
    assert all(e["message"] for e in body["errors"])
    assert await _list(client, alice) == []


async def test_names_and_descriptions_may_not_hold_nul(
    client: httpx.AsyncClient, alice: Account
) -> None:
    # PostgreSQL text cannot store U+0000: it must be a 400 on both databases, never a 500.
    for payload, field in (
        ({"name": "a\u0000b"}, "name"),
        ({"name": "A", "description": "a\u0000b"}, "description"),
    ):
        response = await client.post("/api/activities", json=payload, headers=alice.bearer)
        assert [e["field"] for e in problem(response, 400)["errors"]] == [field]
    assert await _list(client, alice) == []


@pytest.mark.parametrize(
    "content",
    [b'{"name": ', b"[]", b'"Writing"', b"null", b"", b"\xff\xfe", b'{"name": "\\ud800"}'],
)
async def test_create_refuses_a_body_that_is_no_json_object(
    client: httpx.AsyncClient, alice: Account, content: bytes
) -> None:
    headers = {**alice.bearer, "Content-Type": "application/json"}
    response = await client.post("/api/activities", content=content, headers=headers)
    assert problem(response, 400)["errors"]


async def test_put_validates_like_create(client: httpx.AsyncClient, alice: Account) -> None:
    activity = await new_activity(client, alice, "Writing")
    url = f"/api/activities/{activity['id']}"
    response = await client.put(url, json={"colour": "red"}, headers=alice.bearer)
    assert {e["field"] for e in problem(response, 400)["errors"]} == {"name", "colour"}
    assert (await client.get(url, headers=alice.bearer)).json() == activity


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"name": None}, "name"),
        ({"description": None}, "description"),
        ({"archived": None}, "archived"),
        ({"name": ""}, "name"),
        ({"name": "  "}, "name"),
        ({"colour": "teal"}, "colour"),
        ({"archived": "true"}, "archived"),
        ({"nickname": "W"}, "nickname"),
    ],
)
async def test_patch_names_the_bad_field_and_changes_nothing(
    client: httpx.AsyncClient, alice: Account, payload: dict[str, object], field: str
) -> None:
    activity = await new_activity(client, alice, "Writing", description="Book")
    url = f"/api/activities/{activity['id']}"
    body = problem(await client.patch(url, json=payload, headers=alice.bearer), 400)
    assert [e["field"] for e in body["errors"]] == [field]
    after = await client.get(url, headers=alice.bearer)
    assert after.json() == activity
    assert after.headers["etag"] == '"v1"'


@pytest.mark.parametrize("duplicate", ["Writing", "writing", "WRITING", " wRiTiNg "])
async def test_names_are_unique_per_user_without_regard_to_case(
    client: httpx.AsyncClient, alice: Account, duplicate: str
) -> None:
    await new_activity(client, alice, "Writing")
    response = await client.post("/api/activities", json={"name": duplicate}, headers=alice.bearer)
    body = problem(response, 409)
    assert body["type"] == "/api/problems/name-taken"
    assert [a["name"] for a in await _list(client, alice)] == ["Writing"]


async def test_renaming_onto_a_taken_name_is_a_conflict(
    client: httpx.AsyncClient, alice: Account
) -> None:
    await new_activity(client, alice, "Writing")
    other = await new_activity(client, alice, "Reading")
    url = f"/api/activities/{other['id']}"
    problem(await client.patch(url, json={"name": "writing"}, headers=alice.bearer), 409)
    problem(await client.put(url, json={"name": "WRITING"}, headers=alice.bearer), 409)
    assert (await client.get(url, headers=alice.bearer)).json() == other


async def test_an_activity_may_change_the_case_of_its_own_name(
    client: httpx.AsyncClient, alice: Account
) -> None:
    activity = await new_activity(client, alice, "writing")
    url = f"/api/activities/{activity['id']}"
    response = await client.patch(url, json={"name": "Writing"}, headers=alice.bearer)
    assert response.status_code == 200
    assert response.json()["name"] == "Writing"


async def test_the_same_name_is_free_for_another_user(
    client: httpx.AsyncClient, alice: Account, bob: Account
) -> None:
    await new_activity(client, alice, "Writing")
    assert (await new_activity(client, bob, "writing"))["name"] == "writing"


async def test_deleting_an_activity_with_entries_needs_cascade(
    client: httpx.AsyncClient, alice: Account
) -> None:
    writing = await new_activity(client, alice, "Writing")
    reading = await new_activity(client, alice, "Reading")
    first = await new_entry(client, alice, writing["id"], at(9), at(10))
    second = await new_entry(client, alice, writing["id"], at(11), at(12))
    other = await new_entry(client, alice, reading["id"], at(13), at(14))
    url = f"/api/activities/{writing['id']}"

    for refused in (url, f"{url}?cascade=false", f"{url}?cascade=no"):
        body = problem(await client.delete(refused, headers=alice.bearer), 409)
        assert body["type"] == "/api/problems/activity-has-entries"
        assert body["entry_count"] == 2
    assert (await client.get(url, headers=alice.bearer)).status_code == 200
    assert len(await entries(client, alice)) == 3

    response = await client.delete(f"{url}?cascade=true", headers=alice.bearer)
    assert response.status_code == 204
    problem(await client.get(url, headers=alice.bearer), 404)
    for entry in (first, second):
        gone = await client.get(f"/api/time-entries/{entry['id']}", headers=alice.bearer)
        problem(gone, 404)
    # Only that activity's entries go.
    assert await entries(client, alice) == [other]
    assert [a["id"] for a in await _list(client, alice)] == [reading["id"]]


async def test_an_activity_without_entries_needs_no_cascade(
    client: httpx.AsyncClient, alice: Account
) -> None:
    activity = await new_activity(client, alice, "Writing")
    entry = await new_entry(client, alice, activity["id"], at(9), at(10))
    delete_entry = await client.delete(f"/api/time-entries/{entry['id']}", headers=alice.bearer)
    assert delete_entry.status_code == 204
    response = await client.delete(f"/api/activities/{activity['id']}", headers=alice.bearer)
    assert response.status_code == 204


@pytest.fixture
async def missing_ids(client: httpx.AsyncClient, alice: Account) -> AsyncIterator[list[str]]:
    """Ids that name no activity of alice's: unused, at the 32-bit edge and beyond it."""
    activity = await new_activity(client, alice, "Writing")
    yield [
        str(activity["id"] + 1000),
        "0",
        str(2**31 - 1),
        str(2**31),
        str(2**63),
        "9" * 40,
        "9" * 5000,  # past the digits Python's int() accepts by default
    ]
    assert (await _list(client, alice)) == [activity]


@pytest.mark.parametrize("method", ["GET", "PUT", "PATCH", "DELETE"])
async def test_unknown_ids_are_not_found(
    client: httpx.AsyncClient, alice: Account, missing_ids: list[str], method: str
) -> None:
    for missing in missing_ids:
        response = await client.request(
            method, f"/api/activities/{missing}", json={"name": "X"}, headers=alice.bearer
        )
        assert problem(response, 404)["title"] == "Not Found"


async def test_non_numeric_ids_are_not_found(client: httpx.AsyncClient, alice: Account) -> None:
    for path in ("/api/activities/abc", "/api/activities/-1", "/api/activities/1.5"):
        problem(await client.get(path, headers=alice.bearer), 404)


@pytest.mark.parametrize(
    "content_type", [None, "text/plain", "application/x-www-form-urlencoded", "application/xml"]
)
async def test_bodies_must_be_json(
    client: httpx.AsyncClient, alice: Account, content_type: str | None
) -> None:
    activity = await new_activity(client, alice, "Writing")
    headers = dict(alice.bearer)
    if content_type:
        headers["Content-Type"] = content_type
    content = b'{"name": "Reading"}'
    url = f"/api/activities/{activity['id']}"
    for method, target in (("POST", "/api/activities"), ("PUT", url), ("PATCH", url)):
        response = await client.request(method, target, content=content, headers=headers)
        problem(response, 415)
    assert await _list(client, alice) == [activity]


async def test_json_with_a_charset_parameter_is_json(
    client: httpx.AsyncClient, alice: Account
) -> None:
    headers = {**alice.bearer, "Content-Type": "Application/JSON; charset=utf-8"}
    response = await client.post("/api/activities", content=b'{"name": "W"}', headers=headers)
    assert response.status_code == 201


async def test_a_body_over_the_limit_is_refused(client: httpx.AsyncClient, alice: Account) -> None:
    # The settings fixture limits bodies to 4096 bytes.
    big = {"name": "Big", "description": "d" * 5000}
    problem(await client.post("/api/activities", json=big, headers=alice.bearer), 413)
    activity = await new_activity(client, alice, "Writing")
    url = f"/api/activities/{activity['id']}"
    problem(await client.put(url, json=big, headers=alice.bearer), 413)
    problem(await client.patch(url, json=big, headers=alice.bearer), 413)
    assert await _list(client, alice) == [activity]


async def test_a_streamed_body_over_the_limit_is_refused(
    client: httpx.AsyncClient, alice: Account
) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"name": "Big", "description": "'
        for _ in range(10):
            yield b"d" * 1000
        yield b'"}'

    headers = {**alice.bearer, "Content-Type": "application/json"}
    response = await client.post("/api/activities", content=chunks(), headers=headers)
    assert "content-length" not in response.request.headers  # sent chunked: no size up front
    problem(response, 413)
    assert await _list(client, alice) == []


async def test_a_body_just_under_the_limit_is_accepted(
    client: httpx.AsyncClient, alice: Account
) -> None:
    description = "d" * 2000
    response = await client.post(
        "/api/activities", json={"name": "Fits", "description": description}, headers=alice.bearer
    )
    assert response.status_code == 201


async def test_activities_need_authentication(client: httpx.AsyncClient, alice: Account) -> None:
    activity = await new_activity(client, alice, "Writing")
    url = f"/api/activities/{activity['id']}"
    for method, target in (("GET", "/api/activities"), ("GET", url), ("DELETE", url)):
        response = await client.request(method, target)
        problem(response, 401)
        assert "www-authenticate" in response.headers
    bad_token = {"Authorization": "Bearer not-a-token"}
    problem(await client.get("/api/activities", headers=bad_token), 401)
    assert await _list(client, alice) == [activity]


async def test_basic_authentication_reaches_activities_too(
    client: httpx.AsyncClient, alice: Account
) -> None:
    activity = await new_activity(client, alice, "Writing")
    response = await client.get("/api/activities", headers=alice.basic)
    assert response.json()["items"] == [activity]


async def test_deleting_an_activity_while_entries_are_added_loses_none(
    client: httpx.AsyncClient, alice: Account
) -> None:
    # On PostgreSQL these race through the pool: an entry answered 201 must survive a delete
    # without cascade, and one that comes too late is a 400 naming its activity, never a 500.
    for round_ in range(5):
        activity = await new_activity(client, alice, f"Activity {round_}")
        url = f"/api/activities/{activity['id']}"
        payload = {"activity": activity["id"], "start": at(9), "end": at(10)}
        creates = [
            client.post("/api/time-entries", json=payload, headers=alice.bearer) for _ in range(6)
        ]
        deleting = client.delete(url, headers=alice.bearer)
        responses = await asyncio.gather(*creates[:3], deleting, *creates[3:])
        deleted = responses.pop(3)
        created = responses
        added = [r.json()["id"] for r in created if r.status_code == 201]
        for response in created:
            if response.status_code != 201:
                errors = problem(response, 400)["errors"]
                assert [e["field"] for e in errors] == ["activity"]
        if deleted.status_code == 204:
            assert added == []
        else:
            # Those it counted were all answered 201 (more may follow once it has answered).
            assert 0 < problem(deleted, 409)["entry_count"] <= len(added)
        for entry_id in added:
            kept = await client.get(f"/api/time-entries/{entry_id}", headers=alice.bearer)
            assert kept.status_code == 200
