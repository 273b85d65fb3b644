"""Two workers on one database: a revocation made by one reaches the other within a second,
pushed by PostgreSQL NOTIFY or Redis pub/sub. The second worker's poll is a minute away, so
only the push can bring it in time."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

import pytest
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from starlette.applications import Starlette

from stint.settings import Settings
from stint.storage.database import Database
from stint.storage.user_store import SqlUserStore
from tests.conftest import register
from tests.http.oauth.test_revocation_everywhere import (
    SLOW_CACHES,
    api,
    http,
    running,
    signed_in_tokens,
    userinfo,
    within,
)
from tests.oidc.support import oidc_client
from tests.support.tokens import bearer, revoke

pytestmark = pytest.mark.anyio

REDIS_URL = os.environ.get("STINT_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


async def _listening(app: Starlette) -> None:
    await asyncio.wait_for(app.state.revocation_push.listening.wait(), timeout=5)


@asynccontextmanager
async def two_workers(
    settings: Settings, **changes: object
) -> AsyncIterator[tuple[Starlette, Starlette]]:
    """Two apps (two workers) on the same database, both listening for pushes."""
    async with AsyncExitStack() as stack:
        first = await stack.enter_async_context(running(settings, **SLOW_CACHES, **changes))
        second = await stack.enter_async_context(running(settings, **SLOW_CACHES, **changes))
        await _listening(first)
        await _listening(second)
        yield first, second


@pytest.fixture
def redis_url() -> str:
    async def reachable() -> bool:
        client = Redis.from_url(REDIS_URL)
        try:
            await client.ping()
        except (RedisConnectionError, OSError):
            return False
        finally:
            await client.aclose()
        return True

    return REDIS_URL if asyncio.run(reachable()) else ""


@pytest.mark.parametrize("backend", [pytest.param("postgres", marks=pytest.mark.postgres)])
async def test_a_second_worker_refuses_a_revoked_token_within_a_second_through_notify(
    settings: Settings,
) -> None:
    async with two_workers(settings) as (one, two), http(one) as first, http(two) as second:
        await register(first, "alice")
        rp = await oidc_client(one, scopes=("profile",))
        tokens = await signed_in_tokens(one, first, rp)
        access = tokens["access_token"]
        assert await userinfo(second, access) == 200

        await revoke(first, rp.client_id, rp.secret, access)

        assert await userinfo(first, access) == 401

        async def refused() -> bool:
            return await userinfo(second, access) == 401

        await within(1.0, refused)


@pytest.mark.parametrize("backend", [pytest.param("postgres", marks=pytest.mark.postgres)])
async def test_an_account_disabled_by_another_process_is_refused_within_a_second_by_notify(
    settings: Settings, database_url: str
) -> None:
    async with two_workers(settings) as (one, _), http(one) as client:
        alice = await register(client, "alice")
        assert await api(client, alice.bearer) == 200
        cli = Database(database_url)  # `stint users disable alice`
        try:
            await SqlUserStore(cli).set_disabled(alice.id, True)
        finally:
            await cli.dispose()

        async def refused() -> bool:
            return await api(client, alice.bearer) == 401

        await within(1.0, refused)


@pytest.mark.redis
@pytest.mark.parametrize("backend", ["sqlite"])
async def test_a_second_worker_refuses_a_revoked_token_within_a_second_through_redis(
    settings: Settings, redis_url: str
) -> None:
    if not redis_url:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true needs Redis, and none answers at {REDIS_URL}")
        pytest.skip(f"no Redis at {REDIS_URL} (set STINT_TEST_REDIS_URL)")
    async with (
        two_workers(settings, redis_url=redis_url) as (one, two),
        http(one) as first,
        http(two) as second,
    ):
        alice = await register(first, "alice")
        assert await api(second, alice.bearer) == 200

        answer = await first.delete("/api/token", headers=alice.bearer)
        assert answer.status_code == 204

        async def refused() -> bool:
            return await api(second, bearer(alice.token)) == 401

        await within(1.0, refused)
