"""Browser sessions: a random cookie whose hash names a row in the database.

A new id is issued at every sign-in (session fixation, OWASP), the cookie is HttpOnly and
SameSite=Lax, and Secure whenever the issuer is https.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from starlette.requests import Request
from starlette.responses import Response

from stint.accounts.sessions import Session, SessionStore
from stint.protocol.secrets import SecretHasher, new_secret

__all__ = ["SESSION_COOKIE", "SessionManager"]

SESSION_COOKIE = "stint_session"


class SessionManager:
    def __init__(
        self,
        store: SessionStore,
        hasher: SecretHasher,
        *,
        ttl_seconds: int,
        secure: bool,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._store = store
        self._hasher = hasher
        self._ttl = timedelta(seconds=ttl_seconds)
        self._secure = secure
        self._clock = clock

    async def current(self, request: Request) -> Session | None:
        value = request.cookies.get(SESSION_COOKIE)
        if not value or len(value) > 100:
            return None
        session = await self._store.get(self._hasher.hash(value))
        if session is None or session.expires_at <= self._clock():
            return None
        return session

    async def start(self, request: Request, response: Response, user_id: int) -> Session:
        """Sign in: end any session the browser had and set a brand-new cookie."""
        await self.end(request, response)
        value = new_secret()
        now = self._clock()
        session = Session(
            id_hash=self._hasher.hash(value),
            user_id=user_id,
            created_at=now,
            auth_time=now,
            expires_at=now + self._ttl,
            user_agent=request.headers.get("user-agent", "")[:200],
            sid=secrets.token_urlsafe(16),
        )
        await self._store.add(session)
        response.set_cookie(
            SESSION_COOKIE,
            value,
            max_age=int(self._ttl.total_seconds()),
            httponly=True,
            secure=self._secure,
            samesite="lax",
            path="/",
        )
        return session

    async def end_others(self, current: Session) -> int:
        """End every session of ``current``'s user except ``current``; returns how many."""
        others = [
            s for s in await self._store.for_user(current.user_id) if s.id_hash != current.id_hash
        ]
        for session in others:
            await self._store.delete(session.id_hash)
        return len(others)

    async def end(self, request: Request, response: Response) -> None:
        value = request.cookies.get(SESSION_COOKIE)
        if value and len(value) <= 100:
            await self._store.delete(self._hasher.hash(value))
        response.delete_cookie(SESSION_COOKIE, path="/", secure=self._secure, httponly=True)
