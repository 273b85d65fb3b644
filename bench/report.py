"""The results document as text: a table per scenario, memory, CPU use and the verdict."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["NOISE_PCT", "format_report"]

# Busy time on a benchmark core beyond what the server or wrk used, that marks a run as noisy.
NOISE_PCT = 10


def _table(rows: Sequence[Sequence[str]], right: set[int]) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for n, row in enumerate(rows):
        cells = [
            cell.rjust(width) if i in right else cell.ljust(width)
            for i, (cell, width) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append("  ".join(cells).rstrip())
        if n == 0:
            lines.append("  ".join("-" * width for width in widths))
    return lines


def _bar(scenario: Mapping[str, Any]) -> str:
    errors = f"{scenario['max_errors']} errors"
    if scenario["min_rps"] is None:
        return f"reference, {errors}"
    return f">= {scenario['min_rps']:,.0f} req/s, {errors}"


def format_report(doc: Mapping[str, Any]) -> str:
    scenarios = doc["scenarios"]
    rows = [("scenario", "req/s", "p50", "p99", "max", "errors", "bar", "result")]
    for s in scenarios:
        r = s["result"]
        errors = sum(round_["errors"] for round_ in s["rounds"])
        rows.append(
            (
                s["label"],
                f"{r['requests_per_sec']:,.0f}",
                f"{r['p50_ms']:.2f} ms",
                f"{r['p99_ms']:.2f} ms",
                f"{r['max_ms']:.1f} ms",
                str(errors),
                _bar(s),
                "PASS" if s["passed"] else "FAIL",
            )
        )
    lines = _table(rows, right={1, 2, 3, 4, 5})

    hello = next((s for s in scenarios if s["key"] == "hello"), None)
    if hello is not None and hello["result"]["requests_per_sec"]:
        reference = hello["result"]["requests_per_sec"]
        shares = ", ".join(
            f"{s['label']} {s['result']['requests_per_sec'] / reference:.0%}"
            for s in scenarios
            if s is not hello
        )
        lines += ["", f"hello-world reference: {reference:,.0f} req/s; relative to it: {shares}"]

    memory = doc["memory"]
    for name, figures in memory["servers"].items():
        judged = name == "stint"
        bar = f"bar <= {memory['max_rss_mib']:.0f} MiB  " if judged else "reference"
        verdict = ("PASS" if memory["passed"] else "FAIL") if judged else ""
        lines.append(
            f"{name} worker RSS after load: {figures['rss_mib']:.1f} MiB "
            f"(peak {figures['peak_rss_mib']:.1f}, pid {figures['server_pid']})  {bar}{verdict}"
        )

    opts = doc["options"]
    cores = f"server on core {opts['server_core']}, wrk on core {opts['load_core']}"
    lines += ["", f"CPU while measuring ({cores}), in % of one core:"]
    noisy = []
    for s in scenarios:
        for n, round_ in enumerate(s["rounds"], 1):
            cpu = round_["cpu"]
            others = max(cpu["others_on_server_core_pct"], cpu["others_on_load_core_pct"])
            if others > NOISE_PCT:
                noisy.append(f"{s['label']}{f' round {n}' if len(s['rounds']) > 1 else ''}")
        cpu = s["result"]["cpu"]
        lines.append(
            f"  {s['label']}: server {cpu['server_pct']:.0f}, wrk {cpu['wrk_pct']:.0f}; "
            f"other work on the server core {cpu['others_on_server_core_pct']:.0f} "
            f"(steal {cpu['server_core_steal_pct']:.0f}), "
            f"on the load core {cpu['others_on_load_core_pct']:.0f}"
        )
    if noisy:
        lines.append(
            f"  WARNING: other processes took more than {NOISE_PCT}% of a benchmark core during "
            f"{', '.join(noisy)}: those figures are low; rerun on a quiet machine"
        )
    median = f"median of {opts['rounds']} rounds of " if opts["rounds"] > 1 else ""
    load = doc["machine"]["load_average_before"]
    lines.append(
        f"{median}{opts['duration']} s per scenario after {opts['warmup']} s warm-up, "
        f"{opts['connections']} connections; load average before: "
        + ", ".join(f"{x:.2f}" for x in load)
    )

    failures = [f"{s['label']}: {f}" for s in scenarios for f in s["failures"]]
    failures += [f"stint RSS: {f}" for f in memory["failures"]]
    lines.append("")
    lines.append("ALL BARS MET" if doc["passed"] else "BARS MISSED:\n  " + "\n  ".join(failures))
    return "\n".join(lines)
