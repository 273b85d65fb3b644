"""A second app over the test's database, configured differently (as another deployment's
operator would), and an HTTP client of it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from starlette.applications import Starlette

from stint.settings import Settings
from stint.web.app import create_app
from tests.conftest import FAST_HASHING

__all__ = ["app_with"]


@asynccontextmanager
async def app_with(
    settings: Settings, **changes: Any
) -> AsyncIterator[tuple[Starlette, httpx.AsyncClient]]:
    """The app with ``changes`` to ``settings``, started, and a client of it."""
    app = create_app(settings.model_copy(update=changes), hashing=FAST_HASHING)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=("203.0.113.8", 40002))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield app, client
