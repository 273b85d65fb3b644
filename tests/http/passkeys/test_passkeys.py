"""Passkeys over HTTP, end to end with a software authenticator's genuine WebAuthn responses:
enrol on /account/security, sign in with no password (two factors: hwk + mfa), use one as the
second factor after a password, remove one; replays and other accounts' passkeys refused."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from stint.protocol.oidc.acr import PASSWORD_ACR, TWO_FACTOR_ACR
from tests.conftest import Account
from tests.support.pages import browser, csrf_of, hidden_inputs, sign_in, text_of
from tests.support.webauthn import SoftAuthenticator

pytestmark = pytest.mark.anyio

ORIGIN = "http://testserver"  # the tests' issuer: the relying party's origin and host


async def options(client: httpx.AsyncClient, url: str, csrf: str) -> dict[str, Any]:
    answer = await client.post(url, data={"csrf_token": csrf})
    assert answer.status_code == 200, answer.text
    assert answer.headers["cache-control"] == "no-store"
    body: dict[str, Any] = answer.json()
    return body


async def enrol(
    client: httpx.AsyncClient, authenticator: SoftAuthenticator, name: str = "Laptop"
) -> httpx.Response:
    """Add a passkey on /account/security, as passkeys.js does."""
    csrf = csrf_of(await client.get("/account/security"))
    created = authenticator.create(
        await options(client, "/account/security/passkeys/options", csrf)
    )
    return await client.post(
        "/account/security/passkeys",
        data={"csrf_token": csrf, "name": name, "credential": created},
    )


async def sessions_of(app: Starlette, user_id: int) -> list[tuple[str, str]]:
    return [(s.amr, s.acr) for s in await app.state.runtime.oauth.sessions.for_user(user_id)]


async def passkey_sign_in_response(
    client: httpx.AsyncClient, authenticator: SoftAuthenticator
) -> tuple[str, str]:
    """The CSRF field of /login and a signed response to its passkey challenge."""
    login = await client.get("/login", params={"next": "/account"})
    assert "Sign in with a passkey" in text_of(login)
    csrf = csrf_of(login)
    return csrf, authenticator.get(await options(client, "/login/passkey/options", csrf))


async def test_a_passkey_is_enrolled_listed_and_signs_in_with_no_password(
    app: Starlette, client: httpx.AsyncClient, alice: Account
) -> None:
    authenticator = SoftAuthenticator(ORIGIN)
    await sign_in(client, "alice")
    added = await enrol(client, authenticator, "Work laptop")
    assert added.status_code == 200, added.text
    assert added.json() == {"redirect": "/account/security?passkey=added"}
    page = await client.get("/account/security?passkey=added")
    assert "Work laptop" in text_of(page)
    assert "The passkey was added." in text_of(page)

    async with browser(app) as other:
        csrf, response = await passkey_sign_in_response(other, authenticator)
        signed = await other.post(
            "/login/passkey", data={"csrf_token": csrf, "credential": response, "next": "/account"}
        )
        assert signed.status_code == 200, signed.text
        assert signed.json() == {"redirect": "/account"}
        account = await other.get("/account")
        assert account.status_code == 200
        assert "alice" in text_of(account)
    # With user verification, a passkey is two factors: possession and the PIN or biometric.
    assert ("hwk mfa", TWO_FACTOR_ACR) in await sessions_of(app, alice.id)


async def test_a_replayed_passkey_sign_in_is_refused(
    app: Starlette, client: httpx.AsyncClient, alice: Account
) -> None:
    authenticator = SoftAuthenticator(ORIGIN)
    await sign_in(client, "alice")
    await enrol(client, authenticator)
    async with browser(app) as first:
        csrf, response = await passkey_sign_in_response(first, authenticator)
        form = {"csrf_token": csrf, "credential": response}
        assert (await first.post("/login/passkey", data=form)).status_code == 200
    async with browser(app, "198.51.100.4") as attacker:
        csrf = csrf_of(await attacker.get("/login"))
        replayed = await attacker.post(
            "/login/passkey", data={"csrf_token": csrf, "credential": response}
        )
        assert replayed.status_code == 400
        assert replayed.json() == {"error": "refused"}
        assert "set-cookie" not in {k.lower() for k in replayed.headers}
        assert (await attacker.get("/account")).status_code == 303


async def test_a_passkey_sign_in_needs_the_pages_csrf_field(
    app: Starlette, client: httpx.AsyncClient, alice: Account
) -> None:
    authenticator = SoftAuthenticator(ORIGIN)
    await sign_in(client, "alice")
    await enrol(client, authenticator)
    async with browser(app) as other:
        _, response = await passkey_sign_in_response(other, authenticator)
        refused = await other.post("/login/passkey", data={"credential": response})
        assert refused.status_code == 403
        assert (await other.post("/login/passkey/options", data={})).status_code == 403


async def test_a_passkey_from_another_origin_signs_no_one_in(
    app: Starlette, client: httpx.AsyncClient, alice: Account
) -> None:
    authenticator = SoftAuthenticator(ORIGIN)
    await sign_in(client, "alice")
    await enrol(client, authenticator)
    authenticator.origin = "http://testserver.evil"
    async with browser(app) as other:
        csrf, response = await passkey_sign_in_response(other, authenticator)
        refused = await other.post(
            "/login/passkey", data={"csrf_token": csrf, "credential": response}
        )
        assert refused.status_code == 400


async def test_enrolment_needs_a_signed_in_browser_and_a_name(
    app: Starlette, client: httpx.AsyncClient, alice: Account
) -> None:
    csrf = csrf_of(await client.get("/login"))
    refused = await client.post("/account/security/passkeys/options", data={"csrf_token": csrf})
    assert refused.status_code == 303
    assert refused.headers["location"].startswith("/login?")
    await sign_in(client, "alice")
    nameless = await enrol(client, SoftAuthenticator(ORIGIN), name="   ")
    assert (nameless.status_code, nameless.json()) == (400, {"error": "name"})


async def test_the_same_passkey_is_not_added_twice(
    client: httpx.AsyncClient, alice: Account
) -> None:
    authenticator = SoftAuthenticator(ORIGIN)
    await sign_in(client, "alice")
    await enrol(client, authenticator)
    csrf = csrf_of(await client.get("/account/security"))
    challenge = await options(client, "/account/security/passkeys/options", csrf)
    assert len(challenge["excludeCredentials"]) == 1
    # An authenticator that ignored excludeCredentials and made the same id again.
    again = authenticator.create(challenge, authenticator.credentials[0].credential_id)
    refused = await client.post(
        "/account/security/passkeys",
        data={"csrf_token": csrf, "name": "Again", "credential": again},
    )
    assert (refused.status_code, refused.json()) == (400, {"error": "taken"})


async def test_a_passkey_is_the_second_factor_after_a_password(
    app: Starlette, client: httpx.AsyncClient, alice: Account
) -> None:
    authenticator = SoftAuthenticator(ORIGIN, user_verification=False)  # a plain security key
    await sign_in(client, "alice")
    assert (await enrol(client, authenticator)).status_code == 200
    async with browser(app) as other:
        login = await other.get("/login", params={"next": "/account"})
        first = await other.post(
            "/login",
            data={**hidden_inputs(login.text), "username": "alice", "password": alice.password},
        )
        assert first.status_code == 303
        assert first.headers["location"].startswith("/login/second-factor")
        assert (await other.get("/account")).status_code == 303  # not signed in yet
        page = await other.get(first.headers["location"])
        assert "Use a passkey" in text_of(page)
        csrf = csrf_of(page)
        challenge = await options(other, "/login/second-factor/passkey/options", csrf)
        assert len(challenge["allowCredentials"]) == 1
        response = authenticator.get(challenge)
        done = await other.post(
            "/login/second-factor/passkey", data={"csrf_token": csrf, "credential": response}
        )
        assert done.status_code == 200, done.text
        assert done.json() == {"redirect": "/account"}
        assert (await other.get("/account")).status_code == 200
        replayed = await other.post(
            "/login/second-factor/passkey", data={"csrf_token": csrf, "credential": response}
        )
        assert replayed.status_code in (400, 403)
    assert ("pwd hwk mfa", TWO_FACTOR_ACR) in await sessions_of(app, alice.id)
    assert ("pwd", PASSWORD_ACR) not in await sessions_of(app, alice.id)


async def test_a_passkey_with_no_user_verification_does_not_sign_in_alone(
    app: Starlette, client: httpx.AsyncClient, alice: Account
) -> None:
    authenticator = SoftAuthenticator(ORIGIN, user_verification=False)
    await sign_in(client, "alice")
    await enrol(client, authenticator)
    async with browser(app) as other:
        csrf, response = await passkey_sign_in_response(other, authenticator)
        refused = await other.post(
            "/login/passkey", data={"csrf_token": csrf, "credential": response}
        )
        assert refused.status_code == 400


async def test_a_removed_passkey_signs_in_no_more(
    app: Starlette, client: httpx.AsyncClient, alice: Account, bob: Account
) -> None:
    authenticator = SoftAuthenticator(ORIGIN)
    await sign_in(client, "alice")
    await enrol(client, authenticator)
    [passkey] = await app.state.passkeys.passkeys.for_user(alice.id)
    async with browser(app, "198.51.100.5") as bobs:
        csrf = await sign_in(bobs, "bob")
        await bobs.post(
            f"/account/security/passkeys/{passkey.id}/remove", data={"csrf_token": csrf}
        )
    assert len(await app.state.passkeys.passkeys.for_user(alice.id)) == 1  # not Bob's to remove
    csrf = csrf_of(await client.get("/account/security"))
    removed = await client.post(
        f"/account/security/passkeys/{passkey.id}/remove", data={"csrf_token": csrf}
    )
    assert removed.status_code == 303
    assert "The passkey was removed." in text_of(await client.get(removed.headers["location"]))
    async with browser(app) as other:
        csrf, response = await passkey_sign_in_response(other, authenticator)
        refused = await other.post(
            "/login/passkey", data={"csrf_token": csrf, "credential": response}
        )
        assert refused.status_code == 400


async def test_an_address_asking_for_sign_in_challenges_without_end_is_throttled(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    csrf = csrf_of(await client.get("/login"))
    for _ in range(30):
        assert (await client.post("/login/passkey/options", data={"csrf_token": csrf})).is_success
    throttled = await client.post("/login/passkey/options", data={"csrf_token": csrf})
    assert (throttled.status_code, throttled.json()) == (429, {"error": "throttled"})
    async with browser(app, "198.51.100.6") as other:  # another address still gets one
        csrf = csrf_of(await other.get("/login"))
        assert (await other.post("/login/passkey/options", data={"csrf_token": csrf})).is_success
