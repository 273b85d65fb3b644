"""The access log of `stint serve` keeps ID tokens, login hints and request objects out: the
request line is logged with those parameters' values redacted, the rest of it as it came."""

from __future__ import annotations

import time
from collections.abc import Iterator
from urllib.parse import urlencode

import httpx
import pytest

from stint.web.access_log import redacted
from tests.conftest import LiveServer, running_server

SECRETS = {
    "id_token_hint": "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJzZWNyZXQtc3ViIn0.c2VjcmV0LXNpZw",
    "login_hint": "hidden.person@example.com",
    "request": "eyJhbGciOiJub25lIn0.eyJzZWNyZXQtcmVxdWVzdCI6dHJ1ZX0.",
    "request_uri": "https://rp.example/requests/secret-request-id",
}


@pytest.fixture(scope="module")
def logged_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with running_server(tmp_path_factory.mktemp("access-log"), access_log=True) as server:
        yield server


def _logged_line(server: LiveServer, path: str) -> str:
    """The access log's line for a request to ``path`` (waiting for the server to write it)."""
    deadline = time.monotonic() + 10
    while True:
        lines = [line for line in server.log.read_text().splitlines() if f"GET {path}" in line]
        if lines:
            return lines[-1]
        assert time.monotonic() < deadline, server.log.read_text()
        time.sleep(0.05)


def _leaks(line: str) -> list[str]:
    fragments = [*SECRETS.values(), "hidden.person", "secret-request-id", "c2VjcmV0LXNpZw"]
    encoded = [urlencode({"v": value})[2:] for value in fragments]
    return [f for f in {*fragments, *encoded} if f in line]


def test_the_access_log_redacts_hints_and_request_objects(logged_server: LiveServer) -> None:
    query = urlencode({"client_id": "some-client", **SECRETS, "state": "kept-as-sent"})
    answer = httpx.get(f"{logged_server.base_url}/o/authorize/?{query}")
    assert answer.status_code == 400  # an unknown client: a page, the line is logged all the same
    line = _logged_line(logged_server, "/o/authorize/")
    assert not _leaks(line), line
    assert "client_id=some-client" in line and "state=kept-as-sent" in line
    for name in SECRETS:
        assert f"{name}=[redacted]" in line, line


def test_the_access_log_redacts_them_inside_the_sign_in_pages_return_url(
    logged_server: LiveServer,
) -> None:
    back = "/o/authorize/?" + urlencode({"client_id": "some-client", **SECRETS})
    query = urlencode({"next": back, "username": SECRETS["login_hint"], "reauth": "1"})
    answer = httpx.get(f"{logged_server.base_url}/login?{query}")
    assert answer.status_code == 200
    line = _logged_line(logged_server, "/login")
    assert not _leaks(line), line
    assert "reauth=1" in line and "client_id%3Dsome-client" in line


def test_redacting_leaves_a_request_line_without_sensitive_parameters_alone() -> None:
    for target in ("/api/activities", "/api/activities?limit=5&cursor=abc%3D", "/o/authorize/?"):
        assert redacted(target) == target
    assert (
        redacted("/o/logout/?id_token_hint=x&state=y")
        == "/o/logout/?id_token_hint=[redacted]&state=y"
    )
