"""TOTP as a second factor: enrolment confirmed by a code, sign-in codes that work once,
recovery codes kept as hashes and used once, and wrong codes throttled per account."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from typing import Protocol

from stint.accounts.ports import CounterStore
from stint.accounts.recovery_codes import looks_like_recovery_code, new_recovery_codes, normalized
from stint.accounts.totp import matching_step, new_totp_secret, otpauth_uri
from stint.protocol.secrets import SecretHasher

__all__ = [
    "CodeCheck",
    "Enrolment",
    "SecondFactorLimits",
    "TotpCredential",
    "TotpService",
    "TotpStore",
    "Verified",
]


@dataclass(frozen=True, slots=True)
class TotpCredential:
    user_id: int
    secret: str  # base32; sealed at rest
    confirmed: bool  # a code was entered: it signs in from now on
    last_step: int  # the newest time-step used: codes of it and before are refused (replay)


class TotpStore(Protocol):
    async def get(self, user_id: int) -> TotpCredential | None: ...

    async def begin(self, user_id: int, secret: str, now: datetime) -> None:
        """Keep an unconfirmed secret for ``user_id``, replacing an earlier unconfirmed one."""
        ...

    async def confirm(self, user_id: int, step: int, recovery_code_hashes: list[str]) -> bool:
        """Make the unconfirmed secret active, with ``step`` used and these recovery codes
        (any earlier ones gone); False when there was none to confirm."""
        ...

    async def use_step(self, user_id: int, step: int) -> bool:
        """Record ``step`` as used, if it is newer than the last used (atomically: of two
        requests with one code, one wins)."""
        ...

    async def use_recovery_code(self, user_id: int, code_hash: str, now: datetime) -> bool:
        """Mark the unused code with this hash used; False when there is none."""
        ...

    async def replace_recovery_codes(self, user_id: int, code_hashes: list[str]) -> None: ...

    async def recovery_codes_left(self, user_id: int) -> int: ...

    async def remove(self, user_id: int) -> None:
        """Forget the secret and the recovery codes."""
        ...


class CodeCheck(Enum):
    OK = "ok"
    WRONG = "wrong"
    THROTTLED = "throttled"


@dataclass(frozen=True, slots=True)
class SecondFactorLimits:
    failures: int = 5  # wrong codes per account and window, then no more tries until it ends
    window_seconds: int = 300


@dataclass(frozen=True, slots=True)
class Enrolment:
    secret: str
    uri: str  # otpauth://


@dataclass(frozen=True, slots=True)
class Verified:
    check: CodeCheck
    method: str = ""  # RFC 8176 §2: "otp"; a recovery code is one too


class TotpService:
    def __init__(
        self,
        store: TotpStore,
        counters: CounterStore,
        hasher: SecretHasher,
        *,
        issuer_name: str = "Stint",
        limits: SecondFactorLimits = SecondFactorLimits(),
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._store = store
        self._counters = counters
        self._hasher = hasher
        self._issuer = issuer_name
        self._limits = limits
        self._clock = clock

    async def enrolled(self, user_id: int) -> bool:
        credential = await self._store.get(user_id)
        return credential is not None and credential.confirmed

    async def start(self, user_id: int, account: str) -> Enrolment:
        """A new secret, not active until ``confirm``; replaces one not confirmed yet."""
        secret = new_totp_secret()
        await self._store.begin(user_id, secret, self._clock())
        return Enrolment(secret, otpauth_uri(secret, account, self._issuer))

    async def pending(self, user_id: int, account: str) -> Enrolment | None:
        """The enrolment begun and not confirmed yet, if any."""
        credential = await self._store.get(user_id)
        if credential is None or credential.confirmed:
            return None
        return Enrolment(credential.secret, otpauth_uri(credential.secret, account, self._issuer))

    async def confirm(self, user_id: int, code: str) -> list[str] | CodeCheck:
        """With a right code, the secret becomes active: the fresh recovery codes (to show
        once); else why not."""
        if await self._throttled(user_id):
            return CodeCheck.THROTTLED
        credential = await self._store.get(user_id)
        step = None
        if credential is not None and not credential.confirmed:
            step = matching_step(credential.secret, code, self._clock())
        if step is None:
            await self._failed(user_id)
            return CodeCheck.WRONG
        codes = new_recovery_codes()
        if not await self._store.confirm(user_id, step, self._hashes(user_id, codes)):
            return CodeCheck.WRONG
        return codes

    async def verify(self, user_id: int, code: str) -> Verified:
        """A sign-in's second factor: a TOTP code not used before, or an unused recovery code."""
        if await self._throttled(user_id):
            return Verified(CodeCheck.THROTTLED)
        credential = await self._store.get(user_id)
        if credential is not None and credential.confirmed:
            step = matching_step(
                credential.secret, code, self._clock(), after_step=credential.last_step
            )
            if step is not None and await self._store.use_step(user_id, step):
                await self._counters.reset(self._key(user_id))
                return Verified(CodeCheck.OK, "otp")
            if looks_like_recovery_code(code):
                code_hash = self._hash(user_id, code)
                if await self._store.use_recovery_code(user_id, code_hash, self._clock()):
                    await self._counters.reset(self._key(user_id))
                    return Verified(CodeCheck.OK, "otp")
        await self._failed(user_id)
        return Verified(CodeCheck.WRONG)

    async def new_recovery_codes(self, user_id: int) -> list[str]:
        """Fresh recovery codes, the old ones no longer working."""
        codes = new_recovery_codes()
        await self._store.replace_recovery_codes(user_id, self._hashes(user_id, codes))
        return codes

    async def recovery_codes_left(self, user_id: int) -> int:
        return await self._store.recovery_codes_left(user_id)

    async def disable(self, user_id: int) -> None:
        """Turn TOTP off (the caller checked a password or a code)."""
        await self._store.remove(user_id)

    def _hash(self, user_id: int, code: str) -> str:
        return self._hasher.hash(f"stint/recovery-code/{user_id}/{normalized(code)}")

    def _hashes(self, user_id: int, codes: list[str]) -> list[str]:
        return [self._hash(user_id, code) for code in codes]

    def _key(self, user_id: int) -> str:
        return f"second-factor:{user_id}"

    async def _throttled(self, user_id: int) -> bool:
        return await self._counters.get(self._key(user_id)) >= self._limits.failures

    async def _failed(self, user_id: int) -> None:
        await self._counters.increment(self._key(user_id), self._limits.window_seconds)
