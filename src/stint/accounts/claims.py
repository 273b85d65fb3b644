"""The OpenID Connect claims of an account: its profile, plus what every account has."""

from __future__ import annotations

from typing import Any

from stint.accounts.ports import UserStore
from stint.accounts.profile import ProfileError, checked_profile

__all__ = ["AccountClaims"]


class AccountClaims:
    """ClaimsSource (stint.protocol.oidc.ports) over the user store."""

    def __init__(self, users: UserStore) -> None:
        self._users = users

    async def claims(self, user_id: int) -> dict[str, Any]:
        found = await self._users.profile(user_id)
        if found is None:
            return {}
        username, profile, updated_at = found
        claims: dict[str, Any] = {**profile, "preferred_username": username}
        if updated_at is not None:
            claims["updated_at"] = int(updated_at.timestamp())  # §5.1: seconds since the epoch
        return claims

    async def update(self, user_id: int, changes: dict[str, Any]) -> dict[str, Any]:
        """Apply ``changes`` to the profile; a changed email is no longer verified."""
        found = await self._users.profile(user_id)
        if found is None:
            raise ProfileError({"user": "no such active user"})
        current = found[1]
        merged = {**current, **changes}
        if "email" in changes and changes.get("email") != current.get("email"):
            merged["email_verified"] = bool(changes.get("email_verified", False))
        if "phone_number" in changes and changes.get("phone_number") != current.get("phone_number"):
            merged["phone_number_verified"] = bool(changes.get("phone_number_verified", False))
        profile = checked_profile(merged)
        await self._users.set_profile(user_id, profile)
        return profile
