"""Start a server pinned to one core, wait for it, read its memory, and always stop it."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import signal
import socket
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["HttpReply", "Server", "ServerError", "free_port", "http_request", "read_memory"]

STOP_GRACE_SECONDS = 10.0


class ServerError(RuntimeError):
    """A server did not start, did not answer, or answered wrongly."""


def free_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on right now (the kernel picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass(frozen=True)
class HttpReply:
    status: int
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def http_request(
    host: str,
    port: int,
    method: str,
    path: str,
    *,
    headers: Mapping[str, str] | None = None,
    body: Any = None,
    form: str | None = None,
    timeout: float = 10.0,
) -> HttpReply:
    """One request on a fresh loopback connection; ``body`` as JSON, or ``form`` urlencoded."""
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        all_headers = dict(headers or {})
        payload = None
        if form is not None:
            payload = form.encode()
            all_headers["Content-Type"] = "application/x-www-form-urlencoded"
        elif body is not None:
            payload = json.dumps(body).encode()
            all_headers["Content-Type"] = "application/json"
        conn.request(method, path, body=payload, headers=all_headers)
        response = conn.getresponse()
        return HttpReply(response.status, response.read())
    finally:
        conn.close()


@dataclass(frozen=True)
class Memory:
    """Resident memory of one process, in MiB: now (VmRSS) and its peak (VmHWM)."""

    pid: int
    rss_mib: float
    peak_rss_mib: float


def read_memory(pid: int) -> Memory:
    fields: dict[str, float] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            fields[name] = int(value.split()[0]) / 1024  # the kernel reports kB
    return Memory(pid=pid, rss_mib=fields["VmRSS"], peak_rss_mib=fields["VmHWM"])


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(OSError):
            found += [int(p) for p in (task / "children").read_text().split()]
    return found


def _descendants(pid: int) -> list[int]:
    found: list[int] = []
    for child in _children(pid):
        found += [child, *_descendants(child)]
    return found


class Server:
    """One server process pinned to ``core`` in its own session, logging to ``log_path``."""

    def __init__(
        self,
        name: str,
        command: Sequence[str],
        *,
        host: str,
        port: int,
        core: int,
        env: Mapping[str, str],
        cwd: Path,
        log_path: Path,
    ) -> None:
        self.name = name
        self.command = ["taskset", "-c", str(core), *command]
        self.host = host
        self.port = port
        self.core = core
        self.env = dict(env)
        self.cwd = cwd
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        if self.process is None:
            raise ServerError(f"{self.name} is not running")
        return self.process.pid

    def start(self, ready_timeout: float = 30.0) -> None:
        """Start the server and return once it answers HTTP, or raise ServerError."""
        with self.log_path.open("ab") as log:
            # A session of its own: a Ctrl-C in the terminal reaches only us, and we stop it.
            self.process = subprocess.Popen(
                self.command,
                cwd=self.cwd,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + ready_timeout
        while True:
            if self.process.poll() is not None:
                raise ServerError(
                    f"{self.name} exited with {self.process.returncode} while starting:\n"
                    + self.log_tail()
                )
            try:
                http_request(self.host, self.port, "GET", "/", timeout=1.0)
                return
            except OSError:
                if time.monotonic() > deadline:
                    raise ServerError(
                        f"{self.name} did not answer within {ready_timeout:.0f} s:\n"
                        + self.log_tail()
                    ) from None
                time.sleep(0.1)

    def app_pids(self) -> list[int]:
        """The processes that run the app: the server itself, or its workers when it has some."""
        return _descendants(self.pid) or [self.pid]

    def affinity(self) -> set[int]:
        return os.sched_getaffinity(self.pid)

    def log_tail(self, lines: int = 30) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        """SIGTERM the server's process group, then SIGKILL it if it lingers. Safe to repeat."""
        process, self.process = self.process, None
        if process is None:
            return
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=STOP_GRACE_SECONDS)
        # Whatever is left in its group (workers, or the server itself after the grace time).
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
