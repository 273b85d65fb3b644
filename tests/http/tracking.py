"""Helpers shared by the time-tracking HTTP tests: create activities and entries, read times."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx

from tests.conftest import Account

__all__ = ["MONDAY", "at", "entries", "new_activity", "new_entry", "parse_time"]

# Monday 2 March 2026, 09:00 UTC: a fixed week to lay entries out in.
MONDAY = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def at(hour: int, minute: int = 0, *, day: int = 2) -> str:
    """An ISO 8601 UTC time on March ``day`` 2026."""
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC).isoformat()


def parse_time(value: str) -> datetime:
    moment = datetime.fromisoformat(value)
    assert moment.utcoffset() is not None, f"{value} carries no offset"
    return moment


async def new_activity(
    client: httpx.AsyncClient, account: Account, name: str = "Writing", **fields: Any
) -> dict[str, Any]:
    response = await client.post(
        "/api/activities", json={"name": name, **fields}, headers=account.bearer
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def new_entry(
    client: httpx.AsyncClient,
    account: Account,
    activity: int,
    start: str,
    end: str | None = None,
    note: str = "",
) -> dict[str, Any]:
    payload = {"activity": activity, "start": start, "end": end, "note": note}
    response = await client.post("/api/time-entries", json=payload, headers=account.bearer)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def entries(
    client: httpx.AsyncClient, account: Account, **params: str | int
) -> list[dict[str, Any]]:
    """One page (up to 200) of the account's time entries."""
    response = await client.get(
        "/api/time-entries", params={"limit": 200, **params}, headers=account.bearer
    )
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items
