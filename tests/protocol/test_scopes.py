"""The scope parameter (RFC 6749 §3.3): parsed strictly, never wider than the client's."""

from __future__ import annotations

import pytest

from stint.protocol.errors import InvalidScopeError
from stint.protocol.oidc.claims import OIDC_SCOPES
from stint.protocol.scopes import API_SCOPES, SCOPE_DESCRIPTIONS, granted_scopes

ALLOWED = frozenset({"activities:read", "profile", "reports:read"})


def test_no_scope_parameter_grants_everything_allowed() -> None:
    assert granted_scopes(None, ALLOWED) == ALLOWED


@pytest.mark.parametrize(
    ("requested", "granted"),
    [
        ("profile", {"profile"}),
        ("profile activities:read", {"profile", "activities:read"}),
        ("profile  activities:read", {"profile", "activities:read"}),
        ("profile profile", {"profile"}),
        (" profile ", {"profile"}),
    ],
)
def test_a_subset_is_granted_as_asked(requested: str, granted: set[str]) -> None:
    assert granted_scopes(requested, ALLOWED) == granted


@pytest.mark.parametrize(
    "requested",
    ["activities:write", "profile admin", "PROFILE", "profile:read"],
)
def test_a_scope_the_client_may_not_have_is_invalid_scope(requested: str) -> None:
    with pytest.raises(InvalidScopeError, match="not allowed"):
        granted_scopes(requested, ALLOWED)


@pytest.mark.parametrize("requested", ["", " ", "   "])
def test_an_empty_scope_is_invalid_scope(requested: str) -> None:
    with pytest.raises(InvalidScopeError, match="empty"):
        granted_scopes(requested, ALLOWED)


@pytest.mark.parametrize(
    "requested", ['profile "x"', "profile\\x", "profile\tactivities:read", "prófile", "a\x7f"]
)
def test_characters_outside_scope_token_are_invalid_scope(requested: str) -> None:
    with pytest.raises(InvalidScopeError, match="malformed"):
        granted_scopes(requested, ALLOWED)


def test_every_api_scope_is_described_for_the_consent_page() -> None:
    # Every API scope and every OpenID Connect scope a client may ask for has a description.
    assert frozenset(SCOPE_DESCRIPTIONS) == API_SCOPES | OIDC_SCOPES
    assert all(SCOPE_DESCRIPTIONS[s] for s in API_SCOPES)
