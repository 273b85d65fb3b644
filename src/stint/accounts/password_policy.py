"""Which passwords may be chosen (NIST SP 800-63B §5.1.1.2: length and a blocklist, no rules)."""

from __future__ import annotations

from functools import cache

__all__ = ["MAX_LENGTH", "MIN_LENGTH", "password_problem"]

MIN_LENGTH = 8
MAX_LENGTH = 1024


@cache
def _common_passwords() -> frozenset[str]:
    # zxcvbn ships the 30,000 most common passwords from real leaks, most frequent first.
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(password.casefold() for password in FREQUENCY_LISTS["passwords"])


def password_problem(password: str) -> str | None:
    """Why ``password`` may not be used, or None when it may."""
    if len(password) < MIN_LENGTH:
        return f"must be at least {MIN_LENGTH} characters long"
    if len(password) > MAX_LENGTH:
        return f"must be at most {MAX_LENGTH} characters long"
    if password.casefold() in _common_passwords():
        return "is one of the most commonly used passwords; choose another"
    return None
