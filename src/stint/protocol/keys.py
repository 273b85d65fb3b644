"""Signing keys: generation, identification (RFC 7638 thumbprints), rotation and a key ring.

A key's life: it is published in the JWKS as soon as it exists; it signs from ``activates_at``
(so relying parties have fetched it before they meet a token it signed); it leaves the JWKS at
``retires_at`` (after every token it signed has expired). Which key signs is a function of the
stored rows and the clock, so every worker on every host agrees without talking to the others.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from joserfc.jwk import ECKey, RSAKey

__all__ = [
    "SIGNING_ALGORITHMS",
    "KeyRing",
    "SigningKey",
    "generate_signing_key",
    "signing_key_from_private_jwk",
]

# ES256 is the default; RS256 (OIDC Core §15.1 makes it mandatory to support) and PS256 for
# clients that register them as id_token_signed_response_alg.
SIGNING_ALGORITHMS = ("ES256", "RS256", "PS256")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class SigningKey:
    """A parsed private key, parsed once and reused for every signature."""

    kid: str
    alg: str
    key: ECKey | RSAKey
    created_at: datetime = _EPOCH
    activates_at: datetime | None = None  # None: signs from created_at
    retires_at: datetime | None = None  # None: no retirement scheduled

    @property
    def signs_from(self) -> datetime:
        return self.activates_at or self.created_at

    def published(self, now: datetime) -> bool:
        return self.retires_at is None or now < self.retires_at

    def private_jwk(self) -> dict[str, Any]:
        return dict(self.key.as_dict(private=True))

    def public_jwk(self) -> dict[str, Any]:
        return {**self.key.as_dict(private=False), "kid": self.kid, "alg": self.alg, "use": "sig"}


def _import(jwk: dict[str, Any], alg: str) -> ECKey | RSAKey:
    return ECKey.import_key(jwk) if alg == "ES256" else RSAKey.import_key(jwk)


def generate_signing_key(alg: str = "ES256", created_at: datetime | None = None) -> SigningKey:
    """A fresh key; its ``kid`` is the RFC 7638 thumbprint, so it names the key material itself."""
    key: ECKey | RSAKey
    if alg == "ES256":
        key = ECKey.generate_key("P-256", private=True)
    elif alg in ("RS256", "PS256"):
        key = RSAKey.generate_key(2048, private=True)  # RFC 7518 §3.3: 2048 bits or more
    else:
        raise ValueError(f"unsupported signing algorithm {alg!r}")
    return SigningKey(key.thumbprint(), alg, key, created_at or datetime.now(UTC))


def signing_key_from_private_jwk(
    jwk: dict[str, Any],
    alg: str,
    *,
    created_at: datetime = _EPOCH,
    activates_at: datetime | None = None,
    retires_at: datetime | None = None,
) -> SigningKey:
    key = _import(jwk, alg)
    return SigningKey(key.thumbprint(), alg, key, created_at, activates_at, retires_at)


class KeyRing:
    """The keys this process signs and verifies with.

    It reloads when it meets an unknown ``kid`` (rate-limited, so that made-up ``kid`` values
    cannot make every request reach the database) and whenever ``reload`` is called; the app
    calls it periodically so that a key rotated on another host is picked up.
    """

    def __init__(
        self,
        load: Callable[[], Awaitable[Iterable[SigningKey]]],
        *,
        min_reload_interval: float = 5.0,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self._load = load
        self._min_reload_interval = min_reload_interval
        self._clock = clock or (lambda: datetime.now(UTC))
        # The hot path reads the time as a float; time.time unless a test moved the clock.
        self._now_ts: Callable[[], float] = (
            time.time if clock is None else (lambda: self._clock().timestamp())
        )
        self._keys: list[SigningKey] = []
        self._by_kid: dict[str, SigningKey] = {}
        self._retire_ts: dict[str, float] = {}
        self._loaded_at = float("-inf")

    async def reload(self) -> None:
        keys = list(await self._load())
        if not keys:
            raise RuntimeError("no signing key is available")
        self._keys = sorted(keys, key=lambda k: k.signs_from, reverse=True)
        self._by_kid = {k.kid: k for k in self._keys}
        self._retire_ts = {
            k.kid: k.retires_at.timestamp() if k.retires_at else float("inf") for k in self._keys
        }
        self._loaded_at = time.monotonic()

    def current_for(self, alg: str) -> SigningKey:
        """The newest published key of ``alg`` whose activation time has come."""
        now = self._clock()
        fallback = None
        for key in self._keys:  # newest first; a handful of keys at most
            if key.alg != alg or not key.published(now):
                continue
            if key.signs_from <= now:
                return key
            fallback = key
        if fallback is None:
            raise RuntimeError(f"no {alg} signing key is loaded")
        return fallback  # only keys still waiting to activate: better than none

    @property
    def current(self) -> SigningKey:
        return self.current_for("ES256")

    @property
    def algorithms(self) -> tuple[str, ...]:
        present = {k.alg for k in self._keys}
        return tuple(alg for alg in SIGNING_ALGORITHMS if alg in present)

    async def find(self, kid: str) -> SigningKey | None:
        """A published key by ``kid``; a retired key verifies nothing."""
        key = self._by_kid.get(kid)
        if key is None and time.monotonic() - self._loaded_at >= self._min_reload_interval:
            await self.reload()
            key = self._by_kid.get(kid)
        if key is None or not key.published(self._clock()):
            return None
        return key

    def verifies(self, kid: str) -> bool:
        """Whether ``kid`` is loaded and not retired: a dict lookup and a float compare, for the
        verified-token cache on the API's hot path."""
        return self._retire_ts.get(kid, 0.0) > self._now_ts()

    def public_jwks(self) -> dict[str, Any]:
        now = self._clock()
        return {"keys": [k.public_jwk() for k in self._keys if k.published(now)]}
