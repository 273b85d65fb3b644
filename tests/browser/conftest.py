"""Headless Chromium driven by Playwright, against a live `stint serve`.

The browser is Debian's Chromium at /usr/bin/chromium (or ``STINT_CHROMIUM``), which
``scripts/ensure-chromium`` installs; Playwright never downloads one. Without it, these tests are
skipped locally and fail under ``CI=true``.
"""

from __future__ import annotations

import os
import queue
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import (
    BrowserContext,
    ConsoleMessage,
    Page,
    Playwright,
    Response,
    sync_playwright,
)

from tests.conftest import IN_CI

CHROMIUM = Path(os.environ.get("STINT_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    # Module scope: sync Playwright runs an event loop in this thread while it is open, and an
    # open loop would break every asyncio test that runs after the browser tests.
    if not CHROMIUM.is_file() or not os.access(CHROMIUM, os.X_OK):
        reason = f"no Chromium at {CHROMIUM}: run scripts/ensure-chromium (or set STINT_CHROMIUM)"
        if IN_CI:
            pytest.fail(f"CI=true needs the browser tests: {reason}")
        pytest.skip(reason)
    with sync_playwright() as driver:
        yield driver


@dataclass
class Browser:
    """One fresh Chromium profile and its page; what went wrong on the pages it showed.

    ``errors`` collects console errors (a CSP violation, a script error) and failed loads of
    anything but a page itself (a stylesheet); a page answered 400 on purpose is not an error.
    """

    context: BrowserContext
    page: Page
    errors: list[str] = field(default_factory=list)

    def record(self, message: ConsoleMessage) -> None:
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            self.errors.append(f"{message.text} ({message.location.get('url', '')})")

    def check(self, response: Response) -> None:
        request = response.request
        if (
            response.status >= 400
            and request.resource_type != "document"
            and not request.url.endswith("/favicon.ico")
        ):
            self.errors.append(f"{request.resource_type} {request.url}: {response.status}")


@pytest.fixture
def browser(playwright: Playwright, tmp_path: Path) -> Iterator[Browser]:
    """Chromium with a brand-new user data dir: no cookies, no cache, nothing from other tests."""
    context = playwright.chromium.launch_persistent_context(
        tmp_path / "chromium-profile",
        executable_path=str(CHROMIUM),
        headless=True,
        args=CHROMIUM_ARGS,
        viewport={"width": 1000, "height": 900},
        locale="en-GB",
    )
    context.set_default_timeout(15_000)
    page = context.pages[0] if context.pages else context.new_page()
    opened = Browser(context, page)
    page.on("console", opened.record)
    page.on("response", opened.check)
    page.on("pageerror", lambda error: opened.errors.append(str(error)))
    try:
        yield opened
    finally:
        context.close()


class Callback:
    """An OAuth client's redirect URI on loopback (RFC 8252 §7.3): records what arrives."""

    def __init__(self) -> None:
        self.queries: queue.Queue[dict[str, list[str]]] = queue.Queue()
        callback = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                if parts.path != "/callback":
                    self.send_error(404)
                    return
                callback.queries.put(parse_qs(parts.query))
                body = b"<!doctype html><title>Back in the app</title><h1>Back in the app</h1>"
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.redirect_uri = f"http://127.0.0.1:{self._server.server_address[1]}/callback"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def received(self, timeout: float = 10) -> dict[str, str]:
        """The query of the next request to the redirect URI, one value per parameter."""
        query = self.queries.get(timeout=timeout)
        assert all(len(values) == 1 for values in query.values()), query
        return {name: values[0] for name, values in query.items()}

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


@pytest.fixture
def callback() -> Iterator[Callback]:
    server = Callback()
    try:
        yield server
    finally:
        server.close()
