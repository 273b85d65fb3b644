"""Headless Chromium driven by Playwright, against a live `stint serve`. The ``browser`` fixture
(a fresh context of one Chromium per worker) comes from tests.support.chromium."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.support.chromium import Browser

__all__ = ["Browser", "Callback"]


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
