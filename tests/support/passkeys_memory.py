"""In-memory fakes of the passkey ports, held to the same contract tests as the SQL stores."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from stint.accounts.passkeys import Challenge, NewPasskey, Passkey, PasskeyTakenError
from tests.support.clock import Clock

__all__ = ["MemoryChallenges", "MemoryPasskeys"]


class MemoryPasskeys:
    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._rows: dict[int, Passkey] = {}
        self._next = 1

    async def add(self, passkey: NewPasskey) -> Passkey:
        if any(p.credential_id == passkey.credential_id for p in self._rows.values()):
            raise PasskeyTakenError
        stored = Passkey(
            id=self._next,
            user_id=passkey.user_id,
            credential_id=passkey.credential_id,
            public_key=passkey.public_key,
            sign_count=passkey.sign_count,
            transports=passkey.transports,
            name=passkey.name[:64],
            device_bound=passkey.device_bound,
            created_at=self._clock(),
        )
        self._rows[stored.id] = stored
        self._next += 1
        return stored

    async def for_user(self, user_id: int) -> list[Passkey]:
        return [p for _, p in sorted(self._rows.items()) if p.user_id == user_id]

    async def by_credential_id(self, credential_id: bytes) -> Passkey | None:
        return next((p for p in self._rows.values() if p.credential_id == credential_id), None)

    async def record_use(
        self, passkey_id: int, seen_count: int, new_count: int, used_at: datetime
    ) -> bool:
        passkey = self._rows.get(passkey_id)
        if passkey is None or passkey.sign_count != seen_count:
            return False
        self._rows[passkey_id] = replace(passkey, sign_count=new_count, last_used_at=used_at)
        return True

    async def remove(self, user_id: int, passkey_id: int) -> bool:
        passkey = self._rows.get(passkey_id)
        if passkey is None or passkey.user_id != user_id:
            return False
        del self._rows[passkey_id]
        return True


class MemoryChallenges:
    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._rows: dict[bytes, Challenge] = {}

    async def put(
        self, challenge: bytes, purpose: str, user_id: int | None, ttl_seconds: int
    ) -> None:
        expires_at = self._clock() + timedelta(seconds=ttl_seconds)
        self._rows[challenge] = Challenge(purpose, user_id, expires_at)

    async def take(self, challenge: bytes) -> Challenge | None:
        issued = self._rows.pop(challenge, None)
        if issued is None or issued.expires_at <= self._clock():
            return None
        return issued
