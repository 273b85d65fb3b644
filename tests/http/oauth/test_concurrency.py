"""Races at the token endpoint and the consent page, on SQLite and PostgreSQL: never a 500.

The store's conditional UPDATE is the arbiter. SQLite serialises the writers, PostgreSQL runs them
side by side on separate connections; either way exactly one request may win.
"""

from __future__ import annotations

import asyncio
from collections import Counter

import httpx
import pytest
from sqlalchemy import func, select
from starlette.applications import Starlette

from stint.settings import Settings
from stint.storage.tables import refresh_tokens
from tests.conftest import Account, make_client
from tests.support.apps import app_with
from tests.support.flows import (
    authorize_query,
    decide,
    get_code,
    open_authorize,
    redirected_to,
    tokens,
)
from tests.support.pages import browser
from tests.support.pkce import new_pkce
from tests.support.tokens import REDIRECT_URI, bearer, redeem, refresh

pytestmark = [pytest.mark.anyio, pytest.mark.both_databases]


def _outcomes(answers: list[httpx.Response]) -> Counter[str]:
    """How many requests won (200) and how many lost, by error code."""
    counts: Counter[str] = Counter()
    for answer in answers:
        assert answer.status_code in (200, 400), answer.text
        counts["ok" if answer.status_code == 200 else answer.json()["error"]] += 1
    return counts


async def test_a_code_redeemed_20_times_at_once_is_redeemed_exactly_once(
    backend: str, app: Starlette, client: httpx.AsyncClient, alice: Account
) -> None:
    client_id, secret = await make_client(app, name="Web", redirect_uris=[REDIRECT_URI])
    pkce = new_pkce()
    async with browser(app) as b:
        code = await get_code(b, client_id, "alice", pkce=pkce)

    answers = await asyncio.gather(
        *(redeem(client, client_id, secret, code, verifier=pkce.verifier) for _ in range(20))
    )

    assert _outcomes(list(answers)) == Counter({"ok": 1, "invalid_grant": 19})


async def test_a_refresh_token_used_10_times_at_once_rotates_once_and_the_replays_end_it(
    backend: str, app: Starlette, client: httpx.AsyncClient, alice: Account
) -> None:
    """With no grace (the default), the losers are replays: RFC 9700 §4.14.2 ends the family."""
    client_id, secret = await make_client(app, name="Web", redirect_uris=[REDIRECT_URI])
    async with browser(app) as b:
        first = await tokens(client, b, client_id, secret, "alice")

    answers = await asyncio.gather(
        *(refresh(client, client_id, secret, first["refresh_token"]) for _ in range(10))
    )

    assert _outcomes(list(answers)) == Counter({"ok": 1, "invalid_grant": 9})
    winner = next(a.json() for a in answers if a.status_code == 200)
    api = await client.get("/api/activities", headers=bearer(winner["access_token"]))
    assert api.status_code == 401
    assert (await refresh(client, client_id, secret, winner["refresh_token"])).status_code == 400


@pytest.mark.parametrize("rotated_first", [False, True], ids=["racing", "replayed"])
async def test_within_a_grace_10_refreshes_at_once_all_get_the_one_successor(
    backend: str, settings: Settings, alice: Account, rotated_first: bool
) -> None:
    """Racing the rotation itself, or replaying a rotated token side by side: one successor."""
    async with app_with(settings, refresh_grace_seconds=60) as (app, client):
        client_id, secret = await make_client(app, name="Web", redirect_uris=[REDIRECT_URI])
        async with browser(app) as b:
            first = await tokens(client, b, client_id, secret, "alice")
        value = first["refresh_token"]
        successor = None
        if rotated_first:
            successor = (await refresh(client, client_id, secret, value)).json()["refresh_token"]

        answers = await asyncio.gather(
            *(refresh(client, client_id, secret, value) for _ in range(10))
        )

        assert _outcomes(list(answers)) == Counter({"ok": 10})
        successors = {a.json()["refresh_token"] for a in answers}
        assert len(successors) == 1
        assert successor in (None, *successors)
        runtime = app.state.runtime
        grant_id = (await runtime.oauth.refresh_tokens.get(runtime.hasher.hash(value))).grant_id
        count = select(func.count()).where(refresh_tokens.c.grant_id == grant_id)
        assert (await runtime.db.fetch_one(count, {}))[0] == 2  # the first token and its successor
        for answer in answers:
            api = await client.get("/api/activities", headers=bearer(answer.json()["access_token"]))
            assert api.status_code == 200
        assert (await refresh(client, client_id, secret, successors.pop())).status_code == 200


async def test_concurrent_redemptions_of_different_codes_all_succeed(
    backend: str, app: Starlette, client: httpx.AsyncClient, alice: Account
) -> None:
    """The arbiter is per code: parallel work on different codes does not interfere."""
    client_id, secret = await make_client(app, name="Web", redirect_uris=[REDIRECT_URI])
    pairs = []
    async with browser(app) as b:
        for _ in range(8):
            pkce = new_pkce()
            pairs.append((await get_code(b, client_id, "alice", pkce=pkce), pkce))

    answers = await asyncio.gather(
        *(redeem(client, client_id, secret, code, verifier=p.verifier) for code, p in pairs)
    )

    assert _outcomes(list(answers)) == Counter({"ok": 8})


async def test_eight_approvals_of_one_consent_at_once_each_get_a_code(
    app: Starlette, alice: Account
) -> None:
    # A double click, or two tabs: before, delete-then-insert of the consent raced into a
    # unique violation on PostgreSQL (3 to 5 of 8 approvals answered 500).
    client_id, _ = await make_client(app, name="App", redirect_uris=[REDIRECT_URI])
    pkce = new_pkce()
    url = authorize_query(client_id, pkce=pkce)
    async with browser(app) as tab:
        consent_page = await open_authorize(tab, url, alice.username)
        answers = await asyncio.gather(*(decide(tab, consent_page) for _ in range(8)))
    for answer in answers:
        assert "code" in redirected_to(answer), answer.headers.get("location")
    granted = await app.state.runtime.oauth.consents.granted(alice.id, client_id)
    assert granted.scopes == {"activities:read"}
