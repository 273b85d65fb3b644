"""A fresh sign-in demanded by ``prompt=login`` or ``max_age`` (OIDC Core §3.1.2.1), carried
across the sign-in page: the request goes there and comes back whole, demands included, plus a
signed marker "sent to sign in at T", bound to the request and short-lived. Coming back, the
demand is met by a session that signed in at T or later, and by nothing else: going straight
back without signing in, a forged or stale marker, or one moved to another request, all leave
the demand standing (so the browser is sent to sign in again, and never loops once it has)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta

import orjson

__all__ = ["MARKER_PARAM", "MARKER_TTL", "ReauthenticationMarkers"]

MARKER_PARAM = "stint_auth_after"
# Long enough to type a password, short enough that a copied URL does not waive max_age later.
MARKER_TTL = timedelta(minutes=10)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_STAMP = re.compile(r"[0-9]{1,17}\Z")  # microseconds: until the year 5138
# prompt is not bound: the consent form drops prompt=consent, and prompt can only add demands.
_UNBOUND = frozenset({MARKER_PARAM, "prompt"})


class ReauthenticationMarkers:
    """Issues and verifies markers with an HMAC-SHA-256 key derived from the instance secret."""

    def __init__(
        self,
        key: bytes,
        *,
        ttl: timedelta = MARKER_TTL,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._key = hashlib.sha256(b"stint/reauthentication-marker/v1\0" + key).digest()
        self._ttl = ttl
        self._clock = clock

    def issue(self, params: Mapping[str, str]) -> str:
        """The marker for the request ``params``, stamped now (to the microsecond)."""
        stamp = (self._clock() - _EPOCH) // _MICROSECOND
        return f"{stamp}.{self._mac(stamp, params)}"

    def verify(self, params: Mapping[str, str]) -> datetime | None:
        """When the request ``params`` was sent to sign in, if its marker is one we issued for
        this very request within the TTL; None when absent, forged, moved or stale."""
        value = params.get(MARKER_PARAM, "")
        stamp_text, _, mac = value.partition(".")
        if not _STAMP.match(stamp_text) or len(mac) > 64:
            return None
        stamp = int(stamp_text)
        if not hmac.compare_digest(mac.encode(), self._mac(stamp, params).encode()):
            return None
        sent = _EPOCH + stamp * _MICROSECOND
        return sent if self._clock() - sent < self._ttl else None

    def _mac(self, stamp: int, params: Mapping[str, str]) -> str:
        bound = sorted((k, v) for k, v in params.items() if k not in _UNBOUND)
        digest = hmac.new(self._key, orjson.dumps([stamp, bound]), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
