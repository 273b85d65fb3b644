"""Redis unreachable: sign-in answers 503 with Retry-After, as in a database outage."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from starlette.applications import Starlette

from stint.settings import Settings
from stint.web.app import create_app
from tests.conftest import FAST_HASHING, _free_port, basic, problem

pytestmark = pytest.mark.anyio


@pytest.fixture
async def app_without_its_redis(settings: Settings) -> AsyncIterator[Starlette]:
    nothing_listens = f"redis://127.0.0.1:{_free_port()}/0"
    application = create_app(
        settings.model_copy(update={"redis_url": nothing_listens}), hashing=FAST_HASHING
    )
    async with application.router.lifespan_context(application):
        yield application


async def test_a_sign_in_while_redis_is_down_is_a_503_not_a_500(
    app_without_its_redis: Starlette,
) -> None:
    transport = httpx.ASGITransport(app=app_without_its_redis, client=("203.0.113.7", 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        response = await client.get("/api/token", headers=basic("alice", "a passphrase"))
    problem(response, 503)
    assert response.headers["retry-after"].isdigit()
