"""Schemathesis against a real `stint serve`: no server errors, and every answer as documented.

The server runs in a subprocess on SQLite, on a free loopback port. A user, an activity and a
time entry exist before the run, so generated ids and links reach real objects. Schemathesis
generates valid and invalid requests from /api/openapi.json (examples, coverage, fuzzing and
stateful phases, derandomized) and checks that no answer is a 5xx, that each status code, media
type, header and body is the documented one, and that requests the schema forbids are refused.
"""

from __future__ import annotations

import base64
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import BACKENDS, _create_database, _database_url, _drop_database, _run
from tests.support.processes import stop

USERNAME = "fuzzer"
PASSWORD = "a long enough passphrase"
CHECKS = [
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
    "negative_data_rejection",
]
# Fewer on PostgreSQL, whose run is slower: what differs there is what the database refuses.
EXAMPLES_PER_OPERATION = {"sqlite": 60, "postgres": 30}
OPERATIONS = 22
BIN = Path(sys.executable).parent


@dataclass(frozen=True)
class Server:
    base_url: str
    log: Path
    backend: str

    def request(self, method: str, path: str, body: object) -> dict[str, Any]:
        """A JSON request as the fuzzer's user; returns the JSON answer."""
        with httpx.Client(base_url=self.base_url, trust_env=False) as client:
            response = client.request(method, path, json=body, auth=(USERNAME, PASSWORD))
        assert response.is_success, response.text
        answer: dict[str, Any] = response.json()
        return answer


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="module", params=BACKENDS)
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    """A server on SQLite, or on a PostgreSQL database of its own (which refuses some text,
    NUL for one, that SQLite stores: the run must find no 500 on either)."""
    data = tmp_path_factory.mktemp("schemathesis-server")
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("STINT_")} | {
        "STINT_DATA_DIR": str(data),
        "STINT_SECRET_KEY": "schemathesis-" + "s" * 40,
    }
    database = None
    if request.param == "postgres":
        template: str = request.getfixturevalue("postgres_template")
        database = f"stint_schemathesis_{os.getpid()}"
        _run(_create_database(database, template=template))
        env["STINT_DATABASE_URL"] = _database_url(database)
    subprocess.run([BIN / "stint", "migrate"], env=env, check=True, capture_output=True)
    log_path = data / "server.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [
                str(BIN / "stint"),
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--no-access-log",
            ],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            served = Server(f"http://127.0.0.1:{port}", log_path, request.param)
            deadline = time.monotonic() + 30
            while True:
                try:
                    httpx.get(f"{served.base_url}/api/openapi.json", timeout=1, trust_env=False)
                    break
                except httpx.TransportError:
                    if process.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError(log_path.read_text()) from None
                    time.sleep(0.2)
            yield served
        finally:
            stop(process)
            if database is not None:
                _run(_drop_database(database))


def test_schemathesis_finds_no_failures(server: Server, tmp_path: Path) -> None:
    server.request("POST", "/api/users", {"username": USERNAME, "password": PASSWORD})
    activity = server.request("POST", "/api/activities", {"name": "Work"})
    span = {"activity": activity["id"], "start": "2026-03-02T09:00:00+01:00"}
    server.request("POST", "/api/time-entries", {**span, "end": "2026-03-02T10:00:00+01:00"})
    server.request("POST", "/api/activities", {"name": "Study", "colour": "#1e90ff"})
    document = httpx.get(f"{server.base_url}/api/openapi.json", trust_env=False).json()
    assert document["servers"] == [{"url": server.base_url}]  # where Schemathesis sends requests

    report = tmp_path / "report.json"
    credentials = base64.b64encode(f"{USERNAME}:{PASSWORD}".encode()).decode()
    command = [
        str(BIN / "schemathesis"),
        "run",
        f"{server.base_url}/api/openapi.json",
        "--header",
        f"Authorization: Basic {credentials}",
        "--checks",
        ",".join(CHECKS),
        "--max-examples",
        str(EXAMPLES_PER_OPERATION[server.backend]),
        "--generation-deterministic",  # the same cases every run: no seed, no example database
        "--continue-on-failure",
        "--workers",
        "2",
        "--request-timeout",
        "10",
        "--no-color",
        "--report",
        "json",
        "--report-json-path",
        str(report),
    ]
    # Loopback only: no proxy in between.
    env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
    run = subprocess.run(
        command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=240, check=False
    )
    output = run.stdout + run.stderr
    assert report.is_file(), output
    result = json.loads(report.read_text())

    assert result["complete"] is True, output
    assert result["operations"]["tested"] == OPERATIONS, output
    assert result["operations"]["errored"] == 0, output
    assert result["errors"] == [], output
    assert result["failures"] == [], output
    assert result["test_cases"]["with_failures"] == 0, output
    assert result["test_cases"]["errored"] == 0, output
    # Enough cases that the run means something: each operation, many times over.
    enough = EXAMPLES_PER_OPERATION[server.backend] * 2 // 3
    assert result["test_cases"]["generated"] >= OPERATIONS * enough, output
    assert all(p["status"] == "success" for p in result["phases"].values()), result["phases"]
    assert run.returncode == 0, output

    # The server never logged an unhandled error either (a 500 is logged with its traceback).
    log = server.log.read_text()
    assert "Traceback" not in log and "unhandled error" not in log, log[-5000:]
