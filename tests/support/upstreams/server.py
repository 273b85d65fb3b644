"""Serve a fake upstream (an ASGI or a WSGI app) on a free loopback port, in a thread.

Real sockets, so the code under test goes through its real HTTP client and outbound transport.
Start one per module or session (a fixture around ``serve_asgi``): starting costs a few ms.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from operator import attrgetter
from typing import Any, TypeVar
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import uvicorn

__all__ = ["RunningUpstream", "serve_asgi", "serve_fake", "serve_wsgi"]

Fake = TypeVar("Fake")


@dataclass(frozen=True)
class RunningUpstream:
    port: int

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``, without a trailing slash."""
        return f"http://127.0.0.1:{self.port}"


def _listener() -> socket.socket:
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    return sock


class _Server(uvicorn.Server):
    """uvicorn, stopped at once: its main loop polls ``should_exit`` every 0.1 s, which made
    each module's fake take that long to stop; this one waits on an event instead."""

    async def serve(self, sockets: list[socket.socket] | None = None) -> None:
        self._loop = asyncio.get_running_loop()
        self._stopping = asyncio.Event()
        await super().serve(sockets)

    async def main_loop(self) -> None:
        await self.on_tick(0)  # the Date header, as uvicorn sets it
        await self._stopping.wait()

    def stop(self) -> None:
        """From another thread: leave the main loop, then shut down as uvicorn does."""
        self.should_exit = True
        self._loop.call_soon_threadsafe(self._stopping.set)


@contextmanager
def serve_asgi(app: Any) -> Iterator[RunningUpstream]:
    """``app`` served by uvicorn in a thread until the block ends."""
    sock = _listener()
    config = uvicorn.Config(
        app,
        log_level="warning",
        lifespan="off",
        access_log=False,
        # A request the fake holds open (a "slow" upstream) must not delay the test's end.
        timeout_graceful_shutdown=1,
    )
    server = _Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the fake upstream did not start")
        time.sleep(0.001)  # waiting on another thread's start-up, not on the code under test
    try:
        yield RunningUpstream(port=sock.getsockname()[1])
    finally:
        server.stop()
        thread.join(5)
        sock.close()


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """No access log on the test's output."""


@contextmanager
def serve_wsgi(app: Callable[..., Any]) -> Iterator[RunningUpstream]:
    """``app`` (a WSGI callable: oauthlib's server classes live in that world) in a thread."""
    server: WSGIServer = make_server("127.0.0.1", 0, app, handler_class=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    try:
        yield RunningUpstream(port=server.server_port)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@contextmanager
def serve_fake(
    make: Callable[[str], Fake],
    app: Callable[[Fake], Any] = attrgetter("app"),
    *,
    wsgi: bool = False,
) -> Iterator[Callable[[], Fake]]:
    """The fake ``make(url)`` gives, served once (a module fixture) by ``app(fake)`` (ASGI, or
    WSGI), and a function that makes it new in place (for each test), at the same url."""
    fake = make("")
    with (serve_wsgi if wsgi else serve_asgi)(app(fake)) as running:

        def fresh() -> Fake:
            fake.__dict__.update(make(running.url).__dict__)
            return fake

        yield fresh
