"""Time-based one-time passwords (RFC 6238): the shared secret, the otpauth URI an authenticator
app reads, and which time-step a code belongs to (pyotp computes the codes)."""

from __future__ import annotations

import hmac
import re
from datetime import datetime

import pyotp

__all__ = [
    "DIGITS",
    "DRIFT_STEPS",
    "STEP_SECONDS",
    "matching_step",
    "new_totp_secret",
    "otpauth_uri",
]

STEP_SECONDS = 30  # RFC 6238 §5.2: the recommended time-step X
DIGITS = 6
# RFC 6238 §5.2: accept one step either side, for clock drift and the time it takes to type.
DRIFT_STEPS = 1
_CODE = re.compile(r"[0-9]{6}\Z")


def new_totp_secret() -> str:
    """A random 160-bit secret, base32 (RFC 4226 §4 R6: 160 bits recommended)."""
    return pyotp.random_base32(length=32)


def otpauth_uri(secret: str, account: str, issuer: str) -> str:
    """The ``otpauth://totp/...`` URI authenticator apps read (Google Authenticator's format)."""
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS).provisioning_uri(
        name=account, issuer_name=issuer
    )


def matching_step(secret: str, code: str, now: datetime, *, after_step: int = -1) -> int | None:
    """The time-step ``code`` is right for, within the drift window around ``now``; only steps
    after ``after_step``, the last one used: a code works once (RFC 6238 §5.2). None otherwise."""
    code = code.strip().replace(" ", "")
    if not _CODE.match(code):
        return None
    totp = pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS)
    current = int(now.timestamp()) // STEP_SECONDS
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if step > after_step and hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None
