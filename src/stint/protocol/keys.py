"""Signing keys: generation, identification (RFC 7638 thumbprints) and an in-memory key ring."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any

from joserfc.jwk import ECKey

__all__ = ["KeyRing", "SigningKey", "generate_signing_key", "signing_key_from_private_jwk"]


@dataclass(frozen=True, slots=True)
class SigningKey:
    """A parsed private key, parsed once and reused for every signature."""

    kid: str
    alg: str
    key: ECKey

    def private_jwk(self) -> dict[str, Any]:
        return dict(self.key.as_dict(private=True))

    def public_jwk(self) -> dict[str, Any]:
        return {**self.key.as_dict(private=False), "kid": self.kid, "alg": self.alg, "use": "sig"}


def generate_signing_key(alg: str = "ES256") -> SigningKey:
    """A fresh key; its ``kid`` is the RFC 7638 thumbprint, so it names the key material itself."""
    if alg != "ES256":
        raise ValueError(f"unsupported signing algorithm {alg!r}")
    key = ECKey.generate_key("P-256", private=True)
    return SigningKey(kid=key.thumbprint(), alg=alg, key=key)


def signing_key_from_private_jwk(jwk: dict[str, Any], alg: str) -> SigningKey:
    key = ECKey.import_key(jwk)
    return SigningKey(kid=key.thumbprint(), alg=alg, key=key)


class KeyRing:
    """The keys this process signs and verifies with; reloads when it meets an unknown ``kid``.

    Reloads are rate-limited so that tokens with made-up ``kid`` values cannot make every request
    reach the database.
    """

    def __init__(
        self,
        load: Callable[[], Awaitable[Iterable[SigningKey]]],
        *,
        min_reload_interval: float = 5.0,
    ) -> None:
        self._load = load
        self._min_reload_interval = min_reload_interval
        self._by_kid: dict[str, SigningKey] = {}
        self._current: SigningKey | None = None
        self._loaded_at = float("-inf")

    async def reload(self) -> None:
        keys = list(await self._load())
        if not keys:
            raise RuntimeError("no signing key is available")
        self._by_kid = {k.kid: k for k in keys}
        self._current = keys[0]
        self._loaded_at = time.monotonic()

    @property
    def current(self) -> SigningKey:
        if self._current is None:
            raise RuntimeError("the key ring has not been loaded")
        return self._current

    async def find(self, kid: str) -> SigningKey | None:
        key = self._by_kid.get(kid)
        if key is None and time.monotonic() - self._loaded_at >= self._min_reload_interval:
            await self.reload()
            key = self._by_kid.get(kid)
        return key

    def public_jwks(self) -> dict[str, Any]:
        return {"keys": [k.public_jwk() for k in self._by_kid.values()]}
