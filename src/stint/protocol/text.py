"""Checks on text a request carries, applied before anything is looked up or stored."""

from __future__ import annotations

import re

__all__ = ["has_control_character"]


def has_control_character(value: str) -> bool:
    """Whether ``value`` holds a C0 control character or DEL (NUL among them, which
    PostgreSQL text cannot hold while SQLite stores it: refused alike on both)."""
    return _CONTROL.search(value) is not None


# One C scan, not a Python loop per character: Basic credentials pass here on every token call.
_CONTROL = re.compile("[\x00-\x1f\x7f]")
