"""User codes (RFC 8628 §6.1): eight letters without vowels or look-alikes, shown XXXX-XXXX,
read back whatever the case and separators, and nothing else read as one."""

from __future__ import annotations

import pytest

from stint.protocol.device.user_code import ALPHABET, display, new_user_code, normalise


def test_the_alphabet_is_rfc_8628s_base_20_without_vowels() -> None:
    assert ALPHABET == "BCDFGHJKLMNPQRSTVWXZ"
    assert not set(ALPHABET) & set("AEIOUY0123456789")


def test_new_codes_are_eight_letters_of_the_alphabet_and_use_all_of_it() -> None:
    codes = [new_user_code() for _ in range(1000)]
    assert all(len(code) == 8 and set(code) <= set(ALPHABET) for code in codes)
    assert set("".join(codes)) == set(ALPHABET)  # 8000 draws: every letter comes up
    assert len(set(codes)) == len(codes)


def test_a_code_is_shown_in_two_halves() -> None:
    assert display("WDJBMJHT") == "WDJB-MJHT"


@pytest.mark.parametrize(
    "typed",
    ["WDJB-MJHT", "wdjb-mjht", "WdJbMjHt", "wdjb mjht", " WDJB - MJHT ", "W-D-J-B-M-J-H-T"],
)
def test_case_hyphens_and_spaces_do_not_matter(typed: str) -> None:
    assert normalise(typed) == "WDJBMJHT"


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "WDJB-MJH",  # too short
        "WDJB-MJHTX",  # too long
        "WDJA-MJHT",  # a vowel
        "WDJB-MJH1",  # a digit
        "WDJB_MJHT",  # a separator of another kind
        "WDJB\tMJHT",
        "WDJB.MJHT",
        "WDJB-MJH\u017f",  # long s: upper-cases to S, still not one of ours
        "\uff37DJB-MJHT",  # a full-width W
        "WDJB-MJHT\x00",
        "-" * 10 + "WDJBMJHT" + " " * 30,  # longer than anyone types
    ],
)
def test_anything_else_is_no_code(typed: str) -> None:
    assert normalise(typed) is None
