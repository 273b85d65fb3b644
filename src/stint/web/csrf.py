"""CSRF protection for every form: a random cookie, and a form field that is its HMAC.

A cross-site page can make the browser send the cookie but cannot read it, so it cannot compute
the field (OWASP: signed double-submit cookie). The comparison is constant-time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from starlette.requests import Request
from starlette.responses import Response

__all__ = ["CSRF_COOKIE", "CSRF_FIELD", "CsrfProtection"]

CSRF_COOKIE = "stint_csrf"
CSRF_FIELD = "csrf_token"


class CsrfProtection:
    def __init__(self, key: bytes, *, secure: bool) -> None:
        self._key = hashlib.sha256(b"stint/csrf/v1\0" + key).digest()
        self._secure = secure

    def _sign(self, value: str) -> str:
        return hmac.new(self._key, value.encode(), hashlib.sha256).hexdigest()

    def token(self, request: Request) -> tuple[str, str | None]:
        """The form field for this browser, and a new cookie value to set (or None)."""
        cookie = request.cookies.get(CSRF_COOKIE)
        if cookie and 20 <= len(cookie) <= 100:
            return self._sign(cookie), None
        fresh = secrets.token_urlsafe(32)
        return self._sign(fresh), fresh

    def set_cookie(self, response: Response, value: str | None) -> None:
        if value is not None:
            response.set_cookie(
                CSRF_COOKIE, value, httponly=True, secure=self._secure, samesite="lax", path="/"
            )

    def valid(self, request: Request, submitted: str | None) -> bool:
        cookie = request.cookies.get(CSRF_COOKIE)
        if not cookie or not submitted:
            return False
        return hmac.compare_digest(self._sign(cookie), submitted)
