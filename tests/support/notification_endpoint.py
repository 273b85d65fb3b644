"""A CIBA client's notification endpoint on loopback (CIBA Core §10.2, §10.3): a real HTTP
server in a thread that records each POST (its Bearer token and JSON body) and answers 204, or
the statuses it is told to answer first."""

from __future__ import annotations

import json
import queue
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = ["NotificationEndpoint", "Notified", "notification_endpoint"]


@dataclass(frozen=True)
class Notified:
    """One POST that arrived."""

    path: str
    authorization: str | None
    content_type: str | None
    body: dict[str, Any]


class NotificationEndpoint:
    def __init__(self) -> None:
        self.arrived: queue.Queue[Notified] = queue.Queue()
        self.statuses: list[int] = []  # answered in turn first, then 204
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                endpoint.arrived.put(
                    Notified(
                        self.path,
                        self.headers.get("Authorization"),
                        self.headers.get("Content-Type"),
                        json.loads(raw or b"{}"),
                    )
                )
                status = endpoint.statuses.pop(0) if endpoint.statuses else 204
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/cb"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    def received(self, timeout: float = 10) -> Notified:
        """The next POST, waiting up to ``timeout`` seconds for it."""
        return self.arrived.get(timeout=timeout)

    def nothing_more(self) -> bool:
        return self.arrived.empty()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


@contextmanager
def notification_endpoint() -> Iterator[NotificationEndpoint]:
    endpoint = NotificationEndpoint()
    try:
        yield endpoint
    finally:
        endpoint.close()
