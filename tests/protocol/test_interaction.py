"""What an authentication request needs from the user (OIDC Core §3.1.2.1, §3.1.2.6)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from stint.protocol.authorize.request import AuthorizationRequest, RedirectTarget
from stint.protocol.consent import Consent
from stint.protocol.errors import (
    ConsentRequiredError,
    InteractionRequiredError,
    UnmetAuthenticationRequirementsError,
)
from stint.protocol.oidc.acr import TWO_FACTOR_ACR
from stint.protocol.oidc.claims import ClaimsRequest
from stint.protocol.oidc.interaction import Step, next_step
from tests.support.clients import relying_party

NOW = datetime(2026, 12, 6, 10, 0, tzinfo=UTC)
OPENID = frozenset({"openid"})
CONTACT = ClaimsRequest(userinfo={"email": None, "phone_number": None})


def _request(*, first_party: bool = False, **fields: Any) -> AuthorizationRequest:
    client = relying_party(first_party=first_party)
    defaults: dict[str, Any] = {
        "client": client,
        "target": RedirectTarget("https://rp.example/cb", "query", "s"),
        "redirect_uri_param": None,
        "response_type": "code",
        "scopes": OPENID,
        "code_challenge": None,
        "code_challenge_method": None,
    }
    return AuthorizationRequest(**(defaults | fields))


def _step(request: AuthorizationRequest, consent: Consent) -> Step:
    return next_step(
        request, subject="sub", auth_time=NOW - timedelta(minutes=5), consent=consent, now=NOW
    )


def test_prompt_none_asking_for_claims_beyond_the_consent_is_consent_required() -> None:
    request = _request(prompt=frozenset({"none"}), claims=CONTACT)
    with pytest.raises(ConsentRequiredError):
        _step(request, Consent(OPENID))


def test_claims_beyond_the_consent_show_the_consent_page() -> None:
    assert _step(_request(claims=CONTACT), Consent(OPENID)) is Step.CONSENT


def test_claims_within_the_consent_are_approved_at_once() -> None:
    consent = Consent(OPENID, frozenset({"email", "phone_number"}))
    assert _step(_request(prompt=frozenset({"none"}), claims=CONTACT), consent) is Step.APPROVE


def test_a_first_party_client_needs_no_consent() -> None:
    assert _step(_request(first_party=True, claims=CONTACT), Consent()) is Step.APPROVE


@pytest.mark.parametrize("demand", [{"prompt": frozenset({"login"})}, {"max_age": 0}])
def test_a_demand_for_a_fresh_sign_in_stands_until_one_made_after_it(
    demand: dict[str, Any],
) -> None:
    consent = Consent(OPENID)
    signed_in = NOW - timedelta(minutes=5)
    sent = NOW - timedelta(minutes=1)  # when the request was sent to sign in
    assert _step(_request(**demand), consent) is Step.LOGIN
    # Back from the sign-in page with the old session: still to sign in.
    old = _request(authenticated_after=sent, **demand)
    assert _step(old, consent) is Step.LOGIN
    assert signed_in < sent
    # A session signed in since then meets it (and prompt=login does not loop).
    fresh = next_step(old, subject="sub", auth_time=sent, consent=consent, now=NOW)
    assert fresh is Step.APPROVE


def _step_up(request: AuthorizationRequest, *, acr: str = "", second_factor: bool) -> Step:
    return next_step(
        request,
        subject="sub",
        auth_time=NOW - timedelta(minutes=5),
        consent=Consent(OPENID),
        now=NOW,
        session_acr=acr,
        second_factor=second_factor,
    )


ESSENTIAL_2FA = ClaimsRequest(id_token={"acr": {"essential": True, "values": [TWO_FACTOR_ACR]}})


def test_acr_values_asking_for_two_factors_step_up_a_password_session() -> None:
    request = _request(acr_values=(TWO_FACTOR_ACR,))
    assert _step_up(request, second_factor=True) is Step.SECOND_FACTOR
    assert _step_up(request, acr=TWO_FACTOR_ACR, second_factor=True) is Step.APPROVE


def test_voluntary_acr_values_a_person_without_a_second_factor_cannot_meet_pass() -> None:
    request = _request(acr_values=(TWO_FACTOR_ACR,))
    assert _step_up(request, second_factor=False) is Step.APPROVE


def test_an_essential_two_factor_acr_without_a_second_factor_is_unmet() -> None:
    """OpenID Connect Unmet Authentication Requirements 1.0 §2."""
    with pytest.raises(UnmetAuthenticationRequirementsError):
        _step_up(_request(claims=ESSENTIAL_2FA), second_factor=False)


def test_prompt_none_cannot_step_up_an_essential_acr() -> None:
    request = _request(claims=ESSENTIAL_2FA, prompt=frozenset({"none"}))
    with pytest.raises(InteractionRequiredError):
        _step_up(request, second_factor=True)
    voluntary = _request(acr_values=(TWO_FACTOR_ACR,), prompt=frozenset({"none"}))
    assert _step_up(voluntary, second_factor=True) is Step.APPROVE
