"""Logout tokens (OpenID Connect Back-Channel Logout 1.0 §2.4): a signed JWT telling a client
that a user's session at Stint ended."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from typing import Any

from stint.protocol.clients import Client
from stint.protocol.jws import SignerCache, segment_json
from stint.protocol.keys import KeyRing
from stint.protocol.oidc.subject import SubjectIdentifiers

__all__ = ["BACKCHANNEL_LOGOUT_EVENT", "LOGOUT_TOKEN_TYPE", "LogoutTokens"]

BACKCHANNEL_LOGOUT_EVENT = "http://schemas.openid.net/event/backchannel-logout"
# §2.4: explicit typing, so that a logout token cannot pass for an ID token.
LOGOUT_TOKEN_TYPE = "logout+jwt"  # noqa: S105 (a media type)
_DEFAULT_ALG = "ES256"


class LogoutTokens:
    def __init__(
        self,
        keys: KeyRing,
        *,
        issuer: str,
        subjects: SubjectIdentifiers,
        ttl: int = 120,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._keys = keys
        self._issuer = issuer
        self._subjects = subjects
        self._ttl = ttl  # §2.4: short-lived; the RP only needs it while the POST is in flight
        self._clock = clock
        self._signers = SignerCache()

    def issue(self, client: Client, user_id: int, sid: str) -> str:
        """A logout token for ``client`` naming the user as it sees them and the session."""
        now = int(self._clock())
        claims = {
            "iss": self._issuer,
            "sub": self._subjects.for_client(user_id, client),
            "aud": client.client_id,
            "iat": now,
            "exp": now + self._ttl,
            "jti": secrets.token_urlsafe(16),  # §2.4: lets the RP detect a replay
            "events": {BACKCHANNEL_LOGOUT_EVENT: {}},
        }
        if sid:  # §2.4; what clients registering backchannel_logout_session_required need
            claims["sid"] = sid
        return self._sign(client, claims)

    def renewed(self, token: str, client: Client, *, margin: int = 30) -> str:
        """``token`` itself, or, when it expires within ``margin`` seconds (a late retry), the
        same statement with a new ``iat``, ``exp`` and ``jti``."""
        claims = _payload(token)
        now = int(self._clock())
        if isinstance(claims.get("exp"), int) and claims["exp"] - now > margin:
            return token
        jti = secrets.token_urlsafe(16)
        return self._sign(client, {**claims, "iat": now, "exp": now + self._ttl, "jti": jti})

    def _sign(self, client: Client, claims: dict[str, Any]) -> str:
        # §2.4: never a nonce; signed by the rules of the client's ID tokens.
        key = self._keys.current_for(self._alg(client))
        return self._signers.get(key, LOGOUT_TOKEN_TYPE).sign(claims)

    def _alg(self, client: Client) -> str:
        alg = client.meta("id_token_signed_response_alg") or _DEFAULT_ALG
        # "none" and algorithms without a loaded key fall back: a logout token is always signed.
        return alg if alg in self._keys.algorithms else _DEFAULT_ALG


def _payload(token: str) -> dict[str, Any]:
    """The claims of a token this module signed (read back from our own database)."""
    try:
        return segment_json(token, 1)
    except ValueError:
        return {}
