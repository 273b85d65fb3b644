"""Reading an ``id_token_hint`` (OIDC Core §3.1.2.1, RP-Initiated Logout §2): an ID token we
issued, possibly expired, whose signature must still verify with one of our published keys."""

from __future__ import annotations

from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError

from stint.protocol.errors import InvalidRequestError
from stint.protocol.jws import segment_json
from stint.protocol.keys import SIGNING_ALGORITHMS, KeyRing

__all__ = ["verified_id_token_hint"]


async def verified_id_token_hint(token: str, keys: KeyRing, issuer: str) -> dict[str, Any]:
    """The hint's claims; expiry is not checked (a hint may have expired), everything else is."""
    if token.count(".") != 2 or len(token) > 8192:
        raise InvalidRequestError("id_token_hint is not a JWT")
    try:
        header = segment_json(token, 0)
    except ValueError:
        raise InvalidRequestError("id_token_hint is not a JWT") from None
    kid = header.get("kid")
    key = await keys.find(kid) if isinstance(kid, str) else None
    if key is None:
        raise InvalidRequestError("id_token_hint was not signed by this provider")
    try:
        decoded = jwt.decode(token, key.key, algorithms=[key.alg])
    except (ValueError, JoseError):
        raise InvalidRequestError("id_token_hint has a bad signature") from None
    claims = dict(decoded.claims)
    if key.alg not in SIGNING_ALGORITHMS or claims.get("iss") != issuer:
        raise InvalidRequestError("id_token_hint was issued by someone else")
    if not isinstance(claims.get("sub"), str):
        raise InvalidRequestError("id_token_hint has no subject")
    return claims
