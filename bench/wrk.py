"""Run wrk pinned to one core and read its report."""

from __future__ import annotations

import json
import re
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

__all__ = ["WrkError", "WrkResult", "parse_wrk_output", "run_wrk"]

# wrk prints durations with these units (src/units.c: us, ms, s, m, h).
_TIME_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}
_REQUESTS_PER_SEC = re.compile(r"^\s*Requests/sec:\s+([\d.]+)\s*$", re.MULTILINE)
_TOTAL = re.compile(r"^\s*(\d+) requests in ([\d.]+)(us|ms|s|m|h),", re.MULTILINE)
_T = r"([\d.]+)(us|ms|s|m|h)"
# "Latency  avg  stdev  max  +/-stdev" in the thread stats (the distribution line has no digits).
_LATENCY = re.compile(rf"^\s*Latency\s+{_T}\s+{_T}\s+{_T}", re.MULTILINE)
_PERCENTILE = re.compile(r"^\s*(50|75|90|99)%\s+([\d.]+)(us|ms|s|m|h)\s*$", re.MULTILINE)
_SOCKET_ERRORS = re.compile(
    r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", re.MULTILINE
)
# wrk counts responses with a status above 399 here, despite the label.
_NON_2XX = re.compile(r"Non-2xx or 3xx responses: (\d+)", re.MULTILINE)


class WrkError(RuntimeError):
    """wrk failed, timed out, or printed a report this module cannot read."""


@dataclass(frozen=True)
class WrkResult:
    """One wrk run: throughput, latency (ms) and every kind of error it counted.

    wrk corrects its latency statistics for coordinated omission (``stats_correct``): a stall of
    S ms adds synthetic samples from S down to the mean interval, so one long stall lifts the
    mean and the high percentiles much more than the few requests it held up. ``max_ms`` is the
    slowest real response.
    """

    requests: int
    seconds: float
    requests_per_sec: float
    mean_ms: float
    max_ms: float
    p50_ms: float
    p75_ms: float
    p90_ms: float
    p99_ms: float
    connect_errors: int
    read_errors: int
    write_errors: int
    timeouts: int
    non_2xx: int

    @property
    def socket_errors(self) -> int:
        return self.connect_errors + self.read_errors + self.write_errors + self.timeouts

    @property
    def errors(self) -> int:
        return self.socket_errors + self.non_2xx

    def as_json(self) -> dict[str, Any]:
        return {**asdict(self), "socket_errors": self.socket_errors, "errors": self.errors}


def _to_ms(value: str, unit: str) -> float:
    return round(float(value) * _TIME_UNITS_MS[unit], 3)


def parse_wrk_output(text: str) -> WrkResult:
    """Read the figures out of wrk's text report (run with ``--latency``)."""
    rps = _REQUESTS_PER_SEC.search(text)
    total = _TOTAL.search(text)
    latency = _LATENCY.search(text)
    percentiles = {m[1]: _to_ms(m[2], m[3]) for m in _PERCENTILE.finditer(text)}
    if (
        rps is None
        or total is None
        or latency is None
        or set(percentiles) != {"50", "75", "90", "99"}
    ):
        raise WrkError(f"cannot read the wrk report:\n{text}")
    socket = _SOCKET_ERRORS.search(text)
    connect, read, write, timeout = (int(g) for g in socket.groups()) if socket else (0, 0, 0, 0)
    non_2xx = _NON_2XX.search(text)
    return WrkResult(
        requests=int(total[1]),
        seconds=_to_ms(total[2], total[3]) / 1000.0,
        requests_per_sec=float(rps[1]),
        mean_ms=_to_ms(latency[1], latency[2]),
        max_ms=_to_ms(latency[5], latency[6]),
        p50_ms=percentiles["50"],
        p75_ms=percentiles["75"],
        p90_ms=percentiles["90"],
        p99_ms=percentiles["99"],
        connect_errors=connect,
        read_errors=read,
        write_errors=write,
        timeouts=timeout,
        non_2xx=int(non_2xx[1]) if non_2xx else 0,
    )


def run_wrk(
    url: str,
    *,
    core: int,
    connections: int,
    duration: int,
    headers: Mapping[str, str] | None = None,
    form: str | None = None,
    script: Path | None = None,
    script_args: Sequence[str] = (),
    wrk: str = "wrk",
) -> WrkResult:
    """Load ``url`` for ``duration`` seconds from one wrk thread pinned to ``core``.

    With ``form``, every request is a POST of that urlencoded body (set by a wrk Lua script);
    with ``script``, that Lua script makes the requests, given ``script_args``.
    """
    command = ["taskset", "-c", str(core), wrk, "-t1", f"-c{connections}", f"-d{duration}s"]
    command += ["--timeout", "2s", "--latency"]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    with tempfile.TemporaryDirectory() as tmp:
        if form is not None:
            post = Path(tmp) / "post.lua"
            post.write_text(
                'wrk.method = "POST"\n'
                f"wrk.body = {json.dumps(form)}\n"
                'wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"\n'
            )
            command += ["-s", str(post)]
        elif script is not None:
            command += ["-s", str(script)]
        command.append(url)
        if script_args:
            command += ["--", *script_args]
        try:
            done = subprocess.run(
                command, capture_output=True, text=True, timeout=duration + 30, check=False
            )
        except subprocess.TimeoutExpired:
            raise WrkError(f"wrk did not finish within {duration + 30} s") from None
    if done.returncode != 0:
        raise WrkError(f"wrk exited with {done.returncode}:\n{done.stdout}{done.stderr}")
    return parse_wrk_output(done.stdout)
