"""What an authentication request needs from the user before it can be answered (OIDC Core
§3.1.2.1 prompt, max_age, id_token_hint; §3.1.2.6 errors when prompt=none forbids asking)."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

from stint.protocol.authorize.request import AuthorizationRequest
from stint.protocol.consent import Consent
from stint.protocol.errors import (
    ConsentRequiredError,
    InteractionRequiredError,
    LoginRequiredError,
    UnmetAuthenticationRequirementsError,
)
from stint.protocol.oidc.acr import (
    TWO_FACTOR_ACR,
    SecondFactorDemand,
    reaches,
    second_factor_demand,
)

__all__ = ["Step", "next_step"]


class Step(Enum):
    LOGIN = "login"
    SECOND_FACTOR = "second_factor"  # step-up: the signed-in person adds a second factor
    CONSENT = "consent"
    APPROVE = "approve"


def next_step(
    request: AuthorizationRequest,
    *,
    subject: str | None,
    auth_time: datetime | None,
    consent: Consent,
    now: datetime,
    session_acr: str = "",
    second_factor: bool = False,
) -> Step:
    """``subject`` is the signed-in user's ``sub`` as this client sees it (None: not signed in);
    ``consent`` is what that user already agreed to for this client; ``session_acr`` the level
    the session signed in at (oidc.acr) and ``second_factor`` whether the user has one set up."""
    silent = "none" in request.prompt
    if subject is None or auth_time is None:
        if silent:
            raise LoginRequiredError("the user is not signed in")
        return Step.LOGIN
    hint = request.id_token_hint
    if hint is not None and hint.get("sub") != subject:
        if silent:
            raise LoginRequiredError("the signed-in user is not the one id_token_hint names")
        return Step.LOGIN
    # The sign-in the request was sent to make meets prompt=login and max_age; nothing older.
    after = request.authenticated_after
    fresh = after is not None and auth_time >= after
    max_age = request.max_age
    if max_age is None and isinstance(request.client.meta("default_max_age"), int):
        max_age = request.client.meta("default_max_age")  # Registration §2
    if max_age is not None and not fresh and (now - auth_time).total_seconds() > max_age:
        if silent:
            raise LoginRequiredError("the sign-in is older than max_age allows")
        return Step.LOGIN
    if request.prompt & {"login", "select_account"} and not fresh:
        return Step.LOGIN
    demand = second_factor_demand(request)
    if demand is not SecondFactorDemand.NONE and not reaches(session_acr, TWO_FACTOR_ACR):
        essential = demand is SecondFactorDemand.ESSENTIAL
        if not second_factor:
            if essential:  # Unmet Authentication Requirements 1.0 §2
                raise UnmetAuthenticationRequirementsError("the user has no second factor")
        elif not silent:
            return Step.SECOND_FACTOR
        elif essential:  # §3.1.2.6: asking is needed and prompt=none forbids it
            raise InteractionRequiredError("the request needs a second factor")
    # A first-party client needs no consent; any other, consent to all it asks (OIDC Core §5.5:
    # claims asked for by name too, not only the scopes).
    consented = request.client.first_party or consent.covers(request.asked_consent)
    if "consent" in request.prompt or not consented:
        if silent:
            raise ConsentRequiredError("the user has not consented to this client")
        return Step.CONSENT
    return Step.APPROVE
