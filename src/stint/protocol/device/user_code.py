"""User codes people read off a screen and type on another device (RFC 8628 §6.1)."""

from __future__ import annotations

import secrets

__all__ = ["ALPHABET", "LENGTH", "display", "new_user_code", "normalise"]

# §6.1: base-20 without vowels (no words spelled by accident) nor look-alikes (0/O, 1/I).
ALPHABET = "BCDFGHJKLMNPQRSTVWXZ"
LENGTH = 8  # 20**8: about 34.5 bits, enough while guessing is throttled and codes expire (§5.1)
_SEPARATORS = frozenset("- ")
_LONGEST_INPUT = 32  # eight characters and whatever separators a person may type between them


def new_user_code() -> str:
    """A new user code, in its normal form (eight characters of ``ALPHABET``)."""
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def display(code: str) -> str:
    """The code as shown to people: ``XXXX-XXXX`` (§6.1: a separator eases reading)."""
    half = LENGTH // 2
    return f"{code[:half]}-{code[half:]}"


def normalise(entered: str) -> str | None:
    """The normal form of what a person typed, or None when it cannot be a user code.

    §6.1: case does not matter and separators (hyphens, spaces) are ignored; any other
    character makes it no code at all, rather than one matched loosely.
    """
    if len(entered) > _LONGEST_INPUT:
        return None
    kept = [c for c in entered if c not in _SEPARATORS]
    # ASCII first: str.upper would turn some other letters (U+017F, long s) into ours.
    if len(kept) != LENGTH or not all(c.isascii() for c in kept):
        return None
    code = "".join(kept).upper()
    return code if all(c in ALPHABET for c in code) else None
