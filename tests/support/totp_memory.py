"""In-memory fake of the TotpStore port (stint.accounts.second_factor), held to the same tests
as SqlTotpStore (tests/storage/test_totp_store.py)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from stint.accounts.second_factor import TotpCredential

__all__ = ["MemoryTotpStore"]


class MemoryTotpStore:
    def __init__(self) -> None:
        self.credentials: dict[int, TotpCredential] = {}
        self.recovery: dict[int, dict[str, datetime | None]] = {}

    async def get(self, user_id: int) -> TotpCredential | None:
        return self.credentials.get(user_id)

    async def begin(self, user_id: int, secret: str, now: datetime) -> None:
        current = self.credentials.get(user_id)
        if current is None or not current.confirmed:
            self.credentials[user_id] = TotpCredential(user_id, secret, False, 0)

    async def confirm(self, user_id: int, step: int, recovery_code_hashes: list[str]) -> bool:
        current = self.credentials.get(user_id)
        if current is None or current.confirmed:
            return False
        self.credentials[user_id] = replace(current, confirmed=True, last_step=step)
        await self.replace_recovery_codes(user_id, recovery_code_hashes)
        return True

    async def use_step(self, user_id: int, step: int) -> bool:
        current = self.credentials.get(user_id)
        if current is None or not current.confirmed or current.last_step >= step:
            return False
        self.credentials[user_id] = replace(current, last_step=step)
        return True

    async def use_recovery_code(self, user_id: int, code_hash: str, now: datetime) -> bool:
        codes = self.recovery.get(user_id, {})
        if code_hash not in codes or codes[code_hash] is not None:
            return False
        codes[code_hash] = now
        return True

    async def replace_recovery_codes(self, user_id: int, code_hashes: list[str]) -> None:
        self.recovery[user_id] = dict.fromkeys(code_hashes)

    async def recovery_codes_left(self, user_id: int) -> int:
        return sum(1 for used in self.recovery.get(user_id, {}).values() if used is None)

    async def remove(self, user_id: int) -> None:
        self.credentials.pop(user_id, None)
        self.recovery.pop(user_id, None)
