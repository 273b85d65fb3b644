"""Where the CPU time went during a measurement: the server, its core, the load core."""

from __future__ import annotations

import os
import resource
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = ["CpuSample", "CpuUse", "sample_cpu"]

_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class _CoreTimes:
    busy: int  # ticks: everything but idle and iowait, steal included
    steal: int
    total: int


def _core_times(core: int) -> _CoreTimes:
    for line in Path("/proc/stat").read_text().splitlines():
        name, *fields = line.split()
        if name == f"cpu{core}":
            # user nice system idle iowait irq softirq steal (guest time is inside user)
            user, nice, system, idle, iowait, irq, softirq, steal = (int(f) for f in fields[:8])
            busy = user + nice + system + irq + softirq + steal
            return _CoreTimes(busy=busy, steal=steal, total=busy + idle + iowait)
    raise OSError(f"no cpu{core} in /proc/stat")


def _process_ticks(pid: int) -> int:
    # The command name (field 2) may hold spaces: split after its closing parenthesis.
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return int(fields[11]) + int(fields[12])  # utime + stime, every thread included


def _children_seconds() -> float:
    # Finished children only: the wrk run that ended between two samples, not the servers.
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


@dataclass(frozen=True)
class CpuSample:
    at: float
    process_ticks: int
    children_seconds: float
    server_core: _CoreTimes
    load_core: _CoreTimes


def sample_cpu(pids: Sequence[int], server_core: int, load_core: int) -> CpuSample:
    return CpuSample(
        at=time.monotonic(),
        process_ticks=sum(_process_ticks(pid) for pid in pids),
        children_seconds=_children_seconds(),
        server_core=_core_times(server_core),
        load_core=_core_times(load_core),
    )


@dataclass(frozen=True)
class CpuUse:
    """Percentages of one core over one measurement.

    A server below ~95 % was not the bottleneck. A core much busier than what we ran on it means
    other processes shared it (or the hypervisor stole it), and the figures are not reliable.
    """

    server_pct: float
    server_core_busy_pct: float
    server_core_steal_pct: float
    wrk_pct: float
    load_core_busy_pct: float

    @property
    def others_on_server_core_pct(self) -> float:
        return round(max(self.server_core_busy_pct - self.server_pct, 0.0), 1)

    @property
    def others_on_load_core_pct(self) -> float:
        return round(max(self.load_core_busy_pct - self.wrk_pct, 0.0), 1)

    @classmethod
    def between(cls, before: CpuSample, after: CpuSample) -> CpuUse:
        wall = max(after.at - before.at, 1e-9)

        def pct(part: int, whole: int) -> float:
            return round(100.0 * part / whole, 1) if whole > 0 else 0.0

        server = before.server_core, after.server_core
        load = before.load_core, after.load_core
        server_total = server[1].total - server[0].total
        return cls(
            server_pct=round(
                100.0 * (after.process_ticks - before.process_ticks) / _TICKS / wall, 1
            ),
            server_core_busy_pct=pct(server[1].busy - server[0].busy, server_total),
            server_core_steal_pct=pct(server[1].steal - server[0].steal, server_total),
            wrk_pct=round(100.0 * (after.children_seconds - before.children_seconds) / wall, 1),
            load_core_busy_pct=pct(load[1].busy - load[0].busy, load[1].total - load[0].total),
        )
