"""Profile claims are checked once, when set, against the shapes OIDC Core §5.1 gives them."""

from __future__ import annotations

import pytest

from stint.accounts.profile import ProfileError, checked_profile


def test_a_full_profile_is_kept_with_a_formatted_address() -> None:
    profile = checked_profile(
        {
            "name": "Ann Lee",
            "given_name": "Ann",
            "email": "ann@example.com",
            "email_verified": True,
            "phone_number": "+44 20 7946 0958",
            "birthdate": "1990-04-01",
            "zoneinfo": "Europe/London",
            "locale": "en-GB",
            "website": "https://ann.example",
            "address": {"street_address": "1 Main St", "locality": "London", "country": "UK"},
        }
    )
    assert profile["address"]["formatted"] == "1 Main St\nLondon\nUK"
    assert profile["email_verified"] is True


def test_empty_values_are_dropped() -> None:
    assert checked_profile({"name": "", "nickname": None, "address": {}}) == {}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("email", "not-an-address"),
        ("email_verified", "yes"),
        ("phone_number", "0123"),
        ("zoneinfo", "Mars/Olympus"),
        ("locale", "english"),
        ("birthdate", "01/04/1990"),
        ("picture", "http://insecure.example/p.png"),
        ("name", "x" * 201),
        ("address", "Main St"),
        ("favourite_colour", "blue"),
    ],
)
def test_each_bad_field_is_named(field: str, value: object) -> None:
    with pytest.raises(ProfileError) as caught:
        checked_profile({field: value})
    assert field in caught.value.problems
