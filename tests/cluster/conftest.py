"""A cluster: two `stint serve --workers 2` hosts on one PostgreSQL and one Redis, behind nginx.

nginx (Debian's package; `.ci/run` installs it) runs from a generated configuration in a
temporary folder, round-robin over the two hosts. Without nginx, PostgreSQL or Redis the tests
are skipped locally and fail under ``CI=true``.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis

from stint.storage.database import Database
from stint.storage.migrate import migrate
from tests.conftest import (
    IN_CI,
    LiveServer,
    _create_database,
    _database_url,
    _drop_database,
    _free_port,
    _postgres_reachable,
    _run,
)

REDIS_URL = os.environ.get("STINT_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
REDIRECT_URI = "https://app.example/callback"
KEY_REFRESH_SECONDS = 1
STINT = str(Path(sys.executable).with_name("stint"))


@dataclass(frozen=True)
class Cluster:
    url: str  # nginx: the issuer every host is configured with
    hosts: tuple[str, str]  # each host addressed directly
    operator: LiveServer  # runs the `stint` CLI against the shared database
    client_id: str
    client_secret: str
    access_log: Path  # nginx's: which host served each request

    def upstreams_seen(self) -> set[str]:
        """The hosts (host:port) nginx passed requests to so far."""
        lines = self.access_log.read_text().splitlines()
        return {line.split()[0] for line in lines if line.strip()}


def _missing(what: str) -> None:
    if IN_CI:
        pytest.fail(f"CI=true needs {what} for the cluster tests")
    pytest.skip(f"the cluster tests need {what}")


def _nginx() -> str:
    found = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/sbin")
    if found is None:
        _missing("nginx (apt-get install -y nginx-light)")
    assert found is not None
    return found


def _check_redis() -> None:
    client = redis.Redis.from_url(REDIS_URL, socket_timeout=3)
    try:
        client.ping()
    except (redis.ConnectionError, OSError):
        _missing(f"Redis at {REDIS_URL}")
    finally:
        client.close()


def _nginx_conf(folder: Path, port: int, upstreams: tuple[int, int]) -> Path:
    # Every path nginx writes is in the folder, so it runs as root or not; as root its workers
    # would drop to `nobody`, who cannot enter a pytest folder, so they stay the current user.
    user = "user root;\n" if os.geteuid() == 0 else ""
    temp = "\n".join(
        f"  {kind}_temp_path {folder}/{kind};" for kind in ("client_body", "proxy", "fastcgi")
    )
    conf = folder / "nginx.conf"
    conf.write_text(f"""{user}daemon off;
worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/error.log warn;
events {{ worker_connections 256; }}
http {{
  log_format upstream '$upstream_addr $request_method $uri $status';
  access_log {folder}/access.log upstream;
{temp}
  uwsgi_temp_path {folder}/uwsgi;
  scgi_temp_path {folder}/scgi;
  upstream stint {{
    server 127.0.0.1:{upstreams[0]};
    server 127.0.0.1:{upstreams[1]};
  }}
  server {{
    listen 127.0.0.1:{port};
    location / {{
      proxy_pass http://stint;
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
    }}
  }}
}}
""")
    return conf


def _wait_until_up(url: str, processes: list[subprocess.Popen[bytes]], logs: Path) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(f"{url}/api/openapi.json", timeout=2):  # noqa: S310
                return
        except OSError:
            dead = [p.args for p in processes if p.poll() is not None]
            if dead or time.monotonic() > deadline:
                found = "\n".join(f"{p.name}:\n{p.read_text()}" for p in logs.glob("*.log"))
                raise RuntimeError(f"{url} did not come up (exited: {dead})\n{found}") from None
            time.sleep(0.2)


async def _migrate(url: str) -> None:
    db = Database(url)
    try:
        await migrate(db)
    finally:
        await db.dispose()


def _stop(process: subprocess.Popen[bytes]) -> None:
    # Each server runs in a session of its own: end it and the workers it started.
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


# Not tests.conftest.running_server: that one is a single SQLite host with test-only settings
# (no revocation or client cache), started one at a time; a cluster runs on the defaults.
@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    nginx = _nginx()
    if not _run(_postgres_reachable()):
        _missing("PostgreSQL (STINT_TEST_POSTGRES_URL)")
    _check_redis()
    folder = tmp_path_factory.mktemp("cluster")
    name = f"stint_cluster_{os.getpid()}_{secrets.token_hex(4)}"
    _run(_create_database(name))
    balancer, ports = _free_port(), (_free_port(), _free_port())
    url = f"http://127.0.0.1:{balancer}"
    shared = {k: v for k, v in os.environ.items() if not k.startswith("STINT_")} | {
        "STINT_DATA_DIR": str(folder / "data"),
        "STINT_CONFIG": str(folder / "absent.toml"),
        "STINT_DATABASE_URL": _database_url(name),
        "STINT_REDIS_URL": REDIS_URL,
        "STINT_SECRET_KEY": secrets.token_urlsafe(48),  # the same on every host
        "STINT_ISSUER": url,
        "STINT_WORKERS": "2",
        "STINT_KEY_REFRESH_SECONDS": str(KEY_REFRESH_SECONDS),
    }
    operator = LiveServer(url, shared, folder / "operator.log")
    processes: list[subprocess.Popen[bytes]] = []
    try:
        _run(_migrate(shared["STINT_DATABASE_URL"]))
        for index, port in enumerate(ports):
            log = (folder / f"host{index}.log").open("wb")
            processes.append(
                subprocess.Popen(
                    [STINT, "serve", "--no-access-log", "--port", str(port)],
                    env=shared,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )
            log.close()
        conf = _nginx_conf(folder, balancer, ports)
        nginx_log = (folder / "nginx.log").open("wb")
        processes.append(
            subprocess.Popen(
                [nginx, "-e", str(folder / "error.log"), "-c", str(conf), "-p", str(folder)],
                stdout=nginx_log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        )
        nginx_log.close()
        # The operator registers the app while the hosts start.
        client_id, secret = operator.create_client("Cluster app", "--redirect-uri", REDIRECT_URI)
        assert secret is not None
        hosts = (f"http://127.0.0.1:{ports[0]}", f"http://127.0.0.1:{ports[1]}")
        for address in (*hosts, url):
            _wait_until_up(address, processes, folder)
        yield Cluster(url, hosts, operator, client_id, secret, folder / "access.log")
    finally:
        for process in reversed(processes):
            _stop(process)
        _run(_drop_database(name))
