"""Browser sessions: a random cookie whose hash names a row in the database.

A new id is issued at every sign-in (session fixation, OWASP), the cookie is HttpOnly and
SameSite=Lax, and Secure with the ``__Host-`` prefix whenever the issuer is https.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from starlette.requests import Request
from starlette.responses import Response

from stint.accounts.sessions import Session, SessionStore
from stint.protocol.secrets import SecretHasher, new_secret
from stint.web.cookies import host_cookie

__all__ = ["EXPIRY_SWEEP_SECONDS", "SESSION_COOKIE", "SessionEnded", "SessionManager"]

SESSION_COOKIE = "stint_session"
# How soon a session that ran out is ended for good, and its apps told (back-channel logout).
EXPIRY_SWEEP_SECONDS = 60.0
_EXPIRY_BATCH = 100
SessionEnded = Callable[[Session], Awaitable[None]]

log = logging.getLogger("stint.sessions")


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
        self.cookie = host_cookie(SESSION_COOKIE, secure=secure)
        self._clock = clock
        self._listeners: list[SessionEnded] = []

    def on_end(self, listener: SessionEnded) -> None:
        """Call ``listener`` with every session that ends here: signing out, signing in over it,
        ending it from another session, running out of time (OIDC Back-Channel Logout 1.0
        §2.5)."""
        self._listeners.append(listener)

    async def _ended(self, session: Session) -> None:
        for listener in self._listeners:
            try:
                await listener(session)
            except Exception:  # the session is gone either way; the user is signed out
                log.exception("a session-ended listener failed")

    async def current(self, request: Request) -> Session | None:
        value = request.cookies.get(self.cookie)
        if not value or len(value) > 100:
            return None
        session = await self._store.get(self._hasher.hash(value))
        if session is None or session.expires_at <= self._clock():
            return None
        return session

    async def start(
        self,
        request: Request,
        response: Response,
        user_id: int,
        *,
        amr: str = "pwd",
        acr: str = "",
    ) -> Session:
        """Sign in: end any session the browser had and set a brand-new cookie. ``amr``: how
        the person signed in (RFC 8176 §2), space-separated; ``acr`` the level (oidc.acr)."""
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
            amr=amr,
            acr=acr,
        )
        await self._store.add(session)
        self._set_cookie(response, value)
        return session

    async def step_up(self, response: Response, current: Session, *, amr: str, acr: str) -> Session:
        """The same session (its ``sid``: apps stay signed in) signed in again, stronger, now:
        a new cookie and row (session fixation, OWASP), the old row gone without ending it."""
        value = new_secret()
        now = self._clock()
        stepped = replace(
            current,
            id_hash=self._hasher.hash(value),
            auth_time=now,
            expires_at=now + self._ttl,
            amr=amr,
            acr=acr,
        )
        await self._store.delete(current.id_hash)  # first: sid is unique
        await self._store.add(stepped)
        self._set_cookie(response, value)
        return stepped

    def _set_cookie(self, response: Response, value: str) -> None:
        response.set_cookie(
            self.cookie,
            value,
            max_age=int(self._ttl.total_seconds()),
            httponly=True,
            secure=self._secure,
            samesite="lax",
            path="/",
        )

    async def end_others(self, current: Session) -> int:
        """End every session of ``current``'s user except ``current``; returns how many."""
        others = [
            s for s in await self._store.for_user(current.user_id) if s.id_hash != current.id_hash
        ]
        for session in others:
            await self._store.delete(session.id_hash)
            await self._ended(session)
        return len(others)

    async def end_all(self, user_id: int) -> int:
        """End every session of the user (a password reset by mail); returns how many."""
        sessions = await self._store.for_user(user_id)
        for session in sessions:
            await self._store.delete(session.id_hash)
            await self._ended(session)
        return len(sessions)

    async def end_sid(self, user_id: int, sid: str) -> bool:
        """End ``user_id``'s session with this ``sid``; False if the user has no such session."""
        session = await self._store.by_sid(sid) if sid else None
        if session is None or session.user_id != user_id:
            return False
        await self._store.delete(session.id_hash)
        await self._ended(session)
        return True

    async def end_expired(self, batch: int = _EXPIRY_BATCH) -> int:
        """End up to ``batch`` sessions whose time ran out; returns how many. The cookie stopped
        working at ``expires_at`` already: this deletes the row and tells the listeners."""
        expired = await self._store.take_expired(self._clock(), batch)
        for session in expired:
            await self._ended(session)
        return len(expired)

    async def end_expired_forever(self, interval: float = EXPIRY_SWEEP_SECONDS) -> None:
        """Every ``interval`` seconds, end every session that ran out, until cancelled."""
        while True:
            await asyncio.sleep(interval)
            try:
                while await self.end_expired() == _EXPIRY_BATCH:
                    pass  # a full batch: there may be more
            except Exception:  # a database hiccup: try again at the next tick
                log.exception("ending expired sessions failed")

    async def end(self, request: Request, response: Response) -> None:
        value = request.cookies.get(self.cookie)
        if value and len(value) <= 100:
            id_hash = self._hasher.hash(value)
            session = await self._store.get(id_hash) if self._listeners else None
            await self._store.delete(id_hash)
            if session is not None:
                await self._ended(session)
        response.delete_cookie(self.cookie, path="/", secure=self._secure, httponly=True)
