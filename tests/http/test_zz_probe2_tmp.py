from __future__ import annotations
import asyncio
import httpx, pytest
from typing import Any
from tests.conftest import Account
pytestmark = pytest.mark.anyio

async def test_probe(app: Any, alice: Account, backend: str) -> None:
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app, raise_app_exceptions=False), base_url='http://testserver')
    h = alice.bearer
    a = (await client.post("/api/activities", json={"name": "W"}, headers=h)).json()
    rs = await asyncio.gather(*[client.post("/api/timer/start", json={"activity": a["id"]}, headers=h) for _ in range(10)])
    print(backend, sorted((r.status_code, r.json().get("running_entry")) for r in rs))
    eid = next(r.json()["id"] for r in rs if r.status_code == 201)
    rs = await asyncio.gather(*[client.post(f"/api/time-entries/{eid}/stop", headers=h) for _ in range(10)])
    print(backend, "stop", sorted((r.status_code) for r in rs))
    rs = await asyncio.gather(*[client.patch(f"/api/activities/{a['id']}", json={"description": str(i)}, headers=h) for i in range(10)])
    print(backend, "patch", sorted((r.status_code) for r in rs))
    rs = await asyncio.gather(*[client.post(f"/api/activities", json={"name": "same"}, headers=h) for i in range(10)])
    print(backend, "create same", sorted((r.status_code) for r in rs))
    r = await client.get("/api/activities", headers={"authorization": "Bearer nope"})
    print(r.status_code, r.headers, r.text)
