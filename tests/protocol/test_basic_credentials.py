"""Decoding HTTP Basic credentials (RFC 7617 §2), shared by the API, UserInfo and OAuth clients."""

from __future__ import annotations

import base64

import pytest

from stint.protocol.basic_credentials import MAX_USER_ID, MalformedBasicError, decode_basic


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def test_the_user_id_ends_at_the_first_colon_and_the_password_may_hold_more() -> None:
    """§2: the user-id cannot contain a colon; the password can."""
    assert decode_basic(_b64(b"ada:pass:word")) == ("ada", "pass:word")


def test_utf8_credentials_are_decoded_and_an_empty_password_is_kept() -> None:
    """§2.1: with charset="UTF-8" both parts are UTF-8."""
    assert decode_basic(_b64("zoë:".encode())) == ("zoë", "")


def test_surrounding_whitespace_is_ignored() -> None:
    assert decode_basic(f"  {_b64(b'ada:pw')}  ") == ("ada", "pw")


@pytest.mark.parametrize(
    "encoded",
    [
        "not base64!",
        "é" + _b64(b"ada:pw"),  # a header is Latin-1: non-ASCII is not base64
        _b64(b"\xff\xfe:pw"),  # not UTF-8
        _b64(b"no-colon"),
        _b64(b":pw"),  # an empty user-id
        _b64(b"u" * (MAX_USER_ID + 1) + b":pw"),
    ],
)
def test_what_is_not_base64_of_user_id_colon_password_is_malformed(encoded: str) -> None:
    with pytest.raises(MalformedBasicError, match="malformed"):
        decode_basic(encoded)


@pytest.mark.parametrize("raw", [b"ada\x00:pw", b"ada:p\x7fw", b"ada:pw\n"])
def test_a_control_character_in_either_part_is_refused(raw: bytes) -> None:
    """§2: neither part may contain control characters."""
    with pytest.raises(MalformedBasicError, match="control characters"):
        decode_basic(_b64(raw))


def test_a_user_id_as_long_as_an_access_token_is_accepted() -> None:
    """The API accepts a token as the Basic user-id, so long ones must pass."""
    assert decode_basic(_b64(b"t" * MAX_USER_ID + b":x"))[0] == "t" * MAX_USER_ID
