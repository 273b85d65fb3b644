"""In-memory accounts and social-login stores: the ports of ``stint.accounts.ports`` and
``stint.connectors.ports`` without a database.

tests/storage holds each to the same contract tests as its SQL store, so a fake that drifts
fails; tests/accounts runs the linking rules on them in milliseconds.
"""

from __future__ import annotations

import copy
from collections.abc import Collection
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from stint.accounts.models import LinkedIdentity, User
from stint.accounts.ports import IdentityTakenError, LastIdentityError, UsernameTakenError
from stint.accounts.profile import email_key
from stint.connectors.config import ProviderConfig
from stint.connectors.ports import PendingSignIn, ProviderExistsError
from tests.support.clock import Clock

__all__ = [
    "MemoryUpstreamIdentities",
    "MemoryUpstreamProviders",
    "MemoryUpstreamSignIns",
    "MemoryUserStore",
]

_EPOCH = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


class MemoryUserStore:
    """UserStore; ``identities`` (when given) loses a deleted user's rows, as ON DELETE CASCADE."""

    def __init__(self, clock: Clock | None = None) -> None:
        self.users: dict[int, User] = {}
        self.profiles: dict[int, tuple[dict[str, Any], datetime | None]] = {}
        self.username_keys: dict[int, str] = {}
        self.identities: MemoryUpstreamIdentities | None = None
        self._clock = clock or Clock(_EPOCH)
        self._next_id = 1

    async def add(
        self,
        *,
        username: str,
        username_key: str,
        password_hash: str,
        profile: dict[str, Any] | None = None,
    ) -> User:
        if username_key in self.username_keys.values():
            raise UsernameTakenError(username)
        user = User(self._next_id, username, password_hash, False, self._clock())
        self._next_id += 1
        self.users[user.id] = user
        self.username_keys[user.id] = username_key
        self.profiles[user.id] = (dict(profile or {}), self._clock() if profile else None)
        return user

    async def delete(self, user_id: int) -> bool:
        if self.users.pop(user_id, None) is None:
            return False
        self.profiles.pop(user_id, None)
        self.username_keys.pop(user_id, None)
        if self.identities is not None:
            self.identities.remove_user(user_id)
        return True

    async def by_id(self, user_id: int) -> User | None:
        return self.users.get(user_id)

    async def by_username_key(self, username_key: str) -> User | None:
        found = [i for i, key in self.username_keys.items() if key == username_key]
        return self.users[found[0]] if found else None

    async def update_password_hash(self, user_id: int, password_hash: str) -> None:
        if user_id in self.users:
            self.users[user_id] = replace(self.users[user_id], password_hash=password_hash)

    async def replace_password(self, user_id: int, password_hash: str) -> None:
        await self.update_password_hash(user_id, password_hash)

    async def set_disabled(self, user_id: int, disabled: bool) -> bool:
        if user_id not in self.users:
            return False
        self.users[user_id] = replace(self.users[user_id], disabled=disabled)
        return True

    async def page(self, *, after_id: int = 0, limit: int = 100) -> list[User]:
        return [self.users[i] for i in sorted(self.users) if i > after_id][:limit]

    async def profile(self, user_id: int) -> tuple[str, dict[str, Any], datetime | None] | None:
        user = self.users.get(user_id)
        if user is None or user.disabled:
            return None
        profile, updated_at = self.profiles[user_id]
        return user.username, copy.deepcopy(profile), updated_at

    async def set_profile(self, user_id: int, profile: dict[str, Any]) -> None:
        if user_id in self.users:
            self.profiles[user_id] = (copy.deepcopy(profile), self._clock())

    async def by_email_key(self, email_key_: str) -> list[tuple[User, bool]]:
        found = []
        for user_id in sorted(self.users):
            email = self.profiles[user_id][0].get("email")
            if isinstance(email, str) and email and email_key(email) == email_key_:
                verified = self.profiles[user_id][0].get("email_verified") is True
                found.append((self.users[user_id], verified))
        return found


class MemoryUpstreamIdentities:
    """UpstreamIdentityStore; ``tokens`` kept as given (the SQL store seals them)."""

    def __init__(self, clock: Clock | None = None) -> None:
        self.rows: dict[int, LinkedIdentity] = {}
        self.stored_tokens: dict[int, dict[str, Any]] = {}
        self._clock = clock or Clock(_EPOCH)
        self._next_id = 1

    async def link(
        self,
        user_id: int,
        provider: str,
        uid: str,
        *,
        display: str = "",
        extra_data: dict[str, Any] | None = None,
        tokens: dict[str, Any] | None = None,
    ) -> LinkedIdentity:
        if await self.by_provider_uid(provider, uid) is not None:
            raise IdentityTakenError(f"{provider}:{uid}")
        identity = LinkedIdentity(
            self._next_id,
            provider,
            uid,
            user_id,
            display[:255],
            copy.deepcopy(extra_data or {}),
            self._clock(),
            None,
        )
        self._next_id += 1
        self.rows[identity.id] = identity
        if tokens:
            self.stored_tokens[identity.id] = copy.deepcopy(tokens)
        return identity

    async def by_provider_uid(self, provider: str, uid: str) -> LinkedIdentity | None:
        return next((i for i in self.rows.values() if (i.provider, i.uid) == (provider, uid)), None)

    async def for_user(self, user_id: int) -> list[LinkedIdentity]:
        return [self.rows[i] for i in sorted(self.rows) if self.rows[i].user_id == user_id]

    async def count_for_user(self, user_id: int) -> int:
        return len(await self.for_user(user_id))

    async def update(
        self,
        identity_id: int,
        *,
        display: str,
        extra_data: dict[str, Any],
        tokens: dict[str, Any] | None,
    ) -> None:
        if identity_id not in self.rows:
            return
        self.rows[identity_id] = replace(
            self.rows[identity_id], display=display[:255], extra_data=copy.deepcopy(extra_data)
        )
        if tokens:
            self.stored_tokens[identity_id] = copy.deepcopy(tokens)
        else:
            self.stored_tokens.pop(identity_id, None)

    async def tokens(self, identity_id: int) -> dict[str, Any] | None:
        found = self.stored_tokens.get(identity_id)
        return copy.deepcopy(found) if found is not None else None

    async def touch(self, identity_id: int, used_at: datetime) -> None:
        if identity_id in self.rows:
            self.rows[identity_id] = replace(self.rows[identity_id], last_used_at=used_at)

    async def unlink(
        self,
        user_id: int,
        provider: str,
        uid: str,
        *,
        keep_last: bool,
        usable: Collection[str] | None = None,
    ) -> bool:
        found = await self.by_provider_uid(provider, uid)
        if found is None or found.user_id != user_id:
            return False
        others = [
            i
            for i in self.rows.values()
            if i.user_id == user_id
            and i.id != found.id
            and (usable is None or i.provider in usable)
        ]
        if keep_last and not others:
            raise LastIdentityError(f"{provider}:{uid}")
        del self.rows[found.id]
        self.stored_tokens.pop(found.id, None)
        return True

    def remove_user(self, user_id: int) -> None:
        for identity in [i for i in self.rows.values() if i.user_id == user_id]:
            del self.rows[identity.id]
            self.stored_tokens.pop(identity.id, None)


class MemoryUpstreamSignIns:
    """UpstreamSignInStore, keyed by the state itself (the SQL store keys by its hash)."""

    def __init__(self, clock: Clock | None = None) -> None:
        self.pending: dict[str, tuple[PendingSignIn, datetime]] = {}
        self._clock = clock or Clock(_EPOCH)

    async def put(self, state: str, pending: PendingSignIn, ttl_seconds: int) -> None:
        await self.prune()
        stored = replace(pending, session=copy.deepcopy(pending.session))
        self.pending[state] = (stored, self._clock() + timedelta(seconds=ttl_seconds))

    async def take(self, state: str) -> PendingSignIn | None:
        found = self.pending.pop(state, None)
        if found is None or found[1] <= self._clock():
            return None
        return found[0]

    async def prune(self) -> int:
        expired = [s for s, (_, expires_at) in self.pending.items() if expires_at <= self._clock()]
        for state in expired:
            del self.pending[state]
        return len(expired)


class MemoryUpstreamProviders:
    """UpstreamProviderStore."""

    def __init__(self) -> None:
        self.providers: dict[str, ProviderConfig] = {}

    async def add(self, config: ProviderConfig, *, replace: bool = False) -> None:
        if config.name in self.providers and not replace:
            raise ProviderExistsError(config.name)
        self.providers[config.name] = copy.deepcopy(config)

    async def get(self, name: str) -> ProviderConfig | None:
        return copy.deepcopy(self.providers.get(name))

    async def list_all(self) -> list[ProviderConfig]:
        return [copy.deepcopy(self.providers[n]) for n in sorted(self.providers)]

    async def remove(self, name: str) -> bool:
        return self.providers.pop(name, None) is not None
