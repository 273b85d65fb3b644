"""A revocation of any kind is refused at once by the worker that made it, and by every other
within a second: API and UserInfo agree with introspection.

The apps here trust their caches for a minute (revocation poll, clients, account status), so
nothing but the revocation log itself can make them refuse in time.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from stint.settings import Settings
from stint.storage.client_store import SqlClientStore
from stint.storage.database import Database
from stint.storage.user_store import SqlUserStore
from stint.web.app import create_app
from tests.conftest import FAST_HASHING, PASSWORD, Account, basic, register
from tests.oidc.support import OidcClient, code_flow, oidc_client
from tests.support.pages import browser, sign_in
from tests.support.tokens import bearer, introspect, revoke

pytestmark = pytest.mark.anyio

SLOW_CACHES: dict[str, Any] = {
    "revocation_cache_seconds": 60,
    "client_cache_seconds": 60,
    "account_status_cache_seconds": 60,
    "basic_auth_cache_seconds": 60,
}


@asynccontextmanager
async def running(settings: Settings, **changes: Any) -> AsyncIterator[Starlette]:
    """An app (one worker) over ``settings`` with ``changes``, started and stopped."""
    application = create_app(settings.model_copy(update=changes), hashing=FAST_HASHING)
    async with application.router.lifespan_context(application):
        yield application


@asynccontextmanager
async def http(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


async def within(seconds: float, condition: Callable[[], Awaitable[bool]]) -> float:
    """Wait until ``condition`` holds, failing after ``seconds``; returns the time it took."""
    start = time.monotonic()
    while not await condition():
        assert time.monotonic() - start < seconds, f"not within {seconds} s"
        await asyncio.sleep(0.01)
    return time.monotonic() - start


async def userinfo(client: httpx.AsyncClient, access_token: str) -> int:
    return (await client.get("/o/userinfo/", headers=bearer(access_token))).status_code


async def api(client: httpx.AsyncClient, headers: dict[str, str]) -> int:
    return (await client.get("/api/me", headers=headers)).status_code


async def signed_in_tokens(
    app: Starlette, client: httpx.AsyncClient, rp: OidcClient, username: str = "alice"
) -> dict[str, Any]:
    """Tokens for ``openid profile`` from a whole code flow in a browser of its own."""
    async with browser(app) as b:
        flow = await code_flow(client, b, rp, username, scope="openid profile")
    return flow.tokens


@pytest.fixture
async def slow_app(settings: Settings) -> AsyncIterator[Starlette]:
    async with running(settings, **SLOW_CACHES) as application:
        yield application


@pytest.fixture
async def slow_client(slow_app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    async with http(slow_app) as client:
        yield client


@pytest.fixture
async def rp(slow_app: Starlette) -> OidcClient:
    return await oidc_client(slow_app, scopes=("profile",))


async def test_a_revoked_access_token_is_refused_at_userinfo_and_the_api_at_once(
    slow_app: Starlette, slow_client: httpx.AsyncClient, rp: OidcClient
) -> None:
    await register(slow_client, "alice")
    tokens = await signed_in_tokens(slow_app, slow_client, rp)
    access = tokens["access_token"]
    assert await userinfo(slow_client, access) == 200
    assert await api(slow_client, bearer(access)) == 200

    assert (await revoke(slow_client, rp.client_id, rp.secret, access)).status_code == 200

    assert (await introspect(slow_client, rp.client_id, rp.secret, access)).json() == {
        "active": False
    }
    assert await userinfo(slow_client, access) == 401
    assert await api(slow_client, bearer(access)) == 401


async def test_access_token_revocations_still_work_after_a_refresh_token_was_revoked(
    slow_app: Starlette, slow_client: httpx.AsyncClient, rp: OidcClient
) -> None:
    await register(slow_client, "alice")
    first = await signed_in_tokens(slow_app, slow_client, rp)
    assert await userinfo(slow_client, first["access_token"]) == 200
    await revoke(slow_client, rp.client_id, rp.secret, first["refresh_token"])
    assert await userinfo(slow_client, first["access_token"]) == 401

    for _ in range(3):
        later = await signed_in_tokens(slow_app, slow_client, rp)
        assert await userinfo(slow_client, later["access_token"]) == 200
        await revoke(slow_client, rp.client_id, rp.secret, later["access_token"])
        assert await userinfo(slow_client, later["access_token"]) == 401


async def test_revoking_an_app_on_the_account_page_stops_its_tokens_at_once(
    slow_app: Starlette, slow_client: httpx.AsyncClient, rp: OidcClient
) -> None:
    await register(slow_client, "alice")
    tokens = await signed_in_tokens(slow_app, slow_client, rp)
    assert await userinfo(slow_client, tokens["access_token"]) == 200
    async with browser(slow_app) as b:
        csrf = await sign_in(b, "alice")
        answer = await b.post(f"/account/apps/{rp.client_id}/revoke", data={"csrf_token": csrf})
        assert answer.status_code == 303
    assert await userinfo(slow_client, tokens["access_token"]) == 401
    assert await api(slow_client, bearer(tokens["access_token"])) == 401


async def test_a_password_change_revokes_every_grant_and_api_token_of_the_user(
    slow_app: Starlette, slow_client: httpx.AsyncClient, rp: OidcClient
) -> None:
    alice = await register(slow_client, "alice")
    bob = await register(slow_client, "bob")
    tokens = await signed_in_tokens(slow_app, slow_client, rp)
    new_password = "an entirely new passphrase"
    async with browser(slow_app) as b:
        csrf = await sign_in(b, "alice")
        changed = await b.post(
            "/account/password",
            data={
                "csrf_token": csrf,
                "current_password": PASSWORD,
                "new_password": new_password,
                "confirm_password": new_password,
            },
        )
        assert changed.status_code == 303, changed.text

    assert await userinfo(slow_client, tokens["access_token"]) == 401
    assert await api(slow_client, alice.bearer) == 401, "the /api/token token too"
    refreshed = await slow_client.post(
        "/o/token/",
        data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        auth=(rp.client_id, rp.secret or ""),
    )
    assert refreshed.status_code == 400
    assert await api(slow_client, bob.bearer) == 200, "another user's token is untouched"
    fresh = await slow_client.get("/api/token", headers=basic("alice", new_password))
    assert await api(slow_client, bearer(fresh.json()["token"])) == 200


async def test_delete_api_token_revokes_the_token_it_is_sent_with(
    slow_client: httpx.AsyncClient,
) -> None:
    alice = await register(slow_client, "alice")
    other = (await slow_client.get("/api/token", headers=alice.basic)).json()["token"]

    answer = await slow_client.delete("/api/token", headers=alice.bearer)

    assert answer.status_code == 204
    assert await api(slow_client, alice.bearer) == 401
    assert await api(slow_client, basic(alice.token, "x")) == 401, "as the Basic username too"
    assert await api(slow_client, bearer(other)) == 200, "only the token sent"
    again = await slow_client.delete("/api/token", headers=alice.bearer)
    assert again.status_code == 401


async def test_delete_api_token_with_the_password_revokes_every_api_token(
    slow_client: httpx.AsyncClient,
) -> None:
    alice = await register(slow_client, "alice")
    bob = await register(slow_client, "bob")
    other = (await slow_client.get("/api/token", headers=alice.basic)).json()["token"]

    answer = await slow_client.delete("/api/token", headers=alice.basic)

    assert answer.status_code == 204
    assert await api(slow_client, alice.bearer) == 401
    assert await api(slow_client, bearer(other)) == 401
    assert await api(slow_client, bob.bearer) == 200
    renewed = (await slow_client.get("/api/token", headers=alice.basic)).json()["token"]
    assert await api(slow_client, bearer(renewed)) == 200


async def test_a_revoked_api_token_is_inactive_at_introspection(
    slow_app: Starlette, slow_client: httpx.AsyncClient
) -> None:
    from tests.conftest import make_client

    alice = await register(slow_client, "alice")
    rs_id, rs_secret = await make_client(
        slow_app, name="RS", grant_types=["client_credentials"], may_introspect=True
    )
    assert (await introspect(slow_client, rs_id, rs_secret, alice.token)).json()["active"]
    await slow_client.delete("/api/token", headers=alice.basic)
    seen = await introspect(slow_client, rs_id, rs_secret, alice.token)
    assert seen.json() == {"active": False}


# --- another worker or process (the CLI) makes the change: the poll brings it -----------------


async def test_an_account_disabled_elsewhere_is_refused_within_a_second(
    settings: Settings, database_url: str
) -> None:
    polling = {**SLOW_CACHES, "revocation_cache_seconds": 0.2}
    async with running(settings, **polling) as app, http(app) as client:
        alice: Account = await register(client, "alice")
        assert await api(client, alice.bearer) == 200
        elsewhere = Database(database_url)  # `stint users disable alice`, say
        try:
            assert await SqlUserStore(elsewhere).set_disabled(alice.id, True)
        finally:
            await elsewhere.dispose()

        async def refused() -> bool:
            return await api(client, alice.bearer) == 401

        await within(1.0, refused)


async def test_a_client_deleted_elsewhere_is_refused_within_a_second(
    settings: Settings, database_url: str
) -> None:
    polling = {**SLOW_CACHES, "revocation_cache_seconds": 0.2}
    async with running(settings, **polling) as app, http(app) as client:
        await register(client, "alice")
        rp = await oidc_client(app, scopes=("profile",))
        tokens = await signed_in_tokens(app, client, rp)
        assert await userinfo(client, tokens["access_token"]) == 200
        elsewhere = Database(database_url)  # `stint clients delete`, say
        try:
            assert await SqlClientStore(elsewhere, cache_seconds=0).delete(rp.client_id)
        finally:
            await elsewhere.dispose()

        async def refused() -> bool:
            return await userinfo(client, tokens["access_token"]) == 401

        await within(1.0, refused)
