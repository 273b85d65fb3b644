"""The live-server fixture itself: a real process answering on a socket."""

from __future__ import annotations

import httpx

from tests.conftest import PASSWORD, LiveServer


def test_live_server_serves_registered_users(live_server: LiveServer) -> None:
    live_server.create_user("liveuser")
    token = httpx.get(f"{live_server.base_url}/api/token", auth=("liveuser", PASSWORD))
    assert token.status_code == 200
    greeting = httpx.get(
        f"{live_server.base_url}/api/resource",
        headers={"Authorization": f"Bearer {token.json()['token']}"},
    )
    assert greeting.json() == {"data": "Hello, liveuser!"}
