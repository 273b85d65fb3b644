"""What the logout tests share: a relying party with logout metadata, a browser signed in to it
with an ID token, and a real HTTP server on 127.0.0.1 that receives back-channel logout POSTs."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

import anyio
import httpx
from starlette.applications import Starlette

from tests.conftest import Account
from tests.oidc.support import oidc_client, verify_jwt
from tests.support.flows import tokens
from tests.support.pages import hidden_inputs

POST_LOGOUT_URI = "https://app.example/signed-out"


async def relying_party(
    app: Starlette, name: str = "Logout RP", **metadata: Any
) -> tuple[str, str | None]:
    """A confidential client with OIDC ``metadata`` (post_logout_redirect_uris, ...)."""
    rp = await oidc_client(app, name=name, **metadata)
    return rp.client_id, rp.secret


async def id_token_for(
    client: httpx.AsyncClient,
    browser: httpx.AsyncClient,
    user: Account,
    client_id: str,
    secret: str | None,
) -> str:
    """Sign ``browser`` in to the app through the code flow with ``openid``; the ID token.

    The authorization endpoint records the app in the session's list (session_clients)."""
    body = await tokens(client, browser, client_id, secret, user.username, scope="openid")
    id_token: str = body["id_token"]
    return id_token


async def verified(client: httpx.AsyncClient, token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """(header, claims) of a JWT the app signed, checked against its published JWKS."""
    checked = await verify_jwt(client, token)
    return checked.header, checked.claims


async def confirm_sign_out(
    browser: httpx.AsyncClient, page: httpx.Response, decision: str = "sign_out"
) -> httpx.Response:
    """Press a button of the "Sign out of Stint?" page."""
    assert page.status_code == 200, page.text
    assert "Sign out of Stint?" in page.text
    form = hidden_inputs(page.text)
    assert form.get("csrf_token")
    return await browser.post("/o/logout/", data={**form, "decision": decision})


@dataclass(frozen=True)
class Received:
    path: str
    content_type: str
    form: dict[str, list[str]]

    @property
    def logout_token(self) -> str:
        [token] = self.form["logout_token"]
        return token


class LogoutReceiver:
    """A relying party's back-channel logout endpoint: records each POST and answers with the
    next queued status (200 once the queue is empty)."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.statuses: list[int] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length).decode()
                receiver.received.append(
                    Received(self.path, self.headers.get("Content-Type", ""), parse_qs(body))
                )
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                self.send_header("Cache-Control", "no-store")  # §2.8
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/backchannel-logout"

    async def wait_for(self, count: int) -> list[Received]:
        """The first ``count`` POSTs, once they have arrived (10 seconds at most)."""
        for _ in range(500):
            if len(self.received) >= count:
                return self.received[:count]
            await anyio.sleep(0.02)
        raise AssertionError(f"{len(self.received)} of {count} POSTs arrived")


def serve_logout_receiver() -> Iterator[LogoutReceiver]:
    receiver = LogoutReceiver()
    thread = threading.Thread(target=receiver.server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    yield receiver
    receiver.server.shutdown()
    receiver.server.server_close()
    thread.join(timeout=5)
