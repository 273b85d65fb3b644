"""The second step of a sign-in: a person who gave the first factor (a password) and has a
second factor set up is not signed in yet. A short-lived sealed cookie says who, where to go
next, and what they proved so far; ``/login/second-factor`` asks for the second factor, and
any method that checks one (TOTP here, passkeys elsewhere) ends the step with ``complete``.

The same step raises a signed-in password session to two factors when an app asks for it
(step-up, oidc.acr): then the session keeps its ``sid`` (its apps stay signed in).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import quote, urlencode

import orjson
from cryptography.exceptions import InvalidTag
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from stint.protocol.oidc.acr import TWO_FACTOR_ACR, two_factor_amr
from stint.storage.sealing import PENDING_SIGN_INS, Sealer
from stint.web.cookies import host_cookie
from stint.web.csrf import CsrfProtection
from stint.web.sessions import SessionManager

__all__ = ["PENDING_TTL", "SECOND_FACTOR_PATH", "PendingSignIn", "SecondStep"]

SECOND_FACTOR_PATH = "/login/second-factor"
# Long enough to open an authenticator app; a stolen cookie alone still needs the second factor.
PENDING_TTL = timedelta(minutes=5)
_COOKIE = "stint_second_step"


@dataclass(frozen=True, slots=True)
class PendingSignIn:
    """A sign-in half done: ``user_id`` gave the first factor(s) ``amr`` at ``started_at``."""

    user_id: int
    next_url: str
    amr: tuple[str, ...]
    started_at: datetime
    step_up: bool = False  # raise the browser's session (same user) rather than start one


class SecondStep:
    def __init__(
        self,
        secret: bytes,
        sessions: SessionManager,
        csrf: CsrfProtection,
        *,
        secure: bool,
        ttl: timedelta = PENDING_TTL,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._sealer = Sealer(secret, PENDING_SIGN_INS)
        self._sessions = sessions
        self._csrf = csrf
        self._secure = secure
        self.cookie = host_cookie(_COOKIE, secure=secure)
        self._ttl = ttl
        self._clock = clock

    def begin(
        self, user_id: int, next_url: str, *, amr: tuple[str, ...] = ("pwd",), step_up: bool = False
    ) -> Response:
        """To ``/login/second-factor``, remembering the first step in a sealed cookie."""
        payload = {
            "u": user_id,
            "n": next_url,
            "a": list(amr),
            "t": self._clock().timestamp(),
            "s": step_up,
        }
        sealed = self._sealer.seal(self.cookie, orjson.dumps(payload))
        query = urlencode({"next": next_url}, quote_via=quote)
        response = RedirectResponse(f"{SECOND_FACTOR_PATH}?{query}", status_code=303)
        response.set_cookie(
            self.cookie,
            sealed.hex(),
            max_age=int(self._ttl.total_seconds()),
            httponly=True,
            secure=self._secure,
            samesite="lax",
            path="/",
        )
        return response

    def pending(self, request: Request) -> PendingSignIn | None:
        """The browser's half-done sign-in; None when absent, forged or run out."""
        value = request.cookies.get(self.cookie, "")
        if not value or len(value) > 4096:
            return None
        try:
            payload = orjson.loads(self._sealer.open(self.cookie, bytes.fromhex(value)))
        except (ValueError, InvalidTag, orjson.JSONDecodeError):
            return None
        started = datetime.fromtimestamp(payload["t"], UTC)
        if not timedelta(0) <= self._clock() - started < self._ttl:
            return None
        return PendingSignIn(
            user_id=int(payload["u"]),
            next_url=str(payload["n"]),
            amr=tuple(payload["a"]),
            started_at=started,
            step_up=bool(payload["s"]),
        )

    async def complete(
        self, request: Request, pending: PendingSignIn, *methods: str
    ) -> Response | None:
        """The second factor was given by ``methods`` (RFC 8176 ``otp``, ``hwk``, ...): sign in
        at the two-factor level and go on to ``next``. None for a step-up whose session is gone
        or another user's (the caller sends the browser to sign in again)."""
        response = RedirectResponse(pending.next_url, status_code=303)
        if pending.step_up:
            current = await self._sessions.current(request)
            if current is None or current.user_id != pending.user_id:
                return None
            amr = two_factor_amr(*current.amr.split(), *methods)
            await self._sessions.step_up(response, current, amr=amr, acr=TWO_FACTOR_ACR)
        else:
            amr = two_factor_amr(*pending.amr, *methods)
            await self._sessions.start(
                request, response, pending.user_id, amr=amr, acr=TWO_FACTOR_ACR
            )
            self._csrf.forget_pre_session(response)  # forms now carry the session's field
        self.cancel(response)
        return response

    def cancel(self, response: Response) -> None:
        """Forget the half-done sign-in."""
        response.delete_cookie(self.cookie, path="/", secure=self._secure, httponly=True)
