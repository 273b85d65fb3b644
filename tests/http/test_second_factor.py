"""TOTP as a second factor through the pages: enrolment on /account/security, the second step of
the sign-in, recovery codes, throttling, and the step-up an app asks for with ``acr_values``
(an ID token whose ``amr`` and ``acr`` say two factors were used)."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import httpx
import pyotp
import pytest
from starlette.applications import Starlette

from stint.protocol.oidc.acr import PASSWORD_ACR, TWO_FACTOR_ACR
from stint.settings import Settings
from stint.web.app import FEATURES, create_app
from stint.web.features import totp as totp_feature
from stint.web.second_step import SECOND_FACTOR_PATH
from tests.conftest import FAST_HASHING, PASSWORD, Account
from tests.oidc.support import (
    authorization_url,
    oidc_client,
    redeem_code,
    redirect_params,
    unverified,
)
from tests.support.clock import Clock
from tests.support.flows import decide
from tests.support.pages import browser, csrf_of, hidden_inputs, sign_in, text_of

pytestmark = pytest.mark.anyio

_SECRET = re.compile(r'data-field="totp-secret">([A-Z2-7]+)<')
_CODES = re.compile(r"<li><code>([a-z0-9]{5}-[a-z0-9]{5})</code></li>")


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime.now(UTC))


@pytest.fixture
async def app(settings: Settings, clock: Clock) -> AsyncIterator[Starlette]:
    """The app, its TOTP codes checked at ``clock``'s time (a test moves it a step on)."""
    features = tuple(
        (lambda core, s: totp_feature.build(core, clock=clock)) if f is totp_feature.feature else f
        for f in FEATURES
    )
    application = create_app(settings, hashing=FAST_HASHING, features=features)
    async with application.router.lifespan_context(application):
        yield application


async def _enrol(b: httpx.AsyncClient, clock: Clock) -> tuple[pyotp.TOTP, list[str]]:
    """Turn TOTP on for the signed-in ``b``; the authenticator app and the recovery codes."""
    page = await b.get("/account/security")
    assert "Set up an authenticator app" in text_of(page)
    started = await b.post("/account/security/totp/start", data={"csrf_token": csrf_of(page)})
    assert started.status_code == 303
    app, codes = await _confirm(b, clock)
    clock.advance(30)  # the confirming code's time-step is used up
    return app, codes


async def _confirm(b: httpx.AsyncClient, clock: Clock) -> tuple[pyotp.TOTP, list[str]]:
    """Confirm the enrolment begun on ``b`` with the right code."""
    page = await b.get("/account/security")
    found = _SECRET.search(page.text)
    assert found is not None
    app = pyotp.TOTP(found.group(1))
    confirmed = await b.post(
        "/account/security/totp/confirm",
        data={"csrf_token": csrf_of(page), "code": app.at(clock.now)},
    )
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.headers["cache-control"] == "no-store"
    assert "otpauth://totp/Stint:alice?secret=" in page.text
    return app, _CODES.findall(confirmed.text)


async def _password(b: httpx.AsyncClient, next_url: str = "/account") -> httpx.Response:
    page = await b.get("/login", params={"next": next_url})
    form = hidden_inputs(page.text)
    return await b.post("/login", data={**form, "username": "alice", "password": PASSWORD})


async def _second_factor(b: httpx.AsyncClient, code: str) -> httpx.Response:
    page = await b.get(SECOND_FACTOR_PATH)
    assert page.status_code == 200, page.text
    form = hidden_inputs(page.text)
    return await b.post(f"{SECOND_FACTOR_PATH}/totp", data={**form, "code": code})


async def test_enrolment_needs_a_right_code_and_shows_ten_recovery_codes(
    app: Starlette, alice: Account, clock: Clock
) -> None:
    async with browser(app) as b:
        await sign_in(b, "alice")
        page = await b.get("/account/security")
        await b.post("/account/security/totp/start", data={"csrf_token": csrf_of(page)})
        page = await b.get("/account/security")
        assert _SECRET.search(page.text)
        wrong = await b.post(
            "/account/security/totp/confirm", data={"csrf_token": csrf_of(page), "code": "12345"}
        )
        assert wrong.status_code == 303
        assert "totp-wrong-code" in wrong.headers["location"]
        assert "Set up an authenticator app" not in text_of(await b.get("/account/security"))
        _, codes = await _confirm(b, clock)
        assert len(set(codes)) == 10
        page = await b.get("/account/security")
        assert "10 recovery codes left." in text_of(page)
        assert "Turn off" in text_of(page)


async def test_after_the_password_a_code_is_needed_before_any_session(
    app: Starlette, alice: Account, clock: Clock
) -> None:
    async with browser(app) as b:
        await sign_in(b, "alice")
        totp, _ = await _enrol(b, clock)
    async with browser(app) as b:
        answer = await _password(b, "/account")
        assert answer.status_code == 303
        assert answer.headers["location"] == f"{SECOND_FACTOR_PATH}?next=%2Faccount"
        assert (await b.get("/account")).status_code == 303  # no session yet
        page = await b.get(SECOND_FACTOR_PATH)
        assert "Code from your authenticator app" in text_of(page)
        signed_in = await _second_factor(b, totp.at(clock.now))
        assert signed_in.status_code == 303
        assert signed_in.headers["location"] == "/account"
        assert (await b.get("/account")).status_code == 200
        sessions = await app.state.runtime.oauth.sessions.for_user(alice.id)
        newest = max(sessions, key=lambda s: s.created_at)
        assert (newest.amr, newest.acr) == ("pwd otp mfa", TWO_FACTOR_ACR)
        # The half-done sign-in is gone with it.
        assert (await b.get(SECOND_FACTOR_PATH)).status_code == 303


async def test_a_code_used_once_is_refused_again_in_its_window(
    app: Starlette, alice: Account, clock: Clock
) -> None:
    async with browser(app) as b:
        await sign_in(b, "alice")
        totp, _ = await _enrol(b, clock)
    code = totp.at(clock.now)
    async with browser(app) as first:
        await _password(first)
        assert (await _second_factor(first, code)).status_code == 303
    async with browser(app) as second:
        await _password(second)
        replayed = await _second_factor(second, code)
        assert replayed.status_code == 401
        assert "was used already" in text_of(replayed)
        assert (await second.get("/account")).status_code == 303


async def test_wrong_codes_are_throttled_then_even_the_right_one_waits(
    app: Starlette, alice: Account, clock: Clock
) -> None:
    async with browser(app) as b:
        await sign_in(b, "alice")
        totp, _ = await _enrol(b, clock)
    window = {totp.at(clock.now, counter_offset=o) for o in (-1, 0, 1)}
    wrong = next(c for c in (f"{n:06d}" for n in range(10)) if c not in window)
    async with browser(app) as b:
        await _password(b)
        for _ in range(5):
            assert (await _second_factor(b, wrong)).status_code == 401
        throttled = await _second_factor(b, totp.at(clock.now))
        assert throttled.status_code == 429
        assert "Too many wrong codes" in text_of(throttled)
        assert (await b.get("/account")).status_code == 303


async def test_a_recovery_code_signs_in_once(app: Starlette, alice: Account, clock: Clock) -> None:
    async with browser(app) as b:
        await sign_in(b, "alice")
        _, codes = await _enrol(b, clock)
    async with browser(app) as b:
        await _password(b)
        assert (await _second_factor(b, codes[0])).status_code == 303
        assert (await b.get("/account")).status_code == 200
    async with browser(app) as b:
        await _password(b)
        assert (await _second_factor(b, codes[0])).status_code == 401
        page = await b.get("/account/security")
        assert page.status_code == 303  # not signed in


async def test_without_the_first_step_there_is_no_second(app: Starlette, alice: Account) -> None:
    async with browser(app) as b:
        page = await b.get(SECOND_FACTOR_PATH, params={"next": "/account"})
        assert page.status_code == 303
        assert page.headers["location"] == "/login?next=%2Faccount"
        token = csrf_of(await b.get("/login"))
        posted = await b.post(f"{SECOND_FACTOR_PATH}/totp", data={"csrf_token": token, "code": "1"})
        assert posted.status_code == 303
        assert posted.headers["location"].startswith("/login?")


async def test_turning_off_needs_the_password_or_a_code(
    app: Starlette, alice: Account, clock: Clock
) -> None:
    async with browser(app) as b:
        await sign_in(b, "alice")
        await _enrol(b, clock)
        page = await b.get("/account/security")
        refused = await b.post(
            "/account/security/totp/disable",
            data={"csrf_token": csrf_of(page), "password": "not the password"},
        )
        assert "totp-not-disabled" in refused.headers["location"]
        assert "Turn off" in text_of(await b.get("/account/security"))
        done = await b.post(
            "/account/security/totp/disable",
            data={"csrf_token": csrf_of(page), "password": PASSWORD},
        )
        assert "totp-disabled" in done.headers["location"]
        assert "Set up an authenticator app" in text_of(await b.get("/account/security"))
    async with browser(app) as b:  # the password alone signs in again
        assert (await _password(b)).headers["location"] == "/account"


async def test_acr_values_asking_for_two_factors_step_up_a_password_session(
    app: Starlette, client: httpx.AsyncClient, alice: Account, clock: Clock
) -> None:
    rp = await oidc_client(app)
    async with browser(app) as b:
        await sign_in(b, "alice")  # a password session
        totp, _ = await _enrol(b, clock)
        url = authorization_url(rp.client_id, acr_values=f"{TWO_FACTOR_ACR} {PASSWORD_ACR}")
        asked = await b.get(url)
        assert asked.status_code == 303
        location = asked.headers["location"]
        assert urlsplit(location).path == SECOND_FACTOR_PATH
        resumed = await _second_factor(b, totp.at(clock.now))
        assert resumed.status_code == 303
        assert resumed.headers["location"].startswith("/o/authorize/?")
        consent = await b.get(resumed.headers["location"])
        params = redirect_params(await decide(b, consent), rp.redirect_uri)
    answer = await redeem_code(client, rp, params["code"])
    assert answer.status_code == 200, answer.text
    claims = unverified(answer.json()["id_token"])[1]
    assert claims["acr"] == TWO_FACTOR_ACR
    assert {"pwd", "otp", "mfa"} <= set(claims["amr"])


async def test_a_password_session_answers_acr_values_for_the_password_level_at_once(
    app: Starlette, client: httpx.AsyncClient, alice: Account, clock: Clock
) -> None:
    """Password preferred (the first acr value): no second factor is asked for."""
    rp = await oidc_client(app)
    async with browser(app) as b:
        await sign_in(b, "alice")
        await _enrol(b, clock)
        url = authorization_url(rp.client_id, acr_values=f"{PASSWORD_ACR} {TWO_FACTOR_ACR}")
        consent = await b.get(url)
        assert consent.status_code == 200
        assert 'name="decision"' in consent.text


async def test_an_essential_two_factor_acr_for_a_person_without_one_is_unmet(
    app: Starlette, alice: Account
) -> None:
    """OpenID Connect Unmet Authentication Requirements 1.0 §2."""
    rp = await oidc_client(app)
    claims = json.dumps({"id_token": {"acr": {"essential": True, "values": [TWO_FACTOR_ACR]}}})
    async with browser(app) as b:
        await sign_in(b, "alice")
        answer = await b.get(authorization_url(rp.client_id, claims=claims))
    params = redirect_params(answer, rp.redirect_uri)
    assert params["error"] == "unmet_authentication_requirements"


async def test_signed_in_with_two_factors_the_id_token_says_so_without_asking_again(
    app: Starlette, client: httpx.AsyncClient, alice: Account, clock: Clock
) -> None:
    rp = await oidc_client(app)
    async with browser(app) as b:
        await sign_in(b, "alice")
        totp, _ = await _enrol(b, clock)
    async with browser(app) as b:
        url = authorization_url(rp.client_id, acr_values=TWO_FACTOR_ACR)
        to_login = await b.get(url)
        next_url = parse_qs(urlsplit(to_login.headers["location"]).query)["next"][0]
        assert (await _password(b, next_url)).status_code == 303
        resumed = await _second_factor(b, totp.at(clock.now))
        assert resumed.headers["location"] == next_url
        consent = await b.get(next_url)
        params = redirect_params(await decide(b, consent), rp.redirect_uri)
    answer = await redeem_code(client, rp, params["code"])
    claims = unverified(answer.json()["id_token"])[1]
    assert (claims["acr"], claims["amr"]) == (TWO_FACTOR_ACR, ["pwd", "otp", "mfa"])


async def test_the_qr_code_of_an_enrolment_is_an_svg_for_its_owner_only(
    app: Starlette, alice: Account, bob: Account
) -> None:
    async with browser(app) as b:
        await sign_in(b, "alice")
        assert (await b.get("/account/security/totp/qr.svg")).status_code == 404  # none begun
        page = await b.get("/account/security")
        await b.post("/account/security/totp/start", data={"csrf_token": csrf_of(page)})
        assert 'src="/account/security/totp/qr.svg"' in (await b.get("/account/security")).text
        image = await b.get("/account/security/totp/qr.svg")
        assert image.status_code == 200
        assert image.headers["content-type"] == "image/svg+xml"
        assert image.headers["cache-control"] == "no-store"
        assert image.text.lstrip().startswith(("<?xml", "<svg"))
    async with browser(app) as other:
        assert (await other.get("/account/security/totp/qr.svg")).status_code == 404
        await sign_in(other, "bob")
        assert (await other.get("/account/security/totp/qr.svg")).status_code == 404
