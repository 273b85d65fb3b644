"""The accounts seen from the OAuth core: the UserDirectory port over AccountService."""

from __future__ import annotations

from stint.accounts.service import AccountService, AuthStatus

__all__ = ["AccountDirectory"]


class AccountDirectory:
    def __init__(self, accounts: AccountService) -> None:
        self._accounts = accounts

    async def active_username(self, user_id: int) -> str | None:
        user = await self._accounts.active_user(user_id)
        return user.username if user is not None else None

    async def check_password(self, username: str, password: str, ip: str) -> int | None:
        result = await self._accounts.authenticate(username, password, ip)
        if result.status is AuthStatus.OK and result.user is not None:
            return result.user.id
        return None
