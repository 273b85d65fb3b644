"""Response types and modes (OAuth 2.0 Multiple Response Type Encoding Practices; RFC 9700
§2.1.2; OIDC Registration §2)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from stint.protocol.authorize.response_types import (
    RESPONSE_TYPES,
    client_response_types,
    default_mode,
    enabled_response_types,
    normalise,
    returns_access_token,
)
from tests.support.oauth_memory import web_client


@pytest.mark.parametrize(
    ("sent", "normalised"),
    [
        ("code", "code"),
        ("id_token code", "code id_token"),
        ("token id_token code", "code id_token token"),
        ("token id_token", "id_token token"),
    ],
)
def test_the_values_of_a_response_type_are_an_unordered_set(sent: str, normalised: str) -> None:
    """§5: "code id_token" and "id_token code" are the same response type."""
    assert normalise(sent) == normalised


@pytest.mark.parametrize(
    "sent", ["code code", "id_token code id_token", "code  token", "Code", "code bogus", ""]
)
def test_an_unknown_or_repeated_value_is_left_as_sent_to_be_refused(sent: str) -> None:
    assert normalise(sent) == sent
    assert sent not in RESPONSE_TYPES


def test_only_response_types_with_token_hand_out_an_access_token() -> None:
    """RFC 9700 §2.1.2: these are the ones an operator must enable."""
    tokens = {rt for rt in RESPONSE_TYPES if returns_access_token(rt)}
    assert tokens == {"token", "id_token token", "code token", "code id_token token"}


def test_front_channel_access_token_types_are_offered_only_when_enabled() -> None:
    assert enabled_response_types(implicit_enabled=False) == ["code", "id_token", "code id_token"]
    assert enabled_response_types(implicit_enabled=True) == list(RESPONSE_TYPES)


def test_response_types_whose_grant_is_switched_off_are_not_offered() -> None:
    no_code = frozenset({"client_credentials", "implicit"})
    assert enabled_response_types(implicit_enabled=False, grant_types=no_code) == ["id_token"]


@pytest.mark.parametrize(
    ("response_type", "mode"),
    [("code", "query"), ("id_token", "fragment"), ("code id_token", "fragment"), ("x", "query")],
)
def test_a_lone_code_defaults_to_the_query_anything_else_to_the_fragment(
    response_type: str, mode: str
) -> None:
    """Multiple Response Types §5; an unknown type carries no token, so its error may be queried."""
    assert default_mode(response_type) == mode


def test_a_clients_response_types_are_implied_by_its_grants() -> None:
    """RFC 7591 §2.1: the correspondence of grant types and response types."""
    code_only = web_client()
    assert client_response_types(code_only) == {"code"}
    implicit = replace(code_only, grant_types=frozenset({"implicit"}))
    assert client_response_types(implicit) == {"token", "id_token", "id_token token"}
    assert client_response_types(replace(code_only, grant_types=frozenset())) == frozenset()


def test_registered_response_types_are_the_clients_normalised() -> None:
    """OIDC Registration §2: response_types the client restricts itself to."""
    client = replace(web_client(), metadata={"response_types": ["id_token code", "code"]})
    assert client_response_types(client) == {"code id_token", "code"}


@pytest.mark.parametrize("registered", [[], "code"])
def test_an_empty_or_malformed_registration_falls_back_to_the_grants(registered: object) -> None:
    client = replace(web_client(), metadata={"response_types": registered})
    assert client_response_types(client) == {"code"}
