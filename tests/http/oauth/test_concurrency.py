"""Races at the token endpoint and the consent page, on SQLite and PostgreSQL: never a 500.

The store's conditional UPDATE is the arbiter. SQLite serialises the writers, PostgreSQL runs them
side by side on separate connections; either way exactly one request may win.
"""

from __future__ import annotations

import asyncio
from collections import Counter

import httpx
import pytest
from starlette.applications import Starlette

from tests.conftest import Account, make_client
from tests.http.oauth.flow import (
    REDIRECT_URI,
    authorize_query,
    bearer,
    browser,
    decide,
    get_code,
    new_pkce,
    open_authorize,
    redeem,
    redirected_to,
    refresh,
    tokens,
)

pytestmark = pytest.mark.anyio


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


async def test_a_refresh_token_used_10_times_at_once_rotates_exactly_once(
    backend: str, app: Starlette, client: httpx.AsyncClient, alice: Account
) -> None:
    client_id, secret = await make_client(app, name="Web", redirect_uris=[REDIRECT_URI])
    async with browser(app) as b:
        first = await tokens(client, b, client_id, secret, "alice")

    answers = await asyncio.gather(
        *(refresh(client, client_id, secret, first["refresh_token"]) for _ in range(10))
    )

    assert _outcomes(list(answers)) == Counter({"ok": 1, "invalid_grant": 9})
    # The losers came within the grace period: a race, not a replay, so the family lives on.
    winner = next(a.json() for a in answers if a.status_code == 200)
    api = await client.get("/api/activities", headers=bearer(winner["access_token"]))
    assert api.status_code == 200
    assert (await refresh(client, client_id, secret, winner["refresh_token"])).status_code == 200


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
