"""Logout tokens (OpenID Connect Back-Channel Logout 1.0 §2.4): a signed JWT telling a client
that a user's session at Stint ended."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from typing import Any

from stint.protocol.clients import Client
from stint.protocol.jws import segment_json
from stint.protocol.oidc.id_token import IdTokenIssuer

__all__ = ["BACKCHANNEL_LOGOUT_EVENT", "LOGOUT_TOKEN_TYPE", "LogoutTokens"]

BACKCHANNEL_LOGOUT_EVENT = "http://schemas.openid.net/event/backchannel-logout"
# §2.4: explicit typing, so that a logout token cannot pass for an ID token.
LOGOUT_TOKEN_TYPE = "logout+jwt"  # noqa: S105 (a media type)


class LogoutTokens:
    """Signed by the ID token issuer's keys and signers, by the rules of the client's ID tokens."""

    def __init__(
        self, id_tokens: IdTokenIssuer, *, ttl: int = 120, clock: Callable[[], float] = time.time
    ) -> None:
        self._id_tokens = id_tokens
        self._ttl = ttl  # §2.4: short-lived; the RP only needs it while the POST is in flight
        self._clock = clock

    def issue(self, client: Client, user_id: int, sid: str) -> str:
        """A logout token for ``client`` naming the user as it sees them and the session."""
        now = int(self._clock())
        claims = {
            "iss": self._id_tokens.issuer,
            "sub": self._id_tokens.subjects.for_client(user_id, client),
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
        # §2.4: never a nonce. An unknown or "none" alg falls back to the default: always signed.
        alg = self._id_tokens.alg_for(client, "id_token_signed_response_alg")
        return self._id_tokens.sign(client, claims, alg=alg, typ=LOGOUT_TOKEN_TYPE)


def _payload(token: str) -> dict[str, Any]:
    """The claims of a token this module signed (read back from our own database)."""
    try:
        return segment_json(token, 1)
    except ValueError:
        return {}
