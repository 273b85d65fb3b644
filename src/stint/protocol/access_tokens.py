"""JWT access tokens (RFC 9068): issuing, and verifying with a bounded cache of verified tokens."""

from __future__ import annotations

import secrets
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from joserfc import jwt
from joserfc.errors import JoseError

from stint.protocol.errors import InvalidTokenError
from stint.protocol.jws import SignerCache, audiences, segment_json
from stint.protocol.keys import KeyRing

__all__ = ["AccessToken", "AccessTokenIssuer", "AccessTokenVerifier", "IssuedToken"]

# RFC 9068 §2.1: the media type of a JWT access token, in the ``typ`` header.
ACCESS_TOKEN_TYP = "at+jwt"  # noqa: S105 (a media type, not a secret)
ALLOWED_ALGORITHMS = ("ES256",)


@dataclass(frozen=True, slots=True)
class AccessToken:
    """The claims of a verified access token that the resource server acts on."""

    subject: str
    username: str
    client_id: str
    scopes: frozenset[str]
    expires_at: int
    jti: str
    issued_at: int = 0
    grant_id: str | None = None
    user_id: int | None = None  # None: the client acting for itself (client_credentials)


@dataclass(frozen=True, slots=True)
class IssuedToken:
    value: str
    expires_in: int
    scopes: frozenset[str]


class AccessTokenIssuer:
    """Signs RFC 9068 access tokens with the key ring's current key."""

    def __init__(
        self,
        keys: KeyRing,
        *,
        issuer: str,
        audience: str,
        ttl: int,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._keys = keys
        self._issuer = issuer
        self._audience = audience
        self._ttl = ttl
        self._clock = clock
        self._signers = SignerCache()  # the key is parsed once, not per token

    @property
    def ttl(self) -> int:
        return self._ttl

    def issue(
        self,
        *,
        subject: str,
        username: str,
        client_id: str,
        scopes: frozenset[str],
        grant_id: str | None = None,
    ) -> IssuedToken:
        key = self._keys.current
        now = int(self._clock())
        # RFC 9068 §2.2: iss, exp, aud, sub, client_id, iat and jti are required.
        claims: dict[str, object] = {
            "iss": self._issuer,
            "aud": self._audience,
            "sub": subject,
            "client_id": client_id,
            "iat": now,
            "exp": now + self._ttl,
            "jti": secrets.token_urlsafe(16),
            "scope": " ".join(sorted(scopes)),
        }
        if username:
            claims["preferred_username"] = username
        if grant_id:
            claims["gid"] = grant_id  # lets revoking the grant revoke this token too
        return IssuedToken(self._signers.get(key, ACCESS_TOKEN_TYP).sign(claims), self._ttl, scopes)


class AccessTokenVerifier:
    """Validates access tokens per RFC 9068 §4.

    A signature check costs ~100 µs; clients present the same token many times during its short
    life, so verified tokens are kept in a bounded LRU until they expire. Nothing a caller sends
    enters the cache unless its signature verified.
    """

    def __init__(
        self,
        keys: KeyRing,
        *,
        issuer: str,
        audience: str,
        cache_size: int = 10_000,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._keys = keys
        self._issuer = issuer
        self._audience = audience
        self._clock = clock
        # token → (its claims, the kid that signed it)
        self._cache: OrderedDict[str, tuple[AccessToken, str]] = OrderedDict()
        self._cache_size = cache_size

    async def verify(self, token: str) -> AccessToken:
        cached = self._cache.get(token)
        now = self._clock()
        if cached is not None:
            token_claims, kid = cached
            # A retired key verifies nothing, tokens verified before it retired included.
            if token_claims.expires_at > now and self._keys.verifies(kid):
                return token_claims
            del self._cache[token]
            if token_claims.expires_at <= now:
                raise InvalidTokenError("the access token expired")
            raise InvalidTokenError("the access token was signed by a retired key")
        verified, kid = await self._verify_signature_and_claims(token, now)
        self._cache[token] = (verified, kid)
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return verified

    async def _verify_signature_and_claims(self, token: str, now: float) -> tuple[AccessToken, str]:
        if token.count(".") != 2 or len(token) > 4096:
            raise InvalidTokenError("the access token is malformed")
        try:
            unverified = segment_json(token, 0)  # read only to pick the key
        except ValueError:
            raise InvalidTokenError("the access token is malformed") from None
        if unverified.get("typ") != ACCESS_TOKEN_TYP or unverified.get("alg") not in (
            ALLOWED_ALGORITHMS
        ):
            raise InvalidTokenError("the access token is not a Stint access token")
        kid = unverified.get("kid")
        key = await self._keys.find(kid) if isinstance(kid, str) else None
        if key is None:
            raise InvalidTokenError("the access token was signed by an unknown key")
        try:
            decoded = jwt.decode(token, key.key, algorithms=list(ALLOWED_ALGORITHMS))
        except (ValueError, JoseError):
            raise InvalidTokenError("the access token signature is invalid") from None
        return self._check_claims(decoded.claims, now), key.kid

    def _check_claims(self, claims: dict[str, object], now: float) -> AccessToken:
        exp, sub, aud, jti = (
            claims.get("exp"),
            claims.get("sub"),
            claims.get("aud"),
            claims.get("jti"),
        )
        if claims.get("iss") != self._issuer:
            raise InvalidTokenError("the access token was issued by someone else")
        if self._audience not in audiences(aud):
            raise InvalidTokenError("the access token is not meant for this API")
        if not isinstance(exp, int) or exp <= now:
            raise InvalidTokenError("the access token expired")
        if not isinstance(sub, str) or not isinstance(jti, str):
            raise InvalidTokenError("the access token is malformed")
        scope = claims.get("scope", "")
        username = claims.get("preferred_username", "")
        client_id = claims.get("client_id", "")
        grant_id = claims.get("gid")
        iat = claims.get("iat", 0)
        return AccessToken(
            subject=sub,
            username=username if isinstance(username, str) else "",
            client_id=client_id if isinstance(client_id, str) else "",
            scopes=frozenset(scope.split()) if isinstance(scope, str) else frozenset(),
            expires_at=exp,
            jti=jti,
            issued_at=iat if isinstance(iat, int) else 0,
            grant_id=grant_id if isinstance(grant_id, str) else None,
            user_id=int(sub) if sub.isdigit() else None,
        )
