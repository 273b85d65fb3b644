"""Sealing at rest: a derived key per purpose, each value bound to its row; old keys still open."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from cryptography.exceptions import InvalidTag

from stint.storage.key_store import KeySealer
from stint.storage.sealing import (
    SIGNING_KEYS,
    UPSTREAM_CLIENT_SECRETS,
    UPSTREAM_SIGN_INS,
    UPSTREAM_TOKENS,
    Sealer,
)

SECRET = b"instance-secret-for-the-vector-test"

# Sealed by KeySealer before it became a Sealer (commit 2cd4792): signing keys in databases
# of earlier releases must keep opening.
SEALED_BEFORE = bytes.fromhex(
    "2d98b9f95e233641dcc6e357615234c004d62c3bfb2ce6713bb6e26b2eba969af2e7d08c808c414d68"
)


def test_signing_keys_sealed_by_earlier_releases_still_open() -> None:
    assert KeySealer(SECRET).open("kid-1", SEALED_BEFORE) == b'{"kty":"oct"}'
    assert Sealer(SECRET, SIGNING_KEYS).open("kid-1", SEALED_BEFORE) == b'{"kty":"oct"}'


def test_a_sealed_value_opens_only_for_its_row_purpose_and_secret() -> None:
    sealer = Sealer(SECRET, UPSTREAM_TOKENS)
    sealed = sealer.seal("github\0" + "42", b"gho_secret")
    assert b"gho_secret" not in sealed
    assert sealer.open("github\x0042", sealed) == b"gho_secret"
    wrongs: list[Callable[[], bytes]] = [
        lambda: sealer.open("github\x0043", sealed),  # another row
        lambda: Sealer(SECRET, UPSTREAM_CLIENT_SECRETS).open("github\x0042", sealed),
        lambda: Sealer(SECRET, UPSTREAM_SIGN_INS).open("github\x0042", sealed),
        lambda: Sealer(b"another instance secret", UPSTREAM_TOKENS).open("github\x0042", sealed),
        lambda: sealer.open("github\x0042", sealed[:-1] + bytes([sealed[-1] ^ 1])),
    ]
    for wrong in wrongs:
        with pytest.raises(InvalidTag):
            wrong()


def test_sealing_twice_gives_different_bytes() -> None:
    sealer = Sealer(SECRET, UPSTREAM_CLIENT_SECRETS)
    assert sealer.seal("github", b"s") != sealer.seal("github", b"s")  # a fresh nonce each time
