"""ETags, If-None-Match (304) and If-Match (412): no stale write overwrites a newer one unseen."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from tests.conftest import Account, problem
from tests.http.tracking import at, entries, new_activity, new_entry

pytestmark = pytest.mark.anyio


async def _read(client: httpx.AsyncClient, account: Account, url: str) -> httpx.Response:
    response = await client.get(url, headers=account.bearer)
    assert response.status_code == 200
    return response


# If-None-Match


@pytest.mark.parametrize("kind", ["activity", "entry"])
async def test_a_current_copy_is_not_sent_again(
    client: httpx.AsyncClient, alice: Account, kind: str
) -> None:
    activity = await new_activity(client, alice, "Writing")
    url = f"/api/activities/{activity['id']}"
    if kind == "entry":
        entry = await new_entry(client, alice, activity["id"], at(9), at(10))
        url = f"/api/time-entries/{entry['id']}"
    etag = (await _read(client, alice, url)).headers["etag"]
    assert etag == '"v1"'

    for header in (etag, f"W/{etag}", f'"v7", {etag}', "*"):
        response = await client.get(url, headers={**alice.bearer, "If-None-Match": header})
        assert response.status_code == 304, header
        assert response.content == b""
        assert response.headers["etag"] == etag

    other = await client.get(url, headers={**alice.bearer, "If-None-Match": '"v2"'})
    assert other.status_code == 200
    assert other.json()["id"]


async def test_a_changed_object_is_sent_again_with_its_new_etag(
    client: httpx.AsyncClient, alice: Account
) -> None:
    activity = await new_activity(client, alice, "Writing")
    url = f"/api/activities/{activity['id']}"
    old = (await _read(client, alice, url)).headers["etag"]
    await client.patch(url, json={"description": "changed"}, headers=alice.bearer)
    response = await client.get(url, headers={**alice.bearer, "If-None-Match": old})
    assert response.status_code == 200
    assert response.json()["description"] == "changed"
    assert response.headers["etag"] == '"v2"' != old


async def test_lists_carry_a_weak_etag_that_changes_with_the_list(
    client: httpx.AsyncClient, alice: Account
) -> None:
    activity = await new_activity(client, alice, "Writing")
    entry = await new_entry(client, alice, activity["id"], at(9), at(10))
    changes = {
        "/api/activities": (f"/api/activities/{activity['id']}", {"name": "Editing"}),
        "/api/time-entries": (f"/api/time-entries/{entry['id']}", {"note": "changed"}),
    }
    for url, (item, change) in changes.items():
        etag = (await _read(client, alice, url)).headers["etag"]
        assert etag.startswith('W/"')
        same = await client.get(url, headers={**alice.bearer, "If-None-Match": etag})
        assert same.status_code == 304
        assert same.content == b""
        assert same.headers["etag"] == etag

        assert (await client.patch(item, json=change, headers=alice.bearer)).status_code == 200
        changed = await client.get(url, headers={**alice.bearer, "If-None-Match": etag})
        assert changed.status_code == 200
        assert changed.headers["etag"] != etag
        assert changed.json()["items"][0][next(iter(change))] == next(iter(change.values()))


# If-Match


@pytest.fixture
async def objects(client: httpx.AsyncClient, alice: Account) -> dict[str, Any]:
    activity = await new_activity(client, alice, "Writing", description="v1 text")
    entry = await new_entry(client, alice, activity["id"], at(9), at(10), note="v1 note")
    empty = await new_activity(client, alice, "Empty")
    running = await new_entry(client, alice, activity["id"], at(11))
    return {"activity": activity, "entry": entry, "empty": empty, "running": running}


def _writes(objects: dict[str, Any]) -> dict[str, tuple[str, str, dict[str, Any] | None]]:
    """Each conditional write: method, URL and body."""
    activity = f"/api/activities/{objects['activity']['id']}"
    empty = f"/api/activities/{objects['empty']['id']}"
    entry = f"/api/time-entries/{objects['entry']['id']}"
    running = f"/api/time-entries/{objects['running']['id']}"
    entry_body = {"activity": objects["activity"]["id"], "start": at(8), "end": at(9)}
    return {
        "put activity": ("PUT", activity, {"name": "Replaced"}),
        "patch activity": ("PATCH", activity, {"description": "patched"}),
        "delete activity": ("DELETE", empty, None),
        "cascade delete activity": ("DELETE", f"{activity}?cascade=true", None),
        "put entry": ("PUT", entry, entry_body),
        "patch entry": ("PATCH", entry, {"note": "patched"}),
        "delete entry": ("DELETE", entry, None),
        "stop entry": ("POST", f"{running}/stop", None),
    }


WRITES = [
    "put activity",
    "patch activity",
    "delete activity",
    "cascade delete activity",
    "put entry",
    "patch entry",
    "delete entry",
    "stop entry",
]


def _target(objects: dict[str, Any], write: str) -> str:
    """The URL of the object a write changes."""
    _, url, _ = _writes(objects)[write]
    return url.removesuffix("/stop").split("?")[0]


def _stable(body: dict[str, Any]) -> dict[str, Any]:
    """A body without a running entry's duration, which grows between two reads."""
    return {k: v for k, v in body.items() if k != "duration_seconds"}


async def _state(client: httpx.AsyncClient, account: Account) -> list[Any]:
    """Everything alice has, but the running entry's growing duration."""
    activities = await client.get("/api/activities", headers=account.bearer)
    listed = [_stable(e) for e in await entries(client, account)]
    return [activities.json()["items"], listed]


@pytest.mark.parametrize("write", WRITES)
@pytest.mark.parametrize("if_match", ["current", '"v9", current', 'current , W/"v2"', "*"])
async def test_if_match_naming_the_current_etag_succeeds(
    client: httpx.AsyncClient, alice: Account, objects: dict[str, Any], write: str, if_match: str
) -> None:
    method, url, body = _writes(objects)[write]
    etag = (await _read(client, alice, _target(objects, write))).headers["etag"]
    headers = {**alice.bearer, "If-Match": if_match.replace("current", etag)}
    response = await client.request(method, url, json=body, headers=headers)
    after = await client.get(_target(objects, write), headers=alice.bearer)
    if method == "DELETE":
        assert response.status_code == 204
        problem(after, 404)
    else:
        assert response.status_code == 200, response.text
        assert response.headers["etag"] == after.headers["etag"] == '"v2"'
        assert _stable(response.json()) == _stable(after.json())


@pytest.mark.parametrize("write", WRITES)
async def test_if_match_with_another_etag_fails_and_changes_nothing(
    client: httpx.AsyncClient, alice: Account, objects: dict[str, Any], write: str
) -> None:
    method, url, body = _writes(objects)[write]
    before = await _state(client, alice)
    # A weak tag never matches (If-Match compares strongly); nor does anything malformed.
    for if_match in ('"v0"', '"v2"', '"v2", "v3"', 'W/"v1"', "v1", '"v1" junk'):
        headers = {**alice.bearer, "If-Match": if_match}
        response = await client.request(method, url, json=body, headers=headers)
        assert problem(response, 412)["type"] == "/api/problems/stale-version", if_match
        assert await _state(client, alice) == before


@pytest.mark.parametrize("write", WRITES)
async def test_if_match_with_a_unicode_digit_or_a_huge_number_is_412_not_a_crash(
    client: httpx.AsyncClient, alice: Account, objects: dict[str, Any], write: str
) -> None:
    method, url, body = _writes(objects)[write]
    before = await _state(client, alice)
    # "²" passes str.isdigit() but not int(); Python refuses int() of 4,301 digits; a version
    # past 32 bits cannot even be bound on PostgreSQL. None names a version we sent.
    for if_match in (b'"v\xb2"', b'"v' + b"1" * 4301 + b'"', b'"v99999999999"', b'"v\xb21"'):
        token = alice.bearer["Authorization"].encode()
        headers = {b"authorization": token, b"if-match": if_match}
        response = await client.request(method, url, json=body, headers=headers)
        assert problem(response, 412)["type"] == "/api/problems/stale-version", if_match[:10]
        assert await _state(client, alice) == before


async def test_two_devices_editing_the_same_activity(
    client: httpx.AsyncClient, alice: Account
) -> None:
    activity = await new_activity(client, alice, "Writing", description="original")
    url = f"/api/activities/{activity['id']}"
    laptop = (await _read(client, alice, url)).headers["etag"]
    phone = (await _read(client, alice, url)).headers["etag"]

    saved = await client.patch(
        url, json={"description": "from laptop"}, headers={**alice.bearer, "If-Match": laptop}
    )
    assert saved.status_code == 200
    # The phone's edit rests on the old version: refused, not silently applied over the laptop's.
    stale = await client.put(
        url,
        json={"name": "Writing", "description": "from phone"},
        headers={**alice.bearer, "If-Match": phone},
    )
    problem(stale, 412)
    current = await _read(client, alice, url)
    assert current.json()["description"] == "from laptop"

    # The phone fetches the new version and tries again: now it applies.
    retried = await client.put(
        url,
        json={"name": "Writing", "description": "from phone, merged"},
        headers={**alice.bearer, "If-Match": current.headers["etag"]},
    )
    assert retried.status_code == 200
    assert retried.json()["description"] == "from phone, merged"
    assert retried.headers["etag"] == '"v3"'


async def test_two_devices_editing_the_same_entry(
    client: httpx.AsyncClient, alice: Account
) -> None:
    activity = await new_activity(client, alice, "Writing")
    entry = await new_entry(client, alice, activity["id"], at(9), at(10), note="original")
    url = f"/api/time-entries/{entry['id']}"
    etag = (await _read(client, alice, url)).headers["etag"]

    first = await client.patch(
        url, json={"end": at(11)}, headers={**alice.bearer, "If-Match": etag}
    )
    assert first.status_code == 200
    second = await client.patch(
        url, json={"note": "phone"}, headers={**alice.bearer, "If-Match": etag}
    )
    problem(second, 412)
    deleted = await client.delete(url, headers={**alice.bearer, "If-Match": etag})
    problem(deleted, 412)
    after = (await _read(client, alice, url)).json()
    assert (after["end"], after["note"]) == (at(11), "original")


async def test_a_stale_stop_leaves_the_timer_running(
    client: httpx.AsyncClient, alice: Account
) -> None:
    activity = await new_activity(client, alice, "Writing")
    running = await new_entry(client, alice, activity["id"], at(9))
    url = f"/api/time-entries/{running['id']}"
    etag = (await _read(client, alice, url)).headers["etag"]
    await client.patch(url, json={"note": "renamed"}, headers=alice.bearer)
    problem(await client.post(f"{url}/stop", headers={**alice.bearer, "If-Match": etag}), 412)
    assert (await _read(client, alice, url)).json()["running"] is True


async def test_writes_without_if_match_are_unconditional(
    client: httpx.AsyncClient, alice: Account
) -> None:
    activity = await new_activity(client, alice, "Writing")
    url = f"/api/activities/{activity['id']}"
    for n in range(3):
        response = await client.patch(url, json={"description": str(n)}, headers=alice.bearer)
        assert response.status_code == 200
        assert response.headers["etag"] == f'"v{n + 2}"'


async def test_each_write_changes_the_etag(client: httpx.AsyncClient, alice: Account) -> None:
    activity = await new_activity(client, alice, "Writing")
    entry = await new_entry(client, alice, activity["id"], at(9))
    url = f"/api/time-entries/{entry['id']}"
    tags = [(await _read(client, alice, url)).headers["etag"]]
    tags.append((await client.patch(url, json={"note": "x"}, headers=alice.bearer)).headers["etag"])
    tags.append((await client.post(f"{url}/stop", headers=alice.bearer)).headers["etag"])
    tags.append((await _read(client, alice, url)).headers["etag"])
    assert tags == ['"v1"', '"v2"', '"v3"', '"v3"']


@pytest.mark.parametrize("write", WRITES)
async def test_if_none_match_any_never_lets_a_write_through(
    client: httpx.AsyncClient, alice: Account, objects: dict[str, Any], write: str
) -> None:
    # "Only if it does not exist yet": every object a write can name exists, so nothing changes.
    method, url, body = _writes(objects)[write]
    before = await _state(client, alice)
    headers = {**alice.bearer, "If-None-Match": "*"}
    response = await client.request(method, url, json=body, headers=headers)
    problem(response, 412)
    assert await _state(client, alice) == before


async def test_a_write_is_never_answered_not_modified(
    client: httpx.AsyncClient, alice: Account
) -> None:
    activity = await new_activity(client, alice, "Writing")
    url = f"/api/activities/{activity['id']}"
    previous = activity["description"]
    for n, if_none_match in enumerate(('"v1"', '"v2"', 'W/"v3"')):
        headers = {**alice.bearer, "If-None-Match": if_none_match}
        response = await client.patch(url, json={"description": str(n)}, headers=headers)
        assert response.status_code != 304
        current = (await _read(client, alice, url)).json()
        if response.status_code == 200:  # done, and the response says what was done
            assert response.json() == current
            assert current["description"] == str(n)
        else:  # or refused, and nothing changed
            problem(response, 412)
            assert current["description"] == previous
        previous = current["description"]


async def test_concurrent_writes_without_if_match_all_apply(
    client: httpx.AsyncClient, alice: Account
) -> None:
    # No If-Match, no precondition to fail: a write that loses a race is not answered 412.
    activity = await new_activity(client, alice, "Writing")
    url = f"/api/activities/{activity['id']}"
    patches = [
        client.patch(url, json={"description": str(n)}, headers=alice.bearer) for n in range(10)
    ]
    responses = await asyncio.gather(*patches)
    assert [r.status_code for r in responses] == [200] * 10
    assert sorted(r.headers["etag"] for r in responses) == sorted(f'"v{n}"' for n in range(2, 12))
    current = await _read(client, alice, url)
    assert current.headers["etag"] == '"v11"'
    assert current.json()["description"] in {str(n) for n in range(10)}
