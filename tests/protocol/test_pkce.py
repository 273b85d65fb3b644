"""PKCE (RFC 7636): the challenge checked at authorization, the verifier at the token step."""

from __future__ import annotations

import pytest

from stint.protocol import pkce
from stint.protocol.errors import InvalidGrantError, InvalidRequestError

# RFC 7636 Appendix B.
VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


def test_the_rfc_7636_appendix_b_example_verifies() -> None:
    assert pkce.check_challenge(CHALLENGE, "S256", allow_plain=False) == "S256"
    pkce.verify(VERIFIER, CHALLENGE, "S256")


def test_a_verifier_of_another_challenge_is_invalid_grant() -> None:
    with pytest.raises(InvalidGrantError, match="does not match"):
        pkce.verify(VERIFIER[:-1] + "l", CHALLENGE, "S256")


def test_the_challenge_itself_is_not_a_verifier_for_s256() -> None:
    with pytest.raises(InvalidGrantError):
        pkce.verify(CHALLENGE, CHALLENGE, "S256")


def test_a_missing_verifier_is_invalid_grant() -> None:
    with pytest.raises(InvalidGrantError, match="required"):
        pkce.verify(None, CHALLENGE, "S256")


@pytest.mark.parametrize(
    "verifier",
    ["a" * 42, "a" * 129, "a" * 42 + "=", "a" * 42 + "+", "a" * 42 + "/", "é" * 43, ""],
)
def test_a_malformed_verifier_is_invalid_grant(verifier: str) -> None:
    with pytest.raises(InvalidGrantError, match="malformed"):
        pkce.verify(verifier, CHALLENGE, "S256")


@pytest.mark.parametrize("verifier", ["a" * 43, "a" * 128, "-._~" * 11])
def test_verifiers_of_43_to_128_unreserved_characters_are_accepted(verifier: str) -> None:
    pkce.verify(verifier, verifier, "plain")


def test_without_a_challenge_no_pkce_is_used() -> None:
    assert pkce.check_challenge(None, None, allow_plain=False) is None


def test_a_method_without_a_challenge_is_invalid_request() -> None:
    with pytest.raises(InvalidRequestError):
        pkce.check_challenge(None, "S256", allow_plain=False)


@pytest.mark.parametrize("method", ["plain", None])
def test_plain_is_refused_unless_allowed(method: str | None) -> None:
    with pytest.raises(InvalidRequestError, match="S256"):
        pkce.check_challenge(VERIFIER, method, allow_plain=False)
    assert pkce.check_challenge(VERIFIER, method, allow_plain=True) == "plain"


@pytest.mark.parametrize("method", ["S512", "s256", "SHA256", "none"])
def test_an_unknown_method_is_refused(method: str) -> None:
    with pytest.raises(InvalidRequestError):
        pkce.check_challenge(CHALLENGE, method, allow_plain=True)


@pytest.mark.parametrize("challenge", ["short", CHALLENGE + "=", "x" * 129, CHALLENGE[:-1] + "+"])
def test_a_malformed_challenge_is_refused(challenge: str) -> None:
    with pytest.raises(InvalidRequestError, match="malformed"):
        pkce.check_challenge(challenge, "S256", allow_plain=False)
