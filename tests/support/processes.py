"""Ending the servers and browsers the tests start as subprocesses."""

from __future__ import annotations

import subprocess

__all__ = ["stop"]


def stop(process: subprocess.Popen[bytes], *, grace_seconds: float = 10) -> None:
    """Ask a process to end (SIGTERM); kill it if it is still there after the grace period."""
    process.terminate()
    try:
        process.wait(timeout=grace_seconds)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
