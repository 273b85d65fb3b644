"""PostgreSQL goes away under a running server and comes back: 503 meanwhile, then service.

A TCP proxy stands in front of the real PostgreSQL; closing it is the outage. Every answer
during it is a 503 problem with Retry-After and the usual security headers, the keep-alive
connection stays usable, the log gets one line (not two tracebacks per request), and the
server recovers by itself once the database answers again.
"""

from __future__ import annotations

import http.client
import logging
import secrets
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from starlette.applications import Starlette

from stint.settings import Settings
from tests.conftest import (
    PASSWORD,
    POSTGRES_URL,
    _create_database,
    _database_url,
    _drop_database,
    _run,
    basic,
    make_client,
    register,
    running_server,
)
from tests.support.tcp_proxy import TcpProxy

# PostgreSQL only: SQLite has no server to lose.
pytestmark = pytest.mark.parametrize(
    "backend", [pytest.param("postgres", marks=pytest.mark.postgres)]
)
SECURITY_HEADERS = ("x-content-type-options", "x-frame-options", "content-security-policy")


def _through(proxy: TcpProxy, database_url: str) -> str:
    """``database_url`` with the proxy's address in place of PostgreSQL's."""
    return database_url.replace(
        urlsplit(database_url).netloc.split("@")[-1], f"127.0.0.1:{proxy.port}"
    )


@pytest.fixture
def proxy() -> Iterator[TcpProxy]:
    target = urlsplit(POSTGRES_URL)
    running = TcpProxy((target.hostname or "127.0.0.1", target.port or 5432))
    running.start()
    yield running
    running.stop()


@pytest.fixture
def settings(settings: Settings, database_url: str, proxy: TcpProxy) -> Settings:
    """The shared settings, with the database reached through the proxy (so `app`, `client`)."""
    return settings.model_copy(update={"database_url": _through(proxy, database_url)})


def _assert_unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == 503
    assert response.headers["retry-after"].isdigit()
    for name in SECURITY_HEADERS:
        assert name in response.headers, name


@pytest.mark.anyio
async def test_an_unreachable_database_is_a_503_with_retry_after_until_it_comes_back(
    app: Starlette,
    client: httpx.AsyncClient,
    proxy: TcpProxy,
    caplog: pytest.LogCaptureFixture,
) -> None:
    alice = await register(client, "alice")
    client_id, secret = await make_client(app, name="Service", grant_types=["client_credentials"])
    assert secret is not None

    async def calls() -> list[httpx.Response]:
        return [
            await client.get("/api/activities", headers=alice.basic),
            await client.post("/api/activities", json={"name": "Writing"}, headers=alice.bearer),
            await client.post(
                "/o/token/",
                data={"grant_type": "client_credentials"},
                headers=basic(client_id, secret),
            ),
            await client.get(f"/o/authorize/?client_id={client_id}x"),  # a page
        ]

    proxy.stop()
    with caplog.at_level(logging.INFO):
        for _ in range(5):
            for response in await calls():
                _assert_unavailable(response)
    # 20 failures, one log line from the requests and one from the revocation poll (which
    # reads on every request in tests), no traceback: an outage must not flood the log.
    errors = [
        r for r in caplog.records if r.name.startswith("stint") and r.levelno >= logging.WARNING
    ]
    assert sorted(r.name for r in errors) == ["stint.revocations", "stint.web"], [
        r.getMessage() for r in errors
    ]
    assert any("database unavailable" in r.getMessage() for r in errors)
    assert all(r.exc_info is None for r in errors)

    proxy.start()
    # A pooled connection the outage cut fails once more (503) and is replaced, pool by pool:
    # from the second round on, every request is served again.
    for response in await calls():
        assert response.status_code in (200, 201, 400, 503), response.text
    activities, created, token, page = await calls()
    assert activities.status_code == 200, activities.text
    assert created.status_code == 201, created.text
    assert token.status_code == 200, token.text
    assert page.status_code == 400  # an unknown client, said as a page


@pytest.mark.anyio
async def test_an_unexpected_error_is_one_logged_500_with_the_security_headers(
    app: Starlette,
    client: httpx.AsyncClient,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    alice = await register(client, "alice")

    async def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(app.state.services.timetracking, "activities", broken)
    with caplog.at_level(logging.ERROR):
        response = await client.get("/api/activities", headers=alice.basic)
    assert response.status_code == 500
    assert response.json() == {
        "type": "about:blank",
        "title": "Internal Server Error",
        "status": 500,
    }
    for name in SECURITY_HEADERS:
        assert name in response.headers, name
    assert [r.exc_info is not None for r in caplog.records] == [True]


@pytest.fixture
def sync_database_url(backend: str, postgres_template: str) -> Iterator[str]:
    """As ``database_url``, for a test that is not async (it blocks on sockets)."""
    name = f"stint_outage_{secrets.token_hex(4)}"
    _run(_create_database(name, template=postgres_template))
    yield _database_url(name)
    _run(_drop_database(name))


def test_a_live_server_keeps_the_connection_through_an_outage_and_recovers(
    sync_database_url: str, proxy: TcpProxy, tmp_path: Path
) -> None:
    proxied = _through(proxy, sync_database_url)
    with running_server(tmp_path, STINT_DATABASE_URL=proxied) as server:
        port = urlsplit(server.base_url).port
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        auth = basic("ada", PASSWORD)

        def call(method: str, path: str, body: str | None = None) -> http.client.HTTPResponse:
            headers = {**auth, "Content-Type": "application/json"}
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            response.read()
            return response

        body = f'{{"username": "ada", "password": "{PASSWORD}"}}'
        assert call("POST", "/api/users", body).status == 201
        assert call("GET", "/api/activities").status == 200

        proxy.stop()
        for _ in range(3):  # on the same connection each time: it was not dropped
            down = call("GET", "/api/activities")
            assert down.status == 503
            assert (down.getheader("retry-after") or "").isdigit()
            assert down.getheader("connection") != "close"
            for name in SECURITY_HEADERS:
                assert down.getheader(name), name

        proxy.start()
        assert call("GET", "/api/activities").status in (200, 503)  # see the test above
        assert call("GET", "/api/activities").status == 200
        connection.close()

    log = server.log.read_text()
    assert "Traceback" not in log, log[-3000:]
    assert log.count("database unavailable") == 1, log[-3000:]
