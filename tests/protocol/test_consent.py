"""Consent to scopes and to claims asked for by name (OIDC Core §5.4, §5.5), and what is
released under it."""

from __future__ import annotations

from stint.protocol.consent import Consent
from stint.protocol.oidc.claims import ClaimsRequest, release

OPENID = frozenset({"openid"})
USER = {"email": "a@example.com", "phone_number": "+1 555", "preferred_username": "alice"}


def _claims(**userinfo: None) -> ClaimsRequest:
    return ClaimsRequest(userinfo=dict(userinfo))


def test_a_request_asks_for_the_claims_it_names_beyond_its_scopes() -> None:
    asked = Consent.asked(OPENID | {"email"}, _claims(email=None, phone_number=None))
    assert asked == Consent(OPENID | {"email"}, frozenset({"phone_number"}))


def test_claims_about_the_sign_in_or_unknown_to_stint_need_no_consent() -> None:
    asked = Consent.asked(
        OPENID, ClaimsRequest(id_token={"auth_time": None, "acr": None, "x": None})
    )
    assert asked == Consent(OPENID)


def test_a_consent_to_scopes_does_not_cover_claims_named_beyond_them() -> None:
    asked = Consent.asked(OPENID, _claims(email=None, preferred_username=None))
    assert not Consent(OPENID).covers(asked)
    assert not Consent(OPENID, frozenset({"email"})).covers(asked)
    assert Consent(OPENID, frozenset({"email", "preferred_username"})).covers(asked)


def test_a_consented_scope_covers_the_claims_it_names() -> None:
    asked = Consent.asked(OPENID, _claims(email=None, email_verified=None))
    assert Consent(OPENID | {"email"}).covers(asked)


def test_a_consent_covers_no_scope_it_lacks() -> None:
    assert not Consent(OPENID, frozenset({"email"})).covers(Consent(OPENID | {"email"}))


def test_consents_merge() -> None:
    merged = Consent(OPENID, frozenset({"email"})) | Consent(frozenset({"profile"}))
    assert merged == Consent(OPENID | {"profile"}, frozenset({"email"}))


def test_release_hands_over_only_claims_about_the_user() -> None:
    claims = {**USER, "sub": "someone-else", "iss": "https://evil.example"}
    released = release(claims, scopes=OPENID, requested={"email": None, "sub": None, "iss": None})
    assert released == {"email": "a@example.com"}
