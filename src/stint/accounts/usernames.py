"""Username rules: what may be registered, and the key that makes uniqueness case-insensitive."""

from __future__ import annotations

import re
import unicodedata

__all__ = ["MAX_LENGTH", "MIN_LENGTH", "username_key", "username_problem"]

MIN_LENGTH = 3
MAX_LENGTH = 32
_ALLOWED = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*\Z")


def username_problem(username: str) -> str | None:
    """Why ``username`` cannot be registered, or None when it can."""
    if not MIN_LENGTH <= len(username) <= MAX_LENGTH:
        return f"must be {MIN_LENGTH} to {MAX_LENGTH} characters long"
    if not _ALLOWED.match(username):
        return (
            "may hold only ASCII letters, digits, '.', '_' and '-', "
            "and must start with a letter or digit"
        )
    return None


def username_key(username: str) -> str:
    """The form usernames are compared in: NFKC case-folded, so 'Alice' and 'ALICE' collide."""
    return unicodedata.normalize("NFKC", username).casefold()
