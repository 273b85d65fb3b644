"""CSRF protection for every form: a form field that is an HMAC of this browser's session.

Signed in, the field is derived from the session cookie; before sign-in, from a random pre-session
cookie. A cross-site page can make the browser send the cookies but cannot read them, so it cannot
compute the field (OWASP: signed double-submit cookie, bound to the session). A field from one
session fails in any other, and signing in changes the session, so the field changes with it. The
comparison is constant-time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from starlette.requests import Request
from starlette.responses import Response

from stint.web.cookies import host_cookie

__all__ = ["CSRF_COOKIE", "CSRF_FIELD", "CsrfProtection"]

CSRF_COOKIE = "stint_csrf"
CSRF_FIELD = "csrf_token"


class CsrfProtection:
    def __init__(self, key: bytes, *, secure: bool, session_cookie: str) -> None:
        self._key = hashlib.sha256(b"stint/csrf/v2\0" + key).digest()
        self._secure = secure
        self._session_cookie = session_cookie
        self.cookie = host_cookie(CSRF_COOKIE, secure=secure)

    def _sign(self, binding: str) -> str:
        return hmac.new(self._key, binding.encode(), hashlib.sha256).hexdigest()

    def _binding(self, request: Request) -> str | None:
        """What this browser's field is derived from: its session, else its pre-session."""
        for prefix, cookie in (("session", self._session_cookie), ("pre-session", self.cookie)):
            value = request.cookies.get(cookie)
            if value and 20 <= len(value) <= 100:
                return f"{prefix}\0{value}"
        return None

    def token(self, request: Request) -> tuple[str, str | None]:
        """The form field for this browser, and a new pre-session cookie to set (or None)."""
        binding = self._binding(request)
        if binding is not None:
            return self._sign(binding), None
        fresh = secrets.token_urlsafe(32)
        return self._sign(f"pre-session\0{fresh}"), fresh

    def set_cookie(self, response: Response, value: str | None) -> None:
        if value is not None:
            response.set_cookie(
                self.cookie, value, httponly=True, secure=self._secure, samesite="lax", path="/"
            )

    def forget_pre_session(self, response: Response) -> None:
        """At sign-in: a field from before it must not come back to life after signing out."""
        response.delete_cookie(self.cookie, path="/", secure=self._secure, httponly=True)

    def valid(self, request: Request, submitted: str | None) -> bool:
        binding = self._binding(request)
        # A field that is not ASCII is not one of ours (compare_digest refuses such str).
        if binding is None or not submitted or not submitted.isascii():
            return False
        return hmac.compare_digest(self._sign(binding), submitted)
