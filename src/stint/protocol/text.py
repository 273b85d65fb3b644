"""Checks on text a request carries, applied before anything is looked up or stored."""

from __future__ import annotations

__all__ = ["has_control_character"]


def has_control_character(value: str) -> bool:
    """Whether ``value`` holds a C0 control character or DEL (NUL among them, which
    PostgreSQL text cannot hold while SQLite stores it: refused alike on both)."""
    return any(ord(c) < 32 or ord(c) == 127 for c in value)
