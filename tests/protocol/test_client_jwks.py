"""A client's keys: registered ``jwks``, or ``jwks_uri`` fetched and cached briefly."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from stint.protocol.clients import Client
from stint.protocol.oidc.client_jwks import JWKS_ACCEPT, ClientJwks
from stint.protocol.oidc.ports import FetchFailedError
from tests.support.clients import relying_party

pytestmark = pytest.mark.anyio

JWKS_URI = "https://rp.example/jwks.json"
JWKS = {"keys": [{"kty": "EC", "crv": "P-256", "x": "eA", "y": "eQ", "kid": "k1"}]}


class FakeFetcher:
    def __init__(self, body: bytes) -> None:
        self.body = body
        self.calls: list[tuple[str, str]] = []

    async def fetch(self, url: str, *, accept: str) -> bytes:
        self.calls.append((url, accept))
        if not self.body:
            raise FetchFailedError("timed out")
        return self.body


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _client(**metadata: Any) -> Client:
    return relying_party(metadata=metadata)


async def test_registered_jwks_is_returned_without_fetching() -> None:
    fetcher = FakeFetcher(b"")
    assert await ClientJwks(fetcher).jwks(_client(jwks=JWKS)) == JWKS
    assert fetcher.calls == []


async def test_a_client_without_keys_has_none() -> None:
    assert await ClientJwks(FakeFetcher(b"")).jwks(_client()) is None


async def test_jwks_uri_is_fetched_once_then_cached_until_it_goes_stale() -> None:
    fetcher, clock = FakeFetcher(orjson.dumps(JWKS)), Clock()
    keys = ClientJwks(fetcher, cache_seconds=300, clock=clock)
    client = _client(jwks_uri=JWKS_URI)
    assert await keys.jwks(client) == JWKS
    clock.now += 299
    assert await keys.jwks(client) == JWKS
    assert fetcher.calls == [(JWKS_URI, JWKS_ACCEPT)]
    clock.now += 2
    await keys.jwks(client)
    assert len(fetcher.calls) == 2


@pytest.mark.parametrize("body", [b"not json", b"[]", b'{"keys": {}}'])
async def test_a_jwks_uri_without_a_jwk_set_fails_and_is_not_cached(body: bytes) -> None:
    fetcher = FakeFetcher(body)
    keys = ClientJwks(fetcher)
    for _ in range(2):
        with pytest.raises(FetchFailedError):
            await keys.jwks(_client(jwks_uri=JWKS_URI))
    assert len(fetcher.calls) == 2


async def test_a_failed_fetch_raises_with_a_client_safe_message() -> None:
    with pytest.raises(FetchFailedError, match="timed out"):
        await ClientJwks(FakeFetcher(b"")).jwks(_client(jwks_uri=JWKS_URI))
