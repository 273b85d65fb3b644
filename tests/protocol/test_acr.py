"""The acr an approval states (OIDC Core §2, §3.1.2.1 acr_values, §5.5.1.1 the acr claim)."""

from __future__ import annotations

from typing import Any

import pytest

from stint.protocol.authorize.request import AuthorizationRequest, RedirectTarget
from stint.protocol.oidc.acr import (
    PASSWORD_ACR,
    TWO_FACTOR_ACR,
    SecondFactorDemand,
    reaches,
    second_factor_demand,
    stated_acr,
    two_factor_amr,
)
from stint.protocol.oidc.claims import ClaimsRequest
from tests.support.clients import relying_party


def _request(**fields: Any) -> AuthorizationRequest:
    defaults: dict[str, Any] = {
        "client": relying_party(),
        "target": RedirectTarget("https://rp.example/cb", "query", "s"),
        "redirect_uri_param": None,
        "response_type": "code",
        "scopes": frozenset({"openid"}),
        "code_challenge": None,
        "code_challenge_method": None,
    }
    return AuthorizationRequest(**(defaults | fields))


def _acr_claim(request: dict[str, Any] | None) -> ClaimsRequest:
    return ClaimsRequest(id_token={"acr": request})


def test_nothing_asked_states_no_acr() -> None:
    assert stated_acr(_request()) == ""


@pytest.mark.parametrize(
    "acr_values", [(PASSWORD_ACR,), ("urn:other", PASSWORD_ACR), (PASSWORD_ACR, "urn:other")]
)
def test_acr_values_naming_the_password_level_state_it(acr_values: tuple[str, ...]) -> None:
    assert stated_acr(_request(acr_values=acr_values)) == PASSWORD_ACR


def test_acr_values_stint_cannot_meet_state_none_rather_than_another_level() -> None:
    assert stated_acr(_request(acr_values=("1", "2"))) == ""


def test_the_acr_claim_with_the_password_level_among_its_values_states_it() -> None:
    wanted = {"essential": True, "values": ["urn:other", PASSWORD_ACR]}
    assert stated_acr(_request(claims=_acr_claim(wanted))) == PASSWORD_ACR
    assert stated_acr(_request(claims=_acr_claim({"value": PASSWORD_ACR}))) == PASSWORD_ACR


def test_the_acr_claim_asking_for_other_levels_only_states_none() -> None:
    assert stated_acr(_request(claims=_acr_claim({"values": ["urn:other"]}))) == ""


def test_the_acr_claim_by_name_alone_states_the_password_level() -> None:
    assert stated_acr(_request(claims=_acr_claim(None))) == PASSWORD_ACR
    assert stated_acr(_request(claims=_acr_claim({"essential": True}))) == PASSWORD_ACR


def test_an_acr_the_session_recorded_wins() -> None:
    request = _request(acr_values=(PASSWORD_ACR,))
    assert stated_acr(request, "urn:stint:acr:mfa") == "urn:stint:acr:mfa"


def test_asked_for_two_factors_and_given_a_password_the_password_level_is_stated() -> None:
    """Voluntary acr_values (§3.1.2.1) that could not be met: say truthfully what was."""
    assert stated_acr(_request(acr_values=(TWO_FACTOR_ACR,))) == PASSWORD_ACR


@pytest.mark.parametrize(
    ("acr_values", "claim", "demand"),
    [
        ((), None, SecondFactorDemand.NONE),
        ((PASSWORD_ACR,), None, SecondFactorDemand.NONE),
        ((PASSWORD_ACR, TWO_FACTOR_ACR), None, SecondFactorDemand.NONE),  # password preferred
        ((TWO_FACTOR_ACR, PASSWORD_ACR), None, SecondFactorDemand.PREFERRED),
        (("urn:other", TWO_FACTOR_ACR), None, SecondFactorDemand.PREFERRED),
        ((), {"values": [TWO_FACTOR_ACR]}, SecondFactorDemand.PREFERRED),
        ((), {"essential": True, "values": [TWO_FACTOR_ACR]}, SecondFactorDemand.ESSENTIAL),
        ((), {"essential": True, "value": TWO_FACTOR_ACR}, SecondFactorDemand.ESSENTIAL),
        (
            (),
            {"essential": True, "values": [PASSWORD_ACR, TWO_FACTOR_ACR]},
            SecondFactorDemand.NONE,
        ),
    ],
)
def test_what_a_request_demands_of_the_sign_in(
    acr_values: tuple[str, ...], claim: dict[str, Any] | None, demand: SecondFactorDemand
) -> None:
    claims = _acr_claim(claim) if claim is not None else ClaimsRequest()
    assert second_factor_demand(_request(acr_values=acr_values, claims=claims)) is demand


def test_the_clients_default_acr_values_stand_in_for_absent_ones() -> None:
    client = relying_party(metadata={"default_acr_values": [TWO_FACTOR_ACR]})
    assert second_factor_demand(_request(client=client)) is SecondFactorDemand.PREFERRED
    asked = _request(client=client, acr_values=(PASSWORD_ACR,))
    assert second_factor_demand(asked) is SecondFactorDemand.NONE


def test_two_factors_reach_the_password_level_and_not_the_reverse() -> None:
    assert reaches(TWO_FACTOR_ACR, PASSWORD_ACR)
    assert reaches(TWO_FACTOR_ACR, TWO_FACTOR_ACR)
    assert not reaches(PASSWORD_ACR, TWO_FACTOR_ACR)
    assert not reaches("", TWO_FACTOR_ACR)
    assert not reaches(TWO_FACTOR_ACR, "urn:other")


def test_the_amr_of_two_factors_says_mfa_once() -> None:
    """RFC 8176 §2."""
    assert two_factor_amr("pwd", "otp") == "pwd otp mfa"
    assert two_factor_amr("pwd", "mfa", "otp") == "pwd mfa otp"
