"""Load-test Stint's hot paths on one core and check them against the bars.

Run from the repository root with the project's Python: ``.venv/bin/python -m bench.run``.
One server at a time runs pinned to ``--server-core``; wrk loads it from ``--load-core``.
Exit status: 0 every bar met, 1 a bar missed, 2 the benchmark could not run, 130 interrupted.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from types import FrameType
from typing import Any, Literal

from bench.servers import HttpReply, Server, ServerError, free_port, http_request, read_memory
from bench.wrk import WrkError, WrkResult, run_wrk

__all__ = ["SCENARIOS", "Scenario", "main"]

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "bench" / "results" / "latest.json"
HOST = "127.0.0.1"
USERNAME = "bench"
PASSWORD = "bench passphrase 2026"  # noqa: S105 (a throwaway account in a temporary database)
ACTIVITY_COUNT = 20
MAX_RSS_MIB = 100.0
MAX_DURATION = 300  # seconds; keeps warm-up plus load inside one access token's 600 s lifetime

ServerName = Literal["hello", "stint"]
Auth = Literal["none", "bearer", "basic"]
Check = Callable[[HttpReply], str | None]  # a problem with a sample reply, or None


def _expect_hello(reply: HttpReply) -> str | None:
    return None if reply.body == b"Hello, world!" else f"unexpected body {reply.body[:80]!r}"


def _expect_greeting(reply: HttpReply) -> str | None:
    expected = {"data": f"Hello, {USERNAME}!"}
    return None if reply.json() == expected else f"expected {expected}, got {reply.body[:80]!r}"


def _expect_activities(reply: HttpReply) -> str | None:
    page = reply.json()
    count = len(page.get("items", []))
    if count != ACTIVITY_COUNT or page.get("next") is not None:
        return f"expected one page of {ACTIVITY_COUNT} activities, got {count} items"
    return None


@dataclass(frozen=True)
class Scenario:
    """One endpoint under load. ``min_rps`` None makes it a reference figure with no bar."""

    key: str
    server: ServerName
    path: str
    auth: Auth
    check: Check
    min_rps: float | None = None

    @property
    def label(self) -> str:
        return f"GET {self.path}" if self.server == "stint" else f"hello-world {self.path}"


# Add a scenario here (the token endpoint, introspection, ...) once its endpoint exists.
SCENARIOS: tuple[Scenario, ...] = (
    Scenario("hello", "hello", "/", "none", _expect_hello),
    Scenario("resource", "stint", "/api/resource", "bearer", _expect_greeting, min_rps=15_000),
    Scenario("activities", "stint", "/api/activities", "bearer", _expect_activities, min_rps=4_000),
)


@dataclass
class Outcome:
    scenario: Scenario
    warmup: WrkResult | None
    result: WrkResult
    failures: list[str] = field(default_factory=list)


@dataclass
class Options:
    duration: int
    warmup: int
    connections: int
    server_core: int
    load_core: int


class BenchError(RuntimeError):
    """The benchmark cannot run; the message says why and what to do."""


def _parse_args(argv: Sequence[str] | None) -> Options:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    parser.add_argument("--duration", type=int, default=10, help="seconds of measured load")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of unmeasured load first")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections")
    parser.add_argument("--server-core", type=int, default=0, help="the core the server gets")
    parser.add_argument("--load-core", type=int, default=1, help="the core wrk gets")
    args = parser.parse_args(argv)
    if not 1 <= args.duration <= MAX_DURATION:
        parser.error(f"--duration must be between 1 and {MAX_DURATION} seconds")
    if not 0 <= args.warmup <= 60:
        parser.error("--warmup must be between 0 and 60 seconds")
    if not 1 <= args.connections <= 1024:
        parser.error("--connections must be between 1 and 1024")
    if args.server_core == args.load_core:
        parser.error("--server-core and --load-core must differ")
    return Options(args.duration, args.warmup, args.connections, args.server_core, args.load_core)


def _preflight(options: Options) -> None:
    missing = [tool for tool in ("wrk", "taskset") if shutil.which(tool) is None]
    if missing:
        raise BenchError(
            f"{' and '.join(missing)} not found. On Debian or Ubuntu: "
            "sudo apt-get install -y wrk util-linux"
        )
    cores = os.sched_getaffinity(0)
    for core in (options.server_core, options.load_core):
        if core not in cores:
            raise BenchError(f"core {core} is not available here (usable cores: {sorted(cores)})")


def _stint_env(data_dir: Path) -> dict[str, str]:
    """The caller's environment without its STINT_* settings: the defaults, on a fresh folder."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("STINT_")}
    env["STINT_DATA_DIR"] = str(data_dir)
    env["STINT_CONFIG"] = str(data_dir / "absent.toml")  # ignore any ./stint.toml
    return env


def _stint_bin() -> str:
    beside = Path(sys.executable).parent / "stint"
    found = str(beside) if beside.exists() else shutil.which("stint")
    if found is None:
        raise BenchError("the `stint` command is not installed: run `make bench` or `make run`")
    return found


def _auth_headers(auth: Auth, token: str) -> dict[str, str]:
    if auth == "bearer":
        return {"Authorization": f"Bearer {token}"}
    if auth == "basic":
        pair = base64.b64encode(f"{USERNAME}:{PASSWORD}".encode()).decode()
        return {"Authorization": f"Basic {pair}"}
    return {}


def _expect(reply: HttpReply, status: int, what: str) -> HttpReply:
    if reply.status != status:
        raise ServerError(f"{what}: expected {status}, got {reply.status} {reply.body[:200]!r}")
    return reply


def _new_token(server: Server) -> str:
    reply = http_request(HOST, server.port, "GET", "/api/token", headers=_auth_headers("basic", ""))
    token: str = _expect(reply, 200, "GET /api/token").json()["token"]
    return token


def _seed_stint(server: Server) -> None:
    """The account and the activities the scenarios read."""
    user = {"username": USERNAME, "password": PASSWORD}
    _expect(http_request(HOST, server.port, "POST", "/api/users", body=user), 201, "register")
    headers = _auth_headers("bearer", _new_token(server))
    for n in range(1, ACTIVITY_COUNT + 1):
        body = {"name": f"Activity {n:02d}"}
        reply = http_request(
            HOST, server.port, "POST", "/api/activities", headers=headers, body=body
        )
        _expect(reply, 201, "POST /api/activities")


@contextmanager
def _running(server: Server) -> Iterator[Server]:
    try:
        server.start()
        if server.affinity() != {server.core}:
            raise ServerError(f"{server.name} runs on cores {server.affinity()}, not {server.core}")
        yield server
    finally:
        server.stop()


def _measure(
    scenario: Scenario, server: Server, token: str, options: Options, log: Callable[[str], None]
) -> Outcome:
    headers = _auth_headers(scenario.auth, token)
    sample = http_request(HOST, server.port, "GET", scenario.path, headers=headers)
    problem = scenario.check(_expect(sample, 200, scenario.label))
    if problem:
        raise ServerError(f"{scenario.label}: {problem}")
    url = f"http://{HOST}:{server.port}{scenario.path}"

    def load(seconds: int) -> WrkResult:
        return run_wrk(
            url,
            core=options.load_core,
            connections=options.connections,
            duration=seconds,
            headers=headers,
        )

    warmup = None
    if options.warmup:
        log(f"  {scenario.label}: warming up for {options.warmup} s")
        warmup = load(options.warmup)
    log(f"  {scenario.label}: measuring for {options.duration} s")
    result = load(options.duration)
    outcome = Outcome(scenario, warmup, result)
    if result.requests == 0:
        outcome.failures.append("no request completed")
    if result.errors:
        outcome.failures.append(
            f"{result.errors} errors ({result.socket_errors} socket, {result.non_2xx} non-2xx)"
        )
    if scenario.min_rps is not None and result.requests_per_sec < scenario.min_rps:
        outcome.failures.append(f"{result.requests_per_sec:,.0f} req/s < {scenario.min_rps:,.0f}")
    return outcome


def _servers(tmp: Path, options: Options) -> dict[ServerName, Server]:
    env = _stint_env(tmp / "data")
    uvicorn_options = ["--loop", "uvloop", "--http", "httptools", "--no-access-log"]
    uvicorn_options += ["--no-server-header", "--proxy-headers"]  # as `stint serve` sets them

    def server(name: ServerName, title: str, command: list[str]) -> Server:
        port = free_port(HOST)
        command += ["--host", HOST, "--port", str(port)]
        return Server(
            title,
            command,
            host=HOST,
            port=port,
            core=options.server_core,
            env=env,
            cwd=REPO,
            log_path=tmp / f"{name}.log",
        )

    return {
        "hello": server(
            "hello",
            "hello-world app",
            [sys.executable, "-m", "uvicorn", "bench.hello_app:app", *uvicorn_options],
        ),
        "stint": server("stint", "stint serve", [_stint_bin(), "serve", "--no-access-log"]),
    }


def _migrate(server: Server) -> None:
    done = subprocess.run(
        [_stint_bin(), "migrate"],
        cwd=REPO,
        env=server.env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if done.returncode != 0:
        raise BenchError(f"`stint migrate` failed:\n{done.stdout}{done.stderr}")


def run_all(options: Options, log: Callable[[str], None]) -> dict[str, Any]:
    """Every scenario, one server at a time; returns the results document."""
    started = datetime.now(UTC)
    load_before = os.getloadavg()
    outcomes: list[Outcome] = []
    memory: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="stint-bench-") as tmp_name:
        tmp = Path(tmp_name)
        servers = _servers(tmp, options)
        for name, server in servers.items():
            scenarios = [s for s in SCENARIOS if s.server == name]
            if not scenarios:
                continue
            if name == "stint":
                log("migrating a fresh database")
                _migrate(server)
            log(f"starting {server.name} on core {server.core}, port {server.port}")
            with _running(server):
                if name == "stint":
                    _seed_stint(server)
                for scenario in scenarios:
                    # A fresh token each time: a long run cannot outlive one.
                    token = _new_token(server) if scenario.auth == "bearer" else ""
                    outcomes.append(_measure(scenario, server, token, options, log))
                pids = server.app_pids()
                memory[name] = {
                    "server_pid": server.pid,
                    "workers": [vars(read_memory(pid)) for pid in pids],
                    "rss_mib": max(read_memory(pid).rss_mib for pid in pids),
                }
    return _document(options, started, load_before, outcomes, memory)


def _versions() -> dict[str, str]:
    found = {}
    for name in ("stint", "starlette", "uvicorn", "uvloop", "httptools", "sqlalchemy", "aiosqlite"):
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "absent"
    return found


def _git(*args: str) -> str:
    try:
        done = subprocess.run(
            ["git", *args], cwd=REPO, capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return done.stdout.strip()


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.partition(":")[2].strip()
    except OSError:
        pass
    return platform.processor()


def _document(
    options: Options,
    started: datetime,
    load_before: tuple[float, float, float],
    outcomes: list[Outcome],
    memory: dict[str, Any],
) -> dict[str, Any]:
    rss = memory.get("stint", {}).get("rss_mib")
    rss_failures = [] if rss is None or rss <= MAX_RSS_MIB else [f"{rss:.1f} MiB > {MAX_RSS_MIB}"]
    wrk_version = subprocess.run(
        ["wrk", "-v"], capture_output=True, text=True, timeout=10, check=False
    ).stdout.splitlines()
    return {
        "started_at": started.isoformat(timespec="seconds"),
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "git": {"commit": _git("rev-parse", "HEAD"), "dirty": bool(_git("status", "--porcelain"))},
        "machine": {
            "cpu": _cpu_model(),
            "cores": os.cpu_count(),
            "load_average_before": list(load_before),
            "python": platform.python_version(),
            "wrk": wrk_version[0] if wrk_version else "",
            "versions": _versions(),
        },
        "options": vars(options) | {"wrk_threads": 1},
        "scenarios": [
            {
                "key": o.scenario.key,
                "label": o.scenario.label,
                "server": o.scenario.server,
                "path": o.scenario.path,
                "min_rps": o.scenario.min_rps,
                "max_errors": 0,
                "result": o.result.as_json(),
                "warmup": o.warmup.as_json() if o.warmup else None,
                "passed": not o.failures,
                "failures": o.failures,
            }
            for o in outcomes
        ],
        "memory": memory
        | {"max_rss_mib": MAX_RSS_MIB, "passed": not rss_failures, "failures": rss_failures},
        "passed": not rss_failures and all(not o.failures for o in outcomes),
    }


def format_report(doc: Mapping[str, Any]) -> str:
    """The results as a table, one row per scenario, then memory and the verdict."""
    header = ("scenario", "req/s", "p50", "p99", "errors", "bar", "result")
    rows = [header]
    for s in doc["scenarios"]:
        r = s["result"]
        bar = f">= {s['min_rps']:,.0f} req/s" if s["min_rps"] is not None else "reference"
        rows.append(
            (
                s["label"],
                f"{r['requests_per_sec']:,.0f}",
                f"{r['p50_ms']:.2f} ms",
                f"{r['p99_ms']:.2f} ms",
                str(r["errors"]),
                bar + ", 0 errors",
                "PASS" if s["passed"] else "FAIL",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    right = {1, 2, 3, 4}
    lines = []
    for n, row in enumerate(rows):
        cells = [
            cell.rjust(width) if i in right else cell.ljust(width)
            for i, (cell, width) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append("  ".join(cells).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    by_key = {s["key"]: s for s in doc["scenarios"]}
    if "hello" in by_key:
        hello = by_key["hello"]["result"]["requests_per_sec"]
        shares = [
            f"{s['label']} {s['result']['requests_per_sec'] / hello:.0%}"
            for s in doc["scenarios"]
            if s["key"] != "hello" and hello
        ]
        lines += ["", f"hello-world reference: {hello:,.0f} req/s; " + ", ".join(shares)]
    mem = doc["memory"]
    for name, figures in mem.items():
        if not isinstance(figures, dict):
            continue
        peak = max(w["peak_rss_mib"] for w in figures["workers"])
        bar = f"bar <= {mem['max_rss_mib']:.0f} MiB  " if name == "stint" else "reference  "
        verdict = ("PASS" if mem["passed"] else "FAIL") if name == "stint" else ""
        lines.append(
            f"{name} worker RSS after load: {figures['rss_mib']:.1f} MiB "
            f"(peak {peak:.1f}, pid {figures['server_pid']})  {bar}{verdict}".rstrip()
        )
    opts = doc["options"]
    lines.append(
        f"{opts['duration']} s per scenario after {opts['warmup']} s warm-up, "
        f"{opts['connections']} connections, server on core {opts['server_core']}, "
        f"wrk on core {opts['load_core']}; load average before: "
        + ", ".join(f"{x:.2f}" for x in doc["machine"]["load_average_before"])
    )
    failures = [f"{s['label']}: {f}" for s in doc["scenarios"] for f in s["failures"]]
    failures += [f"stint RSS: {f}" for f in mem["failures"]]
    lines.append("")
    lines.append("ALL BARS MET" if doc["passed"] else "BARS MISSED:\n  " + "\n  ".join(failures))
    return "\n".join(lines)


def _on_sigterm(signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv: Sequence[str] | None = None) -> int:
    options = _parse_args(argv)
    signal.signal(signal.SIGTERM, _on_sigterm)

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    try:
        _preflight(options)
        started = time.monotonic()
        doc = run_all(options, log)
    except KeyboardInterrupt:
        log("interrupted; servers stopped")
        return 130
    except (BenchError, ServerError, WrkError, OSError, subprocess.SubprocessError) as exc:
        log(f"error: {exc}")
        return 2
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(doc, indent=2) + "\n")
    print(format_report(doc))
    print(f"\n(took {time.monotonic() - started:.0f} s; results in {RESULTS.relative_to(REPO)})")
    return 0 if doc["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
