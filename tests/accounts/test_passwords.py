"""argon2id hashing: OWASP parameters and transparent re-hashing."""

from __future__ import annotations

from stint.accounts.passwords import (
    PasswordHashing,
    PasswordVerdict,
    is_usable_password_hash,
    unusable_password_hash,
)


def test_default_parameters_are_owasps_argon2id() -> None:
    encoded = PasswordHashing().hash("a long enough passphrase")
    assert encoded.startswith("$argon2id$v=19$m=19456,t=2,p=1$")


def test_verify_accepts_the_password_and_nothing_else() -> None:
    hashing = PasswordHashing(memory_kib=1024, time_cost=1)
    encoded = hashing.hash("right one")
    assert hashing.verify(encoded, "right one").valid
    assert not hashing.verify(encoded, "wrong one").valid
    assert not hashing.verify(None, "right one").valid  # unknown user: same work, still no
    assert not hashing.verify("not a hash", "right one").valid


def test_hash_with_old_parameters_is_replaced_on_successful_verify() -> None:
    old = PasswordHashing(memory_kib=512, time_cost=1).hash("passphrase here")
    current = PasswordHashing(memory_kib=1024, time_cost=1)
    verdict = current.verify(old, "passphrase here")
    assert verdict.valid
    assert verdict.new_hash is not None and "m=1024,t=1" in verdict.new_hash
    assert current.verify(verdict.new_hash, "passphrase here").new_hash is None


def test_an_account_without_a_password_matches_no_password() -> None:
    hashing = PasswordHashing(memory_kib=1024, time_cost=1)
    marker = unusable_password_hash()
    assert not is_usable_password_hash(marker)
    assert is_usable_password_hash(hashing.hash("right one"))
    assert marker != unusable_password_hash()  # two such accounts never look alike
    for guess in (marker, marker[1:], "", "!", "right one"):
        assert hashing.verify(marker, guess) == PasswordVerdict(valid=False)
