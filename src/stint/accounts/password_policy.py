"""Which passwords may be chosen (NIST SP 800-63B §5.1.1.2: length and a blocklist, no rules)."""

from __future__ import annotations

import importlib.util
from functools import cache
from pathlib import Path
from typing import Any

__all__ = ["MAX_LENGTH", "MIN_LENGTH", "password_problem"]

MIN_LENGTH = 8
MAX_LENGTH = 1024


@cache
def _common_passwords() -> frozenset[str]:
    """zxcvbn's list of the 30,000 most common passwords from real leaks.

    Only its data file is loaded: importing the package would also build zxcvbn's matchers, and
    keep ~15 MiB of other word lists in every worker.
    """
    spec = importlib.util.find_spec("zxcvbn")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the zxcvbn package is missing")
    path = Path(next(iter(spec.submodule_search_locations))) / "frequency_lists.py"
    namespace: dict[str, Any] = {}
    exec(compile(path.read_bytes(), str(path), "exec"), namespace)  # noqa: S102 (installed data)
    return frozenset(password.casefold() for password in namespace["FREQUENCY_LISTS"]["passwords"])


def password_problem(password: str) -> str | None:
    """Why ``password`` may not be used, or None when it may."""
    if len(password) < MIN_LENGTH:
        return f"must be at least {MIN_LENGTH} characters long"
    if len(password) > MAX_LENGTH:
        return f"must be at most {MAX_LENGTH} characters long"
    if password.casefold() in _common_passwords():
        return "is one of the most commonly used passwords; choose another"
    return None
