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
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from types import FrameType
from typing import Any, Literal

from bench.browser_session import BrowserSession, CodeFlow
from bench.cpu import CpuUse, sample_cpu
from bench.report import format_report
from bench.servers import HttpReply, Server, ServerError, free_port, http_request, read_memory
from bench.wrk import WrkError, WrkResult, run_wrk

__all__ = ["SCENARIOS", "Scenario", "main"]

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "bench" / "results" / "latest.json"
HOST = "127.0.0.1"
USERNAME = "bench"
PASSWORD = "bench passphrase 2026"  # noqa: S105 (a throwaway account in a temporary database)
ACTIVITY_COUNT = 20
MAX_ERRORS = 0
MAX_RSS_MIB = 100.0
# One access token (600 s by default) serves a scenario's warm-up and every round.
MAX_LOAD_SECONDS_PER_SCENARIO = 540

ServerName = Literal["hello", "stint"]
Auth = Literal["none", "bearer", "basic", "client"]
Form = Literal["none", "client_credentials", "introspect", "code_flow"]
Check = Callable[[HttpReply], str | None]  # what is wrong with a sample reply, or None


def _expect_hello(reply: HttpReply) -> str | None:
    return None if reply.body == b"Hello, world!" else f"unexpected body {reply.body[:80]!r}"


def _expect_greeting(reply: HttpReply) -> str | None:
    expected = {"data": f"Hello, {USERNAME}!"}
    return None if reply.json() == expected else f"expected {expected}, got {reply.body[:80]!r}"


def _expect_access_token(reply: HttpReply) -> str | None:
    body = reply.json()
    if body.get("token_type") != "Bearer" or "access_token" not in body:
        return f"expected a token response, got {reply.body[:80]!r}"
    return None


def _expect_active(reply: HttpReply) -> str | None:
    body = reply.json()
    return None if body.get("active") is True else f"expected active, got {reply.body[:80]!r}"


def _expect_id_token(reply: HttpReply) -> str | None:
    body = reply.json()
    if "id_token" not in body or "access_token" not in body:
        return f"expected tokens with an ID token, got {reply.body[:80]!r}"
    return None


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
    form: Form = "none"  # POST this kind of form instead of a GET

    @property
    def method(self) -> str:
        return "GET" if self.form in ("none", "code_flow") else "POST"

    @property
    def label(self) -> str:
        if self.server == "stint":
            return f"{self.method} {self.path}"
        return f"hello-world {self.path}"


# Add a scenario here (the token endpoint, introspection, ...) once its endpoint exists; the
# servers run in the order they first appear, each once, with all of their scenarios.
SCENARIOS: tuple[Scenario, ...] = (
    Scenario("hello", "hello", "/", "none", _expect_hello),
    Scenario("resource", "stint", "/api/resource", "bearer", _expect_greeting, min_rps=15_000),
    Scenario("activities", "stint", "/api/activities", "bearer", _expect_activities, min_rps=4_000),
    Scenario(
        "token",
        "stint",
        "/o/token/",
        "client",
        _expect_access_token,
        min_rps=6_000,
        form="client_credentials",
    ),
    Scenario(
        "introspection",
        "stint",
        "/o/introspect/",
        "client",
        _expect_active,
        min_rps=6_000,
        form="introspect",
    ),
    # Two requests per flow: GET /o/authorize/ (signed in, consent remembered) -> 302 + code,
    # then POST /o/token/ -> access, refresh and ID token. A reference figure: no bar is set.
    Scenario(
        "code_flow",
        "stint",
        "/o/authorize/ + /o/token/",
        "none",
        _expect_id_token,
        form="code_flow",
    ),
)
# The OAuth client the token and introspection scenarios authenticate as: set when seeding.
_CLIENT: dict[str, str] = {}
# The signed-in browser and the web client of the code-flow scenario: set when seeding.
_FLOW: dict[str, Any] = {}
CODE_FLOW_SCRIPT = Path(__file__).with_name("code_flow.lua")
FLOW_REDIRECT_URI = "http://127.0.0.1:9/callback"  # never visited: wrk only reads the Location


@dataclass(frozen=True)
class Round:
    wrk: WrkResult
    cpu: CpuUse

    def as_json(self) -> dict[str, Any]:
        cpu = asdict(self.cpu) | {
            "others_on_server_core_pct": self.cpu.others_on_server_core_pct,
            "others_on_load_core_pct": self.cpu.others_on_load_core_pct,
        }
        return self.wrk.as_json() | {"cpu": cpu}


@dataclass
class Outcome:
    scenario: Scenario
    warmup: WrkResult | None
    rounds: list[Round]
    failures: list[str] = field(default_factory=list)

    @property
    def median(self) -> Round:
        """The round with the median throughput (the upper one of an even count)."""
        ranked = sorted(self.rounds, key=lambda r: r.wrk.requests_per_sec)
        return ranked[len(ranked) // 2]


@dataclass(frozen=True)
class Options:
    duration: int
    warmup: int
    rounds: int
    connections: int
    server_core: int
    load_core: int
    only: tuple[str, ...] = ()  # scenario keys; empty: all of them


class BenchError(RuntimeError):
    """The benchmark cannot run; the message says why and what to do."""


def _parse_args(argv: Sequence[str] | None) -> Options:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    parser.add_argument("--duration", type=int, default=10, help="seconds of measured load")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of unmeasured load first")
    parser.add_argument("--rounds", type=int, default=1, help="measurements per scenario (median)")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections")
    parser.add_argument("--server-core", type=int, default=0, help="the core the server gets")
    parser.add_argument("--load-core", type=int, default=1, help="the core wrk gets")
    keys = ", ".join(s.key for s in SCENARIOS)
    parser.add_argument("--only", default="", help=f"comma-separated scenarios, from: {keys}")
    args = parser.parse_args(argv)
    if args.duration < 1 or args.warmup < 0 or args.rounds < 1:
        parser.error("--duration and --rounds must be at least 1, --warmup at least 0")
    if args.warmup + args.rounds * args.duration > MAX_LOAD_SECONDS_PER_SCENARIO:
        parser.error(
            f"warm-up plus rounds x duration may be at most {MAX_LOAD_SECONDS_PER_SCENARIO} s "
            "per scenario (one access token must last through it)"
        )
    if not 1 <= args.connections <= 1024:
        parser.error("--connections must be between 1 and 1024")
    if args.server_core == args.load_core:
        parser.error("--server-core and --load-core must differ")
    only = tuple(k for k in args.only.split(",") if k)
    if unknown := set(only) - {s.key for s in SCENARIOS}:
        parser.error(f"unknown scenario(s): {', '.join(sorted(unknown))}")
    return Options(
        duration=args.duration,
        warmup=args.warmup,
        rounds=args.rounds,
        connections=args.connections,
        server_core=args.server_core,
        load_core=args.load_core,
        only=only,
    )


def _preflight(options: Options) -> None:
    missing = [tool for tool in ("wrk", "taskset") if shutil.which(tool) is None]
    if missing:
        raise BenchError(
            f"{' and '.join(missing)} not found. On Debian or Ubuntu: "
            "sudo apt-get install -y wrk util-linux  (or `make bench` as root)"
        )
    cores = os.sched_getaffinity(0)
    for core in (options.server_core, options.load_core):
        if core not in cores:
            raise BenchError(f"core {core} is not available here (usable cores: {sorted(cores)})")


def _stint_env(data_dir: Path) -> dict[str, str]:
    """The caller's environment without its STINT_* settings: the defaults, on a fresh folder."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("STINT_")}
    env["STINT_DATA_DIR"] = str(data_dir)
    env["STINT_CONFIG"] = str(data_dir / "absent.toml")  # so no ./stint.toml is read
    return env


def _stint_bin() -> str:
    beside = Path(sys.executable).parent / "stint"
    found = str(beside) if beside.exists() else shutil.which("stint")
    if found is None:
        raise BenchError("the `stint` command is not installed: run `make bench` or `make run`")
    return found


def _server(name: ServerName, tmp: Path, options: Options) -> Server:
    """The server ``name``, on a port free right now, with its data and log in ``tmp``."""
    if name == "hello":
        title = "hello-world app"
        command = [sys.executable, "-m", "uvicorn", "bench.hello_app:app"]
        command += ["--loop", "uvloop", "--http", "httptools", "--no-access-log"]
        command += ["--no-server-header", "--proxy-headers"]  # as `stint serve` sets them
    else:
        title = "stint serve"
        command = [_stint_bin(), "serve", "--no-access-log"]
    port = free_port(HOST)
    return Server(
        title,
        [*command, "--host", HOST, "--port", str(port)],
        host=HOST,
        port=port,
        core=options.server_core,
        env=_stint_env(tmp / "data"),
        cwd=REPO,
        log_path=tmp / f"{name}.log",
    )


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


def _auth_headers(auth: Auth, token: str) -> dict[str, str]:
    if auth == "bearer":
        return {"Authorization": f"Bearer {token}"}
    if auth == "basic":
        pair = base64.b64encode(f"{USERNAME}:{PASSWORD}".encode()).decode()
        return {"Authorization": f"Basic {pair}"}
    if auth == "client":
        pair = base64.b64encode(f"{_CLIENT['id']}:{_CLIENT['secret']}".encode()).decode()
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
    path = "/api/activities"
    for n in range(1, ACTIVITY_COUNT + 1):
        body = {"name": f"Activity {n:02d}"}
        reply = http_request(HOST, server.port, "POST", path, headers=headers, body=body)
        _expect(reply, 201, f"POST {path}")
    # A confidential client acting for the bench user (client_credentials), as an operator makes.
    client_id, secret = _create_client(
        server, "Bench", "--grant-type", "client_credentials", "--owner", USERNAME
    )
    _CLIENT.update(id=client_id, secret=secret)
    _seed_code_flow(server)


def _create_client(server: Server, *args: str) -> tuple[str, str]:
    done = subprocess.run(
        [_stint_bin(), "clients", "create", *args],
        cwd=REPO,
        env=server.env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    client_id = re.search(r"client_id\s+(\S+)", done.stdout)
    secret = re.search(r"client_secret\s+(\S+)", done.stdout)
    if done.returncode != 0 or client_id is None or secret is None:
        raise BenchError(f"`stint clients create` failed:\n{done.stdout}{done.stderr}")
    return client_id.group(1), secret.group(1)


def _seed_code_flow(server: Server) -> None:
    """A web client, the bench user signed in to a browser session, and consent given once."""
    client_id, secret = _create_client(
        server,
        "Bench web app",
        "--redirect-uri",
        FLOW_REDIRECT_URI,
        "--grant-type",
        "authorization_code",
        "--grant-type",
        "refresh_token",
    )
    browser = BrowserSession(HOST, server.port)
    browser.sign_in(USERNAME, PASSWORD)
    flow = CodeFlow(client_id, secret, FLOW_REDIRECT_URI)
    flow.consent(browser)
    _FLOW.update(browser=browser, flow=flow)


def _form(scenario: Scenario, server: Server) -> str | None:
    if scenario.form == "client_credentials":
        return "grant_type=client_credentials"
    if scenario.form == "introspect":
        reply = http_request(
            HOST,
            server.port,
            "POST",
            "/o/token/",
            headers=_auth_headers("client", ""),
            form="grant_type=client_credentials",
        )
        token = _expect(reply, 200, "POST /o/token/").json()["access_token"]
        return f"token={token}"
    return None


@contextmanager
def _running(server: Server) -> Iterator[Server]:
    try:
        server.start()
        if server.affinity() != {server.core}:
            raise ServerError(f"{server.name} runs on cores {server.affinity()}, not {server.core}")
        yield server
    finally:
        server.stop()


def _sample_code_flow(server: Server) -> HttpReply:
    """One whole flow by hand: the code from /o/authorize/, redeemed at /o/token/."""
    flow: CodeFlow = _FLOW["flow"]
    code = flow.next_code(_FLOW["browser"])
    form = f"{flow.token_form}&code={code}"
    headers = {"Authorization": flow.basic_auth}
    return http_request(HOST, server.port, "POST", "/o/token/", headers=headers, form=form)


def _measure(
    scenario: Scenario, server: Server, options: Options, log: Callable[[str], None]
) -> Outcome:
    # A fresh token per scenario, so a long run cannot outlive it.
    headers = _auth_headers(scenario.auth, _new_token(server) if scenario.auth == "bearer" else "")
    form = _form(scenario, server)
    if scenario.form == "code_flow":
        sample = _sample_code_flow(server)
        path = "/"
        flow: CodeFlow = _FLOW["flow"]
        script: Path | None = CODE_FLOW_SCRIPT
        script_args = [
            flow.authorize_path,
            _FLOW["browser"].cookie_header,
            flow.token_form,
            flow.basic_auth,
        ]
    else:
        sample = http_request(
            HOST, server.port, scenario.method, scenario.path, headers=headers, form=form
        )
        path, script, script_args = scenario.path, None, []
    problem = scenario.check(_expect(sample, 200, scenario.label))
    if problem:
        raise ServerError(f"{scenario.label}: {problem}")
    url = f"http://{HOST}:{server.port}{path}"
    pids = server.app_pids()

    def load(seconds: int) -> WrkResult:
        return run_wrk(
            url,
            core=options.load_core,
            connections=options.connections,
            duration=seconds,
            headers=headers,
            form=form,
            script=script,
            script_args=script_args,
        )

    warmup = None
    if options.warmup:
        log(f"  {scenario.label}: warming up for {options.warmup} s")
        warmup = load(options.warmup)
    rounds = []
    for n in range(1, options.rounds + 1):
        of = f" (round {n} of {options.rounds})" if options.rounds > 1 else ""
        log(f"  {scenario.label}: measuring for {options.duration} s{of}")
        before = sample_cpu(pids, options.server_core, options.load_core)
        result = load(options.duration)
        after = sample_cpu(pids, options.server_core, options.load_core)
        rounds.append(Round(result, CpuUse.between(before, after)))
    outcome = Outcome(scenario, warmup, rounds)
    for n, r in enumerate(rounds, 1):
        where = f" in round {n}" if options.rounds > 1 else ""
        if r.wrk.requests == 0:
            outcome.failures.append(f"no request completed{where}")
        if r.wrk.errors > MAX_ERRORS:
            outcome.failures.append(
                f"{r.wrk.errors} errors{where} "
                f"({r.wrk.socket_errors} socket, {r.wrk.non_2xx} status >= 400)"
            )
    rps = outcome.median.wrk.requests_per_sec
    if scenario.min_rps is not None and rps < scenario.min_rps:
        outcome.failures.append(f"{rps:,.0f} req/s < {scenario.min_rps:,.0f}")
    return outcome


def _memory(server: Server) -> dict[str, Any]:
    """The resident memory of the process(es) running the app; the largest one is judged."""
    workers = [read_memory(pid) for pid in server.app_pids()]
    return {
        "server_pid": server.pid,
        "workers": [asdict(w) for w in workers],
        "rss_mib": round(max(w.rss_mib for w in workers), 1),
        "peak_rss_mib": round(max(w.peak_rss_mib for w in workers), 1),
    }


def run_all(options: Options, log: Callable[[str], None]) -> dict[str, Any]:
    """Every scenario, one server at a time; returns the results document."""
    started = datetime.now(UTC)
    load_before = os.getloadavg()
    outcomes: list[Outcome] = []
    memory: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="stint-bench-") as tmp_name:
        tmp = Path(tmp_name)
        chosen = [s for s in SCENARIOS if not options.only or s.key in options.only]
        for name in dict.fromkeys(s.server for s in chosen):  # in order of first use
            server = _server(name, tmp, options)
            if name == "stint":
                log("migrating a fresh database")
                _migrate(server)
            log(f"starting {server.name} on core {server.core}, port {server.port}")
            with _running(server):
                if name == "stint":
                    _seed_stint(server)
                for scenario in (s for s in chosen if s.server == name):
                    outcomes.append(_measure(scenario, server, options, log))
                memory[name] = _memory(server)
    return _document(options, started, load_before, outcomes, memory)


def _versions() -> dict[str, str]:
    found = {}
    for name in ("stint", "starlette", "uvicorn", "uvloop", "httptools", "sqlalchemy", "aiosqlite"):
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "absent"
    return found


def _command_output(*command: str) -> str:
    try:
        done = subprocess.run(
            command, cwd=REPO, capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.SubprocessError):
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
    return {
        "started_at": started.isoformat(timespec="seconds"),
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "git": {
            "commit": _command_output("git", "rev-parse", "HEAD"),
            "dirty": bool(_command_output("git", "status", "--porcelain", "--", "src")),
        },
        "machine": {
            "cpu": _cpu_model(),
            "cores": os.cpu_count(),
            "load_average_before": [round(x, 2) for x in load_before],
            "load_average_after": [round(x, 2) for x in os.getloadavg()],
            "python": platform.python_version(),
            "wrk": _command_output("wrk", "-v").partition("Copyright")[0].strip(),
            "versions": _versions(),
        },
        "options": asdict(options) | {"wrk_threads": 1},
        "scenarios": [
            {
                "key": o.scenario.key,
                "label": o.scenario.label,
                "server": o.scenario.server,
                "path": o.scenario.path,
                "min_rps": o.scenario.min_rps,
                "max_errors": MAX_ERRORS,
                "result": o.median.as_json(),
                "rounds": [r.as_json() for r in o.rounds],
                "warmup": o.warmup.as_json() if o.warmup else None,
                "passed": not o.failures,
                "failures": o.failures,
            }
            for o in outcomes
        ],
        "memory": {
            "servers": memory,
            "max_rss_mib": MAX_RSS_MIB,
            "passed": not rss_failures,
            "failures": rss_failures,
        },
        "passed": not rss_failures and all(not o.failures for o in outcomes),
    }


def _on_sigterm(signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv: Sequence[str] | None = None) -> int:
    options = _parse_args(argv)
    signal.signal(signal.SIGTERM, _on_sigterm)

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    started = time.monotonic()
    try:
        _preflight(options)
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
