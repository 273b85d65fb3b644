"""Recovery codes: single-use codes that stand in for a lost second factor, shown once and
kept only as hashes."""

from __future__ import annotations

import re
import secrets

__all__ = ["RECOVERY_CODE_COUNT", "looks_like_recovery_code", "new_recovery_codes", "normalized"]

RECOVERY_CODE_COUNT = 10
# No 0/o, 1/l/i: read off paper and typed back. 31 symbols x 10: about 49 bits each.
_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"
_LENGTH = 10
_SHAPE = re.compile(rf"[{_ALPHABET}]{{{_LENGTH}}}\Z")


def new_recovery_codes(count: int = RECOVERY_CODE_COUNT) -> list[str]:
    """``count`` fresh codes, ``xxxxx-xxxxx``."""
    codes = []
    for _ in range(count):
        raw = "".join(secrets.choice(_ALPHABET) for _ in range(_LENGTH))
        codes.append(f"{raw[:5]}-{raw[5:]}")
    return codes


def normalized(code: str) -> str:
    """The code as stored (hashed): lower case, without dashes or spaces."""
    return re.sub(r"[\s-]", "", code).lower()


def looks_like_recovery_code(code: str) -> bool:
    return bool(_SHAPE.match(normalized(code)))
