"""Account use cases: register, authenticate with a password, look up active users."""

from __future__ import annotations

import hashlib
import hmac
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Any

import anyio
import anyio.to_thread

from stint.accounts.models import User
from stint.accounts.password_policy import password_problem
from stint.accounts.passwords import (
    PasswordHashing,
    PasswordVerdict,
    is_usable_password_hash,
    unusable_password_hash,
)
from stint.accounts.ports import UserStore
from stint.accounts.throttle import LoginThrottle
from stint.accounts.usernames import username_key, username_problem
from stint.protocol.refreshing_cache import RefreshingCache

__all__ = [
    "AccountService",
    "AuthResult",
    "AuthStatus",
    "PasswordChangeError",
    "RegistrationError",
]


class RegistrationError(Exception):
    """The registration request broke one or more rules; ``problems`` maps field to reason."""

    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in problems.items()))
        self.problems = problems


class PasswordChangeError(Exception):
    """The password was not changed; ``problems`` maps form field to reason."""

    def __init__(self, problems: dict[str, str], *, throttled: bool = False) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in problems.items()))
        self.problems = problems
        self.throttled = throttled


class AuthStatus(Enum):
    OK = "ok"
    INVALID = "invalid"
    THROTTLED = "throttled"


@dataclass(frozen=True, slots=True)
class AuthResult:
    status: AuthStatus
    user: User | None = None


class AccountService:
    """Registration and password authentication.

    Password hashing runs in worker threads, at most ``hash_concurrency`` at once, so the event
    loop keeps serving while argon2 works. A successful Basic check is remembered for
    ``credential_cache_seconds`` under an HMAC of the credentials (never the password itself), so
    scripts that send Basic auth on every request do not pay argon2 on every request.
    """

    def __init__(
        self,
        users: UserStore,
        hashing: PasswordHashing,
        throttle: LoginThrottle,
        *,
        cache_key: bytes,
        hash_concurrency: int = 4,
        credential_cache_seconds: int = 60,
        user_cache_seconds: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._users = users
        self._hashing = hashing
        self._throttle = throttle
        self._cache_key = cache_key
        self._limiter = anyio.CapacityLimiter(hash_concurrency)
        self._credential_ttl = credential_cache_seconds
        self._credentials: OrderedDict[bytes, tuple[int, float]] = OrderedDict()
        self._clock = clock
        # A request never waits for an expired status to reload: it is reloaded in the background.
        self._active_users: RefreshingCache[int, User | None] = RefreshingCache(
            self._load_active_user, ttl=user_cache_seconds, max_entries=50_000, clock=clock
        )

    @property
    def throttle(self) -> LoginThrottle:
        return self._throttle

    async def register(self, username: str, password: str) -> User:
        """Create an account; raises RegistrationError, or UsernameTakenError from the store."""
        problems: dict[str, str] = {}
        if (problem := username_problem(username)) is not None:
            problems["username"] = problem
        if (problem := password_problem(password)) is not None:
            problems["password"] = problem
        if problems:
            raise RegistrationError(problems)
        password_hash = await anyio.to_thread.run_sync(
            self._hashing.hash, password, limiter=self._limiter
        )
        return await self._users.add(
            username=username, username_key=username_key(username), password_hash=password_hash
        )

    async def register_without_password(
        self, username: str, profile: dict[str, Any] | None = None
    ) -> User:
        """Create an account that signs in only through an upstream provider (until it sets a
        password). ``profile`` holds checked claims (``profile.checked_profile``). Raises
        RegistrationError, or UsernameTakenError from the store."""
        if (problem := username_problem(username)) is not None:
            raise RegistrationError({"username": problem})
        return await self._users.add(
            username=username,
            username_key=username_key(username),
            password_hash=unusable_password_hash(),
            profile=profile,
        )

    @staticmethod
    def has_usable_password(user: User) -> bool:
        """Whether the account can sign in with a password at all."""
        return is_usable_password_hash(user.password_hash)

    async def set_first_password(self, user: User, new: str) -> None:
        """Give an account made through a provider its first password (it then may disconnect
        its last provider). Raises PasswordChangeError; an account with a password changes it
        with ``change_password``, which asks for the current one."""
        fresh = await self._users.by_id(user.id)
        if fresh is None or self.has_usable_password(fresh):
            raise PasswordChangeError({"current_password": "is required to change a password"})
        if (problem := password_problem(new)) is not None:
            raise PasswordChangeError({"new_password": problem})
        password_hash = await anyio.to_thread.run_sync(
            self._hashing.hash, new, limiter=self._limiter
        )
        # Nothing was signed in with a password before, so no grant needs to end.
        await self._users.update_password_hash(user.id, password_hash)
        self.forget(user.id)

    async def authenticate(self, username: str, password: str, ip: str) -> AuthResult:
        key = username_key(username)
        fingerprint = self._fingerprint(key, password)
        cached = self._credentials.get(fingerprint)
        if cached is not None and cached[1] > self._clock():
            # Verified before: nothing new is learnt, so nothing is counted (scripts sending
            # Basic on every request write nothing), but a throttled address is still refused,
            # or a right guess would get through where the wrong ones are held back.
            if not await self._throttle.allows(key, ip):
                return AuthResult(AuthStatus.THROTTLED)
            user = await self.active_user(cached[0])
            if user is not None:
                return AuthResult(AuthStatus.OK, user)
        # Counted before the password is checked, so a burst verifies at most the limit.
        if not await self._throttle.attempt(key, ip):
            return AuthResult(AuthStatus.THROTTLED)
        user = await self._users.by_username_key(key) if len(password) <= 1024 else None
        stored_hash = user.password_hash if user is not None else None
        verdict: PasswordVerdict = await anyio.to_thread.run_sync(
            self._hashing.verify, stored_hash, password[:1024], limiter=self._limiter
        )
        if user is None or not verdict.valid or user.disabled:
            delay = await self._throttle.failed(key)
            if delay > 0:
                await anyio.sleep(delay)  # backoff: each further guess answers more slowly
            return AuthResult(AuthStatus.INVALID)
        if verdict.new_hash is not None:
            await self._users.update_password_hash(user.id, verdict.new_hash)
        await self._throttle.succeeded(key, ip)
        self._remember(fingerprint, user.id)
        return AuthResult(AuthStatus.OK, user)

    async def change_password(self, user: User, current: str, new: str, ip: str) -> None:
        """Replace the password after checking the current one (throttled like a sign-in).

        Raises PasswordChangeError. The store revokes every grant the user gave, and every
        worker forgets the user's cached Basic credentials (``forget``), so the old password and
        the tokens obtained with it stop working at once.
        """
        result = await self.authenticate(user.username, current, ip)
        if result.status is AuthStatus.THROTTLED:
            wait = "too many failed attempts; wait a few minutes and try again"
            raise PasswordChangeError({"current_password": wait}, throttled=True)
        if result.status is not AuthStatus.OK or result.user is None or result.user.id != user.id:
            raise PasswordChangeError({"current_password": "is not your current password"})
        if (problem := password_problem(new)) is not None:
            raise PasswordChangeError({"new_password": problem})
        if new == current:
            raise PasswordChangeError({"new_password": "is your current password"})
        password_hash = await anyio.to_thread.run_sync(
            self._hashing.hash, new, limiter=self._limiter
        )
        await self._users.replace_password(user.id, password_hash)
        self.forget(user.id)

    async def reset_password(self, user_id: int, new: str) -> None:
        """Replace the password of a user who proved they read the account's mail (a reset
        link): as ``change_password`` does, every grant ends and every worker forgets the old
        credentials. Raises PasswordChangeError."""
        if (problem := password_problem(new)) is not None:
            raise PasswordChangeError({"new_password": problem})
        password_hash = await anyio.to_thread.run_sync(
            self._hashing.hash, new, limiter=self._limiter
        )
        await self._users.replace_password(user_id, password_hash)
        self.forget(user_id)

    def forget(self, user_id: int) -> None:
        """Drop what this process cached about the user (status, verified Basic credentials)."""
        self._active_users.forget(user_id)
        for fingerprint, (cached_id, _expires) in list(self._credentials.items()):
            if cached_id == user_id:
                del self._credentials[fingerprint]

    async def active_user(self, user_id: int) -> User | None:
        """The user if it exists and is not disabled; cached for a few seconds per process."""
        return await self._active_users.get(user_id)

    async def _load_active_user(self, user_id: int) -> User | None:
        user = await self._users.by_id(user_id)
        return None if user is None or user.disabled else user

    def _fingerprint(self, key: str, password: str) -> bytes:
        message = key.encode() + b"\0" + password.encode("utf-8", "surrogatepass")
        return hmac.new(self._cache_key, message, hashlib.sha256).digest()

    def _remember(self, fingerprint: bytes, user_id: int) -> None:
        if self._credential_ttl <= 0:
            return
        self._credentials[fingerprint] = (user_id, self._clock() + self._credential_ttl)
        self._credentials.move_to_end(fingerprint)
        if len(self._credentials) > 10_000:
            self._credentials.popitem(last=False)
