"""CIBA over HTTP, in-process on SQLite: the app calls a real loopback notification endpoint."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from starlette.applications import Starlette

from stint.settings import Settings
from tests.conftest import Account
from tests.support.notification_endpoint import NotificationEndpoint, notification_endpoint
from tests.support.pages import browser, sign_in


@pytest.fixture
def settings(settings: Settings) -> Settings:
    # The notification endpoint is on loopback; a failed notification is retried at once.
    return settings.model_copy(
        update={"outbound_allow_private_addresses": True, "ciba_notification_retry_seconds": 0}
    )


@pytest.fixture
async def approver(app: Starlette, alice: Account) -> AsyncIterator[httpx.AsyncClient]:
    """Alice's own browser, signed in, where she approves (the authentication device)."""
    async with browser(app) as signed_in:
        await sign_in(signed_in, alice.username, alice.password)
        yield signed_in


@pytest.fixture
def endpoint() -> Iterator[NotificationEndpoint]:
    with notification_endpoint() as server:
        yield server
