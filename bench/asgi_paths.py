"""Requests per second of the OAuth and API hot paths, in-process: the ASGI app called directly.

No server, no sockets: what is left is Stint's own work per request (middleware, routing, the
endpoint, the stores), so a before/after comparison of a change in that code is not drowned in
loopback and parser noise. Run it from a checkout (``PYTHONPATH=<other>/src`` measures another):

    .venv/bin/python -m bench.asgi_paths --rounds 5 --seconds 2

Each round runs every path for ``--seconds`` of this process's CPU time, one request at a time,
and counts requests per CPU second (every thread's, the database driver's included): on a busy
machine, wall-clock rates measure the neighbours. The best round per path is reported.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from stint.settings import Settings

__all__ = ["main"]

Call = Callable[[], Awaitable[int]]


def _scope(method: str, path: str, headers: list[tuple[bytes, bytes]]) -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"testserver"), *headers],
        "client": ("127.0.0.1", 40000),
        "server": ("testserver", 80),
    }


def _caller(app: Any, method: str, path: str, headers: dict[str, str], body: bytes = b"") -> Call:
    raw = [(k.lower().encode(), v.encode()) for k, v in headers.items()]
    if body:
        raw.append((b"content-length", str(len(body)).encode()))
    message = {"type": "http.request", "body": body, "more_body": False}

    async def call() -> int:
        status = 0

        async def receive() -> dict[str, Any]:
            return message

        async def send(msg: dict[str, Any]) -> None:
            nonlocal status
            if msg["type"] == "http.response.start":
                status = msg["status"]

        await app(_scope(method, path, raw), receive, send)
        return status

    return call


async def _prepare(app: Any) -> dict[str, Call]:
    from stint.protocol.registration import ClientSpec, new_client

    runtime = app.state.runtime
    client, secret = new_client(
        ClientSpec(
            name="bench",
            grant_types=frozenset({"client_credentials"}),
            scopes=frozenset({"activities:read"}),
        ),
        runtime.hasher,
        allow_http=True,
    )
    await runtime.oauth.clients.add(client)
    basic = base64.b64encode(f"{client.client_id}:{secret}".encode()).decode()
    form = {"Content-Type": "application/x-www-form-urlencoded", "Authorization": f"Basic {basic}"}
    token_call = _caller(app, "POST", "/o/token/", form, b"grant_type=client_credentials")
    results: list[bytes] = []

    async def send(msg: dict[str, Any]) -> None:
        if msg["type"] == "http.response.body":
            results.append(msg["body"])

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"grant_type=client_credentials"}

    scope = _scope("POST", "/o/token/", [(k.lower().encode(), v.encode()) for k, v in form.items()])
    await app(scope, receive, send)
    token = json.loads(results[-1])["access_token"]
    user = json.dumps({"username": "bench", "password": "bench passphrase 2026"}).encode()
    await _caller(app, "POST", "/api/users", {"Content-Type": "application/json"}, user)()
    results.clear()
    pw = base64.b64encode(b"bench:bench passphrase 2026").decode()
    await app(
        _scope("GET", "/api/token", [(b"authorization", f"Basic {pw}".encode())]),
        receive,
        send,
    )
    user_token = json.loads(results[-1])["token"]
    return {
        "token (client_credentials)": token_call,
        "introspect": _caller(app, "POST", "/o/introspect/", form, f"token={token}".encode()),
        "resource (client token)": _caller(
            app, "GET", "/api/resource", {"Authorization": f"Bearer {token}"}
        ),
        "resource (user token)": _caller(
            app, "GET", "/api/resource", {"Authorization": f"Bearer {user_token}"}
        ),
    }


async def _measure(call: Call, seconds: float) -> float:
    for _ in range(50):  # warm caches
        await call()
    done, start = 0, time.process_time()
    while (elapsed := time.process_time() - start) < seconds:
        for _ in range(100):
            status = await call()
            if status != 200:
                raise SystemExit(f"unexpected status {status}")
        done += 100
    return done / elapsed


async def _run(rounds: int, seconds: float) -> dict[str, float]:
    from stint.storage.database import Database
    from stint.storage.migrate import migrate
    from stint.web.app import create_app

    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{Path(folder) / 'stint.sqlite3'}"
        db = Database(url)
        await migrate(db)
        await db.dispose()
        settings = Settings(
            environment="test",
            data_dir=Path(folder) / "data",
            database_url=url,
            secret_key="bench-secret-" + "x" * 40,
            issuer="http://testserver",
        )
        app = create_app(settings)
        best: dict[str, float] = {}
        async with app.router.lifespan_context(app):
            calls = await _prepare(app)
            for _ in range(rounds):
                for name, call in calls.items():
                    rate = await _measure(call, seconds)
                    best[name] = max(best.get(name, 0.0), rate)
        return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=2.0)
    args = parser.parse_args()
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    for name, rate in asyncio.run(_run(args.rounds, args.seconds)).items():
        print(f"{name:28} {rate:9.0f} req/CPU-s")


if __name__ == "__main__":
    main()
