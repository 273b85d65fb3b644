"""RFC 9068 access tokens: issuing and verifying, with an in-memory key ring."""

from __future__ import annotations

import pytest

from stint.protocol.access_tokens import AccessTokenIssuer, AccessTokenVerifier
from stint.protocol.errors import InvalidTokenError
from stint.protocol.keys import KeyRing, SigningKey, generate_signing_key

pytestmark = pytest.mark.anyio


class Keys:
    """A key store fake: counts loads, can rotate in a new current key."""

    def __init__(self) -> None:
        self.keys = [generate_signing_key()]
        self.loads = 0

    async def load(self) -> list[SigningKey]:
        self.loads += 1
        return list(self.keys)


async def _ring(keys: Keys, interval: float = 0.0) -> KeyRing:
    ring = KeyRing(keys.load, min_reload_interval=interval)
    await ring.reload()
    return ring


def _pair(ring: KeyRing, ttl: int = 600) -> tuple[AccessTokenIssuer, AccessTokenVerifier]:
    issuer = AccessTokenIssuer(ring, issuer="https://as", audience="https://as/api", ttl=ttl)
    return issuer, AccessTokenVerifier(ring, issuer="https://as", audience="https://as/api")


async def test_issued_token_verifies_with_its_claims() -> None:
    issuer, verifier = _pair(await _ring(Keys()))
    issued = issuer.issue(subject="7", username="ann", client_id="c", scopes=frozenset({"a", "b"}))
    token = await verifier.verify(issued.value)
    assert (token.subject, token.username, token.client_id) == ("7", "ann", "c")
    assert token.scopes == {"a", "b"}


async def test_a_token_from_another_audience_is_refused() -> None:
    ring = await _ring(Keys())
    other = AccessTokenIssuer(ring, issuer="https://as", audience="https://elsewhere", ttl=60)
    _, verifier = _pair(ring)
    issued = other.issue(subject="1", username="a", client_id="c", scopes=frozenset())
    with pytest.raises(InvalidTokenError, match="not meant for this API"):
        await verifier.verify(issued.value)


async def test_key_ring_reloads_for_a_new_kid_but_not_on_every_unknown_kid() -> None:
    keys = Keys()
    ring = await _ring(keys, interval=3600)
    assert keys.loads == 1
    keys.keys.insert(0, generate_signing_key())  # another worker rotated the key
    fresh = await _ring(keys)
    issued, _ = _pair(fresh)
    token = issued.issue(subject="1", username="a", client_id="c", scopes=frozenset())
    _, verifier = _pair(ring)
    # This ring reloaded recently, so the rate limit refuses to reload again for the new kid.
    with pytest.raises(InvalidTokenError, match="unknown key"):
        await verifier.verify(token.value)
    assert keys.loads == 2  # the ring above plus `fresh`; no reload was spent on the bad kid
    eager = await _ring(keys, interval=0)
    _, eager_verifier = _pair(eager)
    assert (await eager_verifier.verify(token.value)).subject == "1"


async def test_verified_tokens_are_cached_but_expire() -> None:
    ring = await _ring(Keys())
    now = [1_800_000_000.0]
    issuer = AccessTokenIssuer(
        ring, issuer="https://as", audience="https://as/api", ttl=1, clock=lambda: now[0]
    )
    verifier = AccessTokenVerifier(
        ring, issuer="https://as", audience="https://as/api", clock=lambda: now[0]
    )
    issued = issuer.issue(subject="1", username="a", client_id="c", scopes=frozenset())
    first = await verifier.verify(issued.value)
    assert await verifier.verify(issued.value) is first  # served from the cache
    now[0] += 1.1
    with pytest.raises(InvalidTokenError, match="expired"):
        await verifier.verify(issued.value)
