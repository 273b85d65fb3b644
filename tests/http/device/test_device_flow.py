"""The device flow end to end (RFC 8628): a device asks for codes, a person approves or denies on
/device, the device polls the token endpoint for its answer."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from stint.protocol.device import DEVICE_CODE_GRANT
from tests.conftest import Account, make_client
from tests.oidc.support import verify_id_token
from tests.support.clock import Clock
from tests.support.device import answer, device_client, enter_code, poll, start, use_clock
from tests.support.pages import browser, csrf_of, sign_in, text_of
from tests.support.tokens import bearer, oauth_error, refresh

pytestmark = pytest.mark.anyio


async def _started(
    client: httpx.AsyncClient, client_id: str, scope: str = "openid activities:read"
) -> dict[str, Any]:
    answered = await start(client, client_id, scope=scope)
    assert answered.status_code == 200, answered.text
    body: dict[str, Any] = answered.json()
    return body


async def _approve(app: Starlette, username: str, user_code: str) -> httpx.Response:
    async with browser(app) as person:
        await sign_in(person, username)
        return await answer(person, await enter_code(person, user_code))


async def _deny(app: Starlette, username: str, user_code: str) -> httpx.Response:
    async with browser(app) as person:
        await sign_in(person, username)
        return await answer(person, await enter_code(person, user_code), "deny")


async def test_approved_on_device_page_the_device_gets_tokens_and_an_id_token(
    app: Starlette, client: httpx.AsyncClient, alice: Account
) -> None:
    clock = Clock(datetime.now(UTC))
    use_clock(app, clock)
    client_id = await device_client(app)
    codes = await _started(client, client_id)
    pending = await poll(client, client_id, codes["device_code"])
    done = await _approve(app, "alice", codes["user_code"])
    clock.advance(codes["interval"])
    tokens = await poll(client, client_id, codes["device_code"])

    oauth_error(pending, 400, "authorization_pending")
    assert done.status_code == 200, done.text
    assert "Living-room TV is connected" in text_of(done)
    assert tokens.status_code == 200, tokens.text
    assert tokens.headers["cache-control"] == "no-store"
    body = tokens.json()
    assert body["token_type"] == "Bearer"
    assert set(body["scope"].split()) == {"openid", "activities:read"}
    assert body["refresh_token"]
    verified = await verify_id_token(
        client, body["id_token"], client_id, nonce=None, access_token=body["access_token"]
    )
    assert verified.claims["sid"]  # the browser session's: back-channel logout covers it
    # The access token reads alice's activities, and the refresh token refreshes.
    listed = await client.get("/api/activities", headers=bearer(body["access_token"]))
    assert listed.status_code == 200, listed.text
    refreshed = await refresh(client, client_id, None, body["refresh_token"])
    assert refreshed.status_code == 200, refreshed.text


async def test_the_grant_is_listed_on_account_and_revoking_it_ends_the_tokens(
    app: Starlette, client: httpx.AsyncClient, alice: Account
) -> None:
    client_id = await device_client(app, name="Wall clock")
    codes = await _started(client, client_id, scope="activities:read")
    await _approve(app, "alice", codes["user_code"])
    tokens = (await poll(client, client_id, codes["device_code"])).json()
    before = await client.get("/api/activities", headers=bearer(tokens["access_token"]))
    async with browser(app) as person:
        await sign_in(person, "alice")
        account = await person.get("/account")
        revoked = await person.post(
            f"/account/apps/{client_id}/revoke", data={"csrf_token": csrf_of(account)}
        )
    after = await client.get("/api/activities", headers=bearer(tokens["access_token"]))
    refreshed = await refresh(client, client_id, None, tokens["refresh_token"])
    assert "Wall clock" in text_of(account)
    assert before.status_code == 200
    assert revoked.status_code == 303
    assert after.status_code == 401
    oauth_error(refreshed, 400, "invalid_grant")


async def test_polling_sooner_than_the_interval_slows_the_device_down_for_good(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    clock = Clock(datetime.now(UTC))
    use_clock(app, clock)
    client_id = await device_client(app)
    codes = await _started(client, client_id)
    interval = codes["interval"]
    first = await poll(client, client_id, codes["device_code"])
    clock.advance(interval - 1)
    too_soon = await poll(client, client_id, codes["device_code"])
    clock.advance(interval)  # the old interval is no longer enough (§3.5: +5 s, for good)
    still_too_soon = await poll(client, client_id, codes["device_code"])
    clock.advance(interval + 10)
    waited = await poll(client, client_id, codes["device_code"])

    oauth_error(first, 400, "authorization_pending")
    oauth_error(too_soon, 400, "slow_down")
    oauth_error(still_too_soon, 400, "slow_down")
    oauth_error(waited, 400, "authorization_pending")


async def test_a_denied_request_is_access_denied_at_the_token_endpoint(
    app: Starlette, client: httpx.AsyncClient, alice: Account
) -> None:
    client_id = await device_client(app)
    codes = await _started(client, client_id)
    denied = await _deny(app, "alice", codes["user_code"])
    polled = await poll(client, client_id, codes["device_code"])
    assert denied.status_code == 200
    assert "Living-room TV was not allowed" in text_of(denied)
    oauth_error(polled, 400, "access_denied")


async def test_an_expired_device_code_is_expired_token(
    app: Starlette, client: httpx.AsyncClient, alice: Account
) -> None:
    clock = Clock(datetime.now(UTC))
    use_clock(app, clock)
    client_id = await device_client(app)
    codes = await _started(client, client_id)
    clock.advance(codes["expires_in"] + 1)
    polled = await poll(client, client_id, codes["device_code"])
    async with browser(app) as person:
        await sign_in(person, "alice")
        too_late = await enter_code(person, codes["user_code"])
    oauth_error(polled, 400, "expired_token")
    assert too_late.status_code == 400
    assert "not valid, or it expired" in text_of(too_late)


async def test_a_device_code_gets_tokens_once(
    app: Starlette, client: httpx.AsyncClient, alice: Account
) -> None:
    client_id = await device_client(app)
    codes = await _started(client, client_id)
    await _approve(app, "alice", codes["user_code"])
    first = await poll(client, client_id, codes["device_code"])
    again = await poll(client, client_id, codes["device_code"])
    assert first.status_code == 200, first.text
    oauth_error(again, 400, "invalid_grant")


async def test_another_clients_device_code_is_invalid_grant(
    app: Starlette, client: httpx.AsyncClient, alice: Account
) -> None:
    tv = await device_client(app)
    impostor = await device_client(app, name="Impostor")
    codes = await _started(client, tv)
    await _approve(app, "alice", codes["user_code"])
    stolen = await poll(client, impostor, codes["device_code"])
    made_up = await poll(client, tv, "not-a-device-code")
    own = await poll(client, tv, codes["device_code"])
    oauth_error(stolen, 400, "invalid_grant")
    oauth_error(made_up, 400, "invalid_grant")
    assert own.status_code == 200, own.text  # the impostor's try spent nothing


async def test_a_confidential_device_client_authenticates_at_both_endpoints(
    app: Starlette, client: httpx.AsyncClient, alice: Account
) -> None:
    client_id, secret = await make_client(
        app, name="Kiosk", grant_types=[DEVICE_CODE_GRANT], client_type="confidential"
    )
    assert secret is not None
    wrong = await start(client, client_id, "wrong-secret")
    anonymous = await start(client, client_id)
    started = await start(client, client_id, secret)
    codes = started.json()
    await _approve(app, "alice", codes["user_code"])
    unauthenticated = await poll(client, client_id, codes["device_code"])
    tokens = await poll(client, client_id, codes["device_code"], secret)

    oauth_error(wrong, 401, "invalid_client")
    oauth_error(anonymous, 401, "invalid_client")
    assert started.status_code == 200, started.text
    oauth_error(unauthenticated, 401, "invalid_client")
    assert tokens.status_code == 200, tokens.text
    assert "refresh_token" not in tokens.json()  # not registered for refresh_token
