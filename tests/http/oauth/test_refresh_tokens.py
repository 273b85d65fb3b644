"""The refresh token grant: rotation, reuse detection (RFC 9700 §4.14.2), the grace period."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from stint.settings import Settings
from tests.conftest import Account, make_client
from tests.support.apps import app_with
from tests.support.flows import tokens
from tests.support.pages import browser
from tests.support.tokens import REDIRECT_URI, bearer, introspect, oauth_error, refresh

pytestmark = pytest.mark.anyio


async def _signed_in_tokens(
    app: Starlette, client: httpx.AsyncClient, *, scope: str = "activities:read profile"
) -> tuple[str, str, dict[str, Any]]:
    client_id, secret = await make_client(app, name="Web", redirect_uris=[REDIRECT_URI])
    assert secret is not None
    async with browser(app) as b:
        body = await tokens(client, b, client_id, secret, "alice", scope=scope)
    return client_id, secret, body


async def _works(client: httpx.AsyncClient, access_token: str) -> bool:
    answer = await client.get("/api/activities", headers=bearer(access_token))
    assert answer.status_code in (200, 401), answer.text
    return answer.status_code == 200


async def test_refreshing_rotates_the_refresh_token(
    app: Starlette, client: httpx.AsyncClient, alice: Account
) -> None:
    client_id, secret, first = await _signed_in_tokens(app, client)

    answer = await refresh(client, client_id, secret, first["refresh_token"])

    assert answer.status_code == 200, answer.text
    assert answer.headers["cache-control"] == "no-store"
    second = answer.json()
    assert second["refresh_token"] != first["refresh_token"]
    assert second["access_token"] != first["access_token"]
    assert second["scope"] == "activities:read profile"
    assert await _works(client, second["access_token"])
    assert await _works(client, first["access_token"])  # rotation alone revokes nothing
    assert (await introspect(client, client_id, secret, first["refresh_token"])).json() == {
        "active": False
    }
    third = await refresh(client, client_id, secret, second["refresh_token"])
    assert third.status_code == 200, third.text


async def test_replaying_a_rotated_refresh_token_revokes_the_family(
    app: Starlette, client: httpx.AsyncClient, alice: Account
) -> None:
    """RFC 9700 §4.14.2, with the default (no grace): a replay at once is a replay."""
    client_id, secret, first = await _signed_in_tokens(app, client)
    rotated = await refresh(client, client_id, secret, first["refresh_token"])
    assert rotated.status_code == 200, rotated.text
    second = rotated.json()

    replayed = await refresh(client, client_id, secret, first["refresh_token"])

    oauth_error(replayed, 400, "invalid_grant")
    # The thief's copy and the rightful holder's newer tokens end together.
    oauth_error(
        await refresh(client, client_id, secret, second["refresh_token"]), 400, "invalid_grant"
    )
    for token in (first["access_token"], second["access_token"]):
        assert not await _works(client, token)
        assert (await introspect(client, client_id, secret, token)).json() == {"active": False}
    assert (await introspect(client, client_id, secret, second["refresh_token"])).json() == {
        "active": False
    }


async def test_within_an_operators_grace_a_replay_gets_the_same_successor(
    settings: Settings, alice: Account
) -> None:
    async with app_with(settings, refresh_grace_seconds=60) as (lenient, client):
        client_id, secret, first = await _signed_in_tokens(lenient, client)
        second = (await refresh(client, client_id, secret, first["refresh_token"])).json()

        again = await refresh(client, client_id, secret, first["refresh_token"])

        assert again.status_code == 200, again.text
        assert again.json()["refresh_token"] == second["refresh_token"]
        assert await _works(client, again.json()["access_token"])
        assert await _works(client, second["access_token"])
        third = await refresh(client, client_id, secret, second["refresh_token"])
        assert third.status_code == 200, third.text
        # Once the successor has moved on, the old token is a replay even within the grace.
        late = await refresh(client, client_id, secret, first["refresh_token"])
        oauth_error(late, 400, "invalid_grant")
        stale = await refresh(client, client_id, secret, third.json()["refresh_token"])
        oauth_error(stale, 400, "invalid_grant")


async def test_a_narrower_scope_narrows_only_the_new_access_token(
    app: Starlette, client: httpx.AsyncClient, alice: Account
) -> None:
    client_id, secret, first = await _signed_in_tokens(app, client)

    answer = await refresh(client, client_id, secret, first["refresh_token"], scope="profile")

    assert answer.status_code == 200, answer.text
    narrow = answer.json()
    assert narrow["scope"] == "profile"
    assert not await _api_allows(client, narrow["access_token"], "/api/activities")
    assert await _api_allows(client, narrow["access_token"], "/api/me")
    # The refresh token keeps the grant's whole scope (RFC 6749 §6).
    full = await refresh(client, client_id, secret, narrow["refresh_token"])
    assert full.json()["scope"] == "activities:read profile"


async def _api_allows(client: httpx.AsyncClient, access_token: str, path: str) -> bool:
    answer = await client.get(path, headers=bearer(access_token))
    assert answer.status_code in (200, 403), answer.text
    return answer.status_code == 200


async def test_a_client_without_the_refresh_grant_gets_no_refresh_token(
    app: Starlette, client: httpx.AsyncClient, alice: Account
) -> None:
    client_id, secret = await make_client(
        app, name="Web", redirect_uris=[REDIRECT_URI], grant_types=["authorization_code"]
    )
    async with browser(app) as b:
        body = await tokens(client, b, client_id, secret, "alice")
    assert "refresh_token" not in body
    assert await _works(client, body["access_token"])
