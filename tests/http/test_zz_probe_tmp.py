from __future__ import annotations
import base64, orjson
import httpx, pytest
from typing import Any
from tests.conftest import Account
pytestmark = pytest.mark.anyio

def cur(x: object) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(x)).rstrip(b"=").decode()

async def test_probe(app: Any, alice: Account, backend: str) -> None:
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app, raise_app_exceptions=False), base_url='http://testserver')
    a = (await client.post("/api/activities", json={"name": "W"}, headers=alice.bearer)).json()
    out = []
    async def go(m: str, u: str, headers: dict[str, str] | None = None, **kw: Any) -> None:
        r = await client.request(m, u, headers={**alice.bearer, **(headers or {})}, **kw)
        out.append((m, u[:60], str(kw)[:100], r.status_code, r.text[:150]))
    J = {"content-type": "application/json"}
    await go("GET", "/api/activities/" + "9" * 5000)
    await go("GET", "/api/activities?cursor=" + cur([2**40]))
    await go("GET", "/api/activities?cursor=" + cur([2**63]))
    await go("GET", "/api/activities?cursor=" + base64.urlsafe_b64encode(b"[" + b"9"*30 + b"]").decode())
    await go("GET", "/api/activities?cursor=" + cur([-5]))
    await go("GET", "/api/time-entries?cursor=" + cur(["2026-01-01T00:00:00", 5]))
    await go("GET", "/api/time-entries?cursor=" + cur(["0001-01-01T00:00:00+01:00", 5]))
    await go("GET", "/api/time-entries?cursor=" + cur(["2026-01-01T00:00:00+00:00", 2**40]))
    await go("GET", "/api/time-entries", params={"from": "0001-01-01T00:00:00+01:00"})
    await go("GET", "/api/time-entries", params={"to": "9999-12-31T23:00:00-05:00"})
    await go("GET", "/api/time-entries", params={"from": "2026-03-01T00:00:00"})
    await go("GET", "/api/time-entries", params={"from": "2026-03-01T10:00:00"})
    await go("GET", "/api/time-entries", params={"from": "garbage"})
    await go("GET", "/api/reports/summary", params={"from": "0001-01-01", "to": "0002-01-01", "tz": "Asia/Tokyo"})
    await go("GET", "/api/reports/summary", params={"from": "9999-01-01", "to": "9999-12-31", "tz": "America/New_York"})
    await go("GET", "/api/reports/summary", params={"from": "garbage", "to": "2001-01-01"})
    await go("POST", "/api/time-entries", json={"activity": a["id"], "start": "0001-01-01T00:00:00+01:00", "end": "2001-01-01T00:00:00Z"})
    await go("POST", "/api/time-entries", json={"activity": a["id"], "start": "9999-12-31T23:59:59Z"})
    await go("GET", "/api/reports/summary", params={"from": "9999-12-30", "to": "9999-12-31T23:59:59Z", "group_by": "day"})
    await go("POST", "/api/time-entries", json={"activity": a["id"], "start": "2020-12-31T23:59:59Z", "note": "x\u0000"})
    await go("POST", "/api/activities", json={"name": "a\u0000b"})
    await go("POST", "/api/activities", json={"name": "b", "description": "a\u0000b"})
    await go("POST", "/api/activities", content=b'{"name": "\\ud800"}', headers=J)
    await go("POST", "/api/activities", content=b'[1]', headers=J)
    await go("POST", "/api/activities", content=b'\xff\xfe', headers=J)
    await go("POST", "/api/activities", content=b'{"name": "q", "colour": "#ABCDEF"}', headers=J)
    await go("POST", "/api/activities", content=b'{"name": 5, "colour": "blue", "archived": "yes", "x": 1}', headers=J)
    await go("PATCH", f"/api/activities/{a['id']}", content=b'{"name": null, "description": null, "archived": null}', headers=J)
    await go("POST", "/api/activities", json={"name": "xmlname"}, headers={"accept": "application/xml"})
    await go("GET", "/api/activities?limit=200")
    await go("GET", "/api/activities/0")
    await go("GET", "/api/activities/-1")
    await go("GET", "/api/activities/" + str(2**31))
    await go("GET", "/api/users/" + "9" * 5000)
    for o in out: print(backend, o)
