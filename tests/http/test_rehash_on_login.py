"""A password hash made with outdated parameters is replaced the next time the user signs in."""

from __future__ import annotations

import httpx
import pytest
from starlette.applications import Starlette

from stint.accounts.passwords import PasswordHashing
from tests.conftest import PASSWORD, basic

pytestmark = pytest.mark.anyio


async def test_outdated_hash_is_rehashed_with_current_parameters(
    client: httpx.AsyncClient, app: Starlette
) -> None:
    store = app.state.services.accounts._users
    old_hash = PasswordHashing(memory_kib=512, time_cost=1).hash(PASSWORD)
    user = await store.add(username="olduser", username_key="olduser", password_hash=old_hash)
    response = await client.get("/api/me", headers=basic("olduser", PASSWORD))
    assert response.status_code == 200
    updated = await store.by_id(user.id)
    assert updated.password_hash != old_hash
    assert "m=1024,t=1" in updated.password_hash  # the test app's current parameters
