"""TOTP codes (RFC 6238): the drift window, codes working once, and the secret's URI."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pyotp

from stint.accounts.totp import STEP_SECONDS, matching_step, new_totp_secret, otpauth_uri

NOW = datetime(2026, 12, 6, 10, 0, 10, tzinfo=UTC)
SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def _code(at: datetime) -> str:
    return pyotp.TOTP(SECRET).at(at)


def test_the_current_code_matches_its_time_step() -> None:
    assert matching_step(SECRET, _code(NOW), NOW) == int(NOW.timestamp()) // STEP_SECONDS


def test_a_code_one_step_either_side_is_accepted_for_clock_drift() -> None:
    step = timedelta(seconds=STEP_SECONDS)
    assert matching_step(SECRET, _code(NOW - step), NOW) is not None
    assert matching_step(SECRET, _code(NOW + step), NOW) is not None


def test_a_code_two_steps_old_is_refused() -> None:
    assert matching_step(SECRET, _code(NOW - timedelta(seconds=2 * STEP_SECONDS)), NOW) is None


def test_a_code_of_a_step_already_used_is_refused() -> None:
    step = matching_step(SECRET, _code(NOW), NOW)
    assert step is not None
    assert matching_step(SECRET, _code(NOW), NOW, after_step=step) is None
    # Nor an older one still inside the window.
    older = _code(NOW - timedelta(seconds=STEP_SECONDS))
    assert matching_step(SECRET, older, NOW, after_step=step) is None


def test_codes_of_the_wrong_shape_never_match() -> None:
    for code in ("", "12345", "1234567", "abcdef", " " * 6):
        assert matching_step(SECRET, code, NOW) is None


def test_spaces_typed_in_a_code_are_ignored() -> None:
    code = _code(NOW)
    assert matching_step(SECRET, f"{code[:3]} {code[3:]}", NOW) is not None


def test_new_secrets_are_160_bit_base32_and_differ() -> None:
    first, second = new_totp_secret(), new_totp_secret()
    assert first != second
    assert len(first) == 32  # 32 base32 characters: 160 bits (RFC 4226 §4)
    assert pyotp.TOTP(first).now().isdigit()


def test_the_otpauth_uri_names_the_account_and_issuer() -> None:
    uri = otpauth_uri(SECRET, "alice", "Stint")
    parts = urlsplit(uri)
    assert (parts.scheme, parts.netloc) == ("otpauth", "totp")
    assert parts.path == "/Stint:alice"
    query = parse_qs(parts.query)
    assert query["secret"] == [SECRET]
    assert query["issuer"] == ["Stint"]
