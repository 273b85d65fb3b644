"""The quickest end-to-end path: register, get a token, call the API with it."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import Account

pytestmark = pytest.mark.anyio


async def test_token_reaches_protected_resource(client: httpx.AsyncClient, alice: Account) -> None:
    response = await client.get("/api/resource", headers=alice.bearer)
    assert response.status_code == 200
    assert response.json() == {"data": "Hello, alice!"}
