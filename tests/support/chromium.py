"""One headless Chromium per test session (per xdist worker), a fresh browser context per test.

The browser is Debian's Chromium at /usr/bin/chromium (or ``STINT_CHROMIUM``), which
``scripts/ensure-chromium`` installs; Playwright never downloads one. Without it the browser tests
are skipped locally and fail under ``CI=true``. Playwright connects to it over the DevTools
protocol; a new context has no cookies, storage or cache of any other test's.
"""

from __future__ import annotations

import os
import re
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import (
    Browser as Chromium,
)
from playwright.sync_api import (
    BrowserContext,
    ConsoleMessage,
    Page,
    Playwright,
    Response,
    sync_playwright,
)

from tests.support.processes import stop

__all__ = [
    "CHROMIUM",
    "Browser",
    "browser",
    "chromium",
    "chromium_endpoint",
    "fresh_browser",
    "playwright",
]

IN_CI = os.environ.get("CI", "").lower() == "true"
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
_LISTENING = re.compile(r"DevTools listening on (ws://\S+)")


def _require_chromium() -> None:
    if not CHROMIUM.is_file() or not os.access(CHROMIUM, os.X_OK):
        reason = f"no Chromium at {CHROMIUM}: run scripts/ensure-chromium (or set STINT_CHROMIUM)"
        if IN_CI:
            pytest.fail(f"CI=true needs the browser tests: {reason}")
        pytest.skip(reason)


@pytest.fixture(scope="session")
def chromium_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The DevTools address of a Chromium started once for this worker's browser tests."""
    _require_chromium()
    folder = tmp_path_factory.mktemp("chromium")
    log_path = folder / "chromium.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [
                str(CHROMIUM),
                *CHROMIUM_ARGS,
                "--remote-debugging-address=127.0.0.1",
                "--remote-debugging-port=0",
                f"--user-data-dir={folder / 'profile'}",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
    try:
        deadline = time.monotonic() + 30
        while (found := _LISTENING.search(log_path.read_text())) is None:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"Chromium did not start: {log_path.read_text()}")
            time.sleep(0.05)  # polling a subprocess's log, not waiting in a test
        yield found.group(1)
    finally:
        stop(process)


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    # Module scope: sync Playwright runs an event loop in this thread while it is open, and an
    # open loop would break every asyncio test that runs after the browser tests.
    _require_chromium()
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="module")
def chromium(playwright: Playwright, chromium_endpoint: str) -> Iterator[Chromium]:
    """This module's connection to the worker's Chromium."""
    connected = playwright.chromium.connect_over_cdp(chromium_endpoint)
    try:
        yield connected
    finally:
        connected.close()  # disconnects; the browser stays for the next module


@dataclass
class Browser:
    """One fresh browser context and its page; what went wrong on the pages it showed.

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


@contextmanager
def fresh_browser(chromium: Chromium) -> Iterator[Browser]:
    """A brand-new context: no cookies, no cache, nothing from other tests."""
    context = chromium.new_context(viewport={"width": 1000, "height": 900}, locale="en-GB")
    try:
        context.set_default_timeout(15_000)
        page = context.new_page()
        opened = Browser(context, page)
        page.on("console", opened.record)
        page.on("response", opened.check)
        page.on("pageerror", lambda error: opened.errors.append(str(error)))
        yield opened
    finally:
        context.close()


@pytest.fixture
def browser(chromium: Chromium) -> Iterator[Browser]:
    """A fresh context of the worker's Chromium and its page, for one test."""
    with fresh_browser(chromium) as opened:
        yield opened
