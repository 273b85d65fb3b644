"""/account: the profile, changing the password, and revoking the apps a user authorized."""

from __future__ import annotations

from urllib.parse import urlencode

import httpx
import pytest
from starlette.applications import Starlette

from stint.protocol.consent import Consent
from stint.protocol.scopes import SCOPE_DESCRIPTIONS
from tests.conftest import PASSWORD, Account, basic, make_client
from tests.support.flows import Tokens, authorize
from tests.support.pages import csrf_of, sign_in, text_of
from tests.support.pkce import new_pkce

pytestmark = pytest.mark.anyio

NEW_PASSWORD = "another long passphrase"
REDIRECT_URI = "http://127.0.0.1:8765/callback"


def other_browser(app: Starlette) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=("198.51.100.9", 41000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


async def test_pages_need_a_session(client: httpx.AsyncClient) -> None:
    page = await client.get("/account")
    assert page.status_code == 303
    assert page.headers["location"] == "/login?next=%2Faccount"


async def test_profile_shows_who_is_signed_in(client: httpx.AsyncClient, alice: Account) -> None:
    await sign_in(client, "alice")
    page = await client.get("/account")
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"
    text = text_of(page)
    assert "Username alice" in text
    assert f"User id {alice.id}" in text
    assert "Member since" in text
    assert "You have not authorized any app." in text


async def test_change_password_needs_the_csrf_field(
    client: httpx.AsyncClient, alice: Account
) -> None:
    await sign_in(client, "alice")
    form = {
        "current_password": PASSWORD,
        "new_password": NEW_PASSWORD,
        "confirm_password": NEW_PASSWORD,
    }
    refused = await client.post("/account/password", data=form)
    assert refused.status_code == 403
    forged = await client.post("/account/password", data=form | {"csrf_token": "0" * 64})
    assert forged.status_code == 403
    assert (await client.get("/api/me", headers=basic("alice", PASSWORD))).status_code == 200


async def test_change_password(client: httpx.AsyncClient, app: Starlette, alice: Account) -> None:
    store = app.state.services.accounts._users
    old_hash = (await store.by_id(alice.id)).password_hash
    csrf = await sign_in(client, "alice")
    async with other_browser(app) as laptop:
        await sign_in(laptop, "alice")
        # A Basic check now is remembered for a while; the change must forget it.
        assert (await client.get("/api/me", headers=basic("alice", PASSWORD))).status_code == 200
        changed = await client.post(
            "/account/password",
            data={
                "csrf_token": csrf,
                "current_password": PASSWORD,
                "new_password": NEW_PASSWORD,
                "confirm_password": NEW_PASSWORD,
            },
        )
        assert changed.status_code == 303
        assert changed.headers["location"] == "/account?notice=password-changed"
        page = await client.get(changed.headers["location"])
        assert page.status_code == 200, "this browser stays signed in"
        assert "Your password was changed" in page.text
        assert (await laptop.get("/account")).status_code == 303, "the other session ended"

    assert (await client.get("/api/me", headers=basic("alice", PASSWORD))).status_code == 401
    assert (await client.get("/api/me", headers=basic("alice", NEW_PASSWORD))).status_code == 200
    new_hash = (await store.by_id(alice.id)).password_hash
    assert new_hash != old_hash
    assert new_hash.startswith("$argon2id$")
    assert NEW_PASSWORD not in new_hash


@pytest.mark.parametrize(
    ("current", "new", "confirm", "field", "message"),
    [
        ("wrong password!", NEW_PASSWORD, NEW_PASSWORD, "current_password", "is not your current"),
        (PASSWORD, NEW_PASSWORD, NEW_PASSWORD + "x", "confirm_password", "does not match"),
        (PASSWORD, "short", "short", "new_password", "at least 8 characters"),
        (PASSWORD, "password123", "password123", "new_password", "most commonly used"),
        (PASSWORD, PASSWORD, PASSWORD, "new_password", "is your current password"),
    ],
)
async def test_refused_password_changes_say_why(
    client: httpx.AsyncClient,
    app: Starlette,
    alice: Account,
    current: str,
    new: str,
    confirm: str,
    field: str,
    message: str,
) -> None:
    store = app.state.services.accounts._users
    old_hash = (await store.by_id(alice.id)).password_hash
    csrf = await sign_in(client, "alice")
    refused = await client.post(
        "/account/password",
        data={
            "csrf_token": csrf,
            "current_password": current,
            "new_password": new,
            "confirm_password": confirm,
        },
    )
    assert refused.status_code == 400
    assert f'id="{field}-error"' in refused.text
    assert message in refused.text
    assert f'id="{field}" ' in refused.text and 'aria-invalid="true"' in refused.text
    assert (await store.by_id(alice.id)).password_hash == old_hash


async def _authorized_app(
    client: httpx.AsyncClient, app: Starlette, csrf: str, *, opaque: bool = False
) -> tuple[str, str, Tokens]:
    """An app alice authorized in this browser: (client_id, client secret, tokens)."""
    client_id, secret = await make_client(
        app,
        name="Timesheet Sync",
        redirect_uris=[REDIRECT_URI],
        opaque_access_tokens=opaque,
    )
    assert secret is not None
    tokens = await authorize(
        client,
        csrf,
        client_id=client_id,
        secret=secret,
        redirect_uri=REDIRECT_URI,
        scope="profile activities:read",
    )
    return client_id, secret, tokens


async def test_the_account_page_lists_authorized_apps(
    client: httpx.AsyncClient, app: Starlette, alice: Account
) -> None:
    csrf = await sign_in(client, "alice")
    client_id, _, _ = await _authorized_app(client, app, csrf)
    page = await client.get("/account")
    assert f'data-client-id="{client_id}"' in page.text
    assert "Timesheet Sync" in text_of(page)
    assert f'action="/account/apps/{client_id}/revoke"' in page.text
    assert "You have not authorized any app." not in page.text


def _app_row(page: httpx.Response, client_id: str) -> str:
    """The table row of one app on /account (every row it has must be this one)."""
    assert page.text.count(f'data-client-id="{client_id}"') == 1, page.text
    start = page.text.index(f'data-client-id="{client_id}"')
    return page.text[start : page.text.index("</tr>", start)]


async def test_an_app_authorized_twice_is_one_row_with_the_scopes_of_both(
    client: httpx.AsyncClient, app: Starlette, alice: Account
) -> None:
    csrf = await sign_in(client, "alice")
    client_id, secret, first = await _authorized_app(client, app, csrf)
    second = await authorize(
        client,
        csrf,
        client_id=client_id,
        secret=secret,
        redirect_uri=REDIRECT_URI,
        scope="time-entries:read",
    )
    row = _app_row(await client.get("/account"), client_id)
    for scope in ("profile", "activities:read", "time-entries:read"):
        assert f'<code class="scope">{scope}</code>' in row
    assert "UTC" in row  # when it was last used

    revoked = await client.post(f"/account/apps/{client_id}/revoke", data={"csrf_token": csrf})
    assert revoked.status_code == 303
    assert f'data-client-id="{client_id}"' not in (await client.get("/account")).text
    for tokens in (first, second):  # both authorizations ended, not only the newest
        denied = await client.get("/api/me", headers=tokens.bearer)
        assert denied.status_code == 401
        refreshed = await client.post(
            "/o/token/",
            data={"grant_type": "refresh_token", "refresh_token": tokens.refresh_token},
            auth=(client_id, secret),
        )
        assert refreshed.json()["error"] == "invalid_grant"


async def test_an_apps_last_use_follows_its_refresh_tokens(
    client: httpx.AsyncClient, app: Starlette, alice: Account
) -> None:
    csrf = await sign_in(client, "alice")
    client_id, secret, tokens = await _authorized_app(client, app, csrf)
    runtime = app.state.runtime
    (listed,) = await runtime.oauth.grants.authorized_clients(alice.id)
    refreshed = await client.post(
        "/o/token/",
        data={"grant_type": "refresh_token", "refresh_token": tokens.refresh_token},
        auth=(client_id, secret),
    )
    assert refreshed.status_code == 200
    (after,) = await runtime.oauth.grants.authorized_clients(alice.id)
    assert after.granted_at == listed.granted_at
    rotated = await runtime.oauth.refresh_tokens.get(runtime.hasher.hash(tokens.refresh_token))
    assert rotated is not None and rotated.rotated_at is not None
    # Used at the refresh: the old token's rotation, or the new one's issue just after it.
    assert after.last_used_at >= rotated.rotated_at > listed.last_used_at


@pytest.mark.parametrize("opaque", [False, True], ids=["jwt", "opaque"])
async def test_revoking_an_app_stops_its_tokens_and_forgets_the_consent(
    client: httpx.AsyncClient, app: Starlette, alice: Account, opaque: bool
) -> None:
    csrf = await sign_in(client, "alice")
    client_id, secret, tokens = await _authorized_app(client, app, csrf, opaque=opaque)
    bearer = tokens.bearer
    assert (await client.get("/api/me", headers=bearer)).status_code == 200

    refused = await client.post(f"/account/apps/{client_id}/revoke")
    assert refused.status_code == 403
    assert (await client.get("/api/me", headers=bearer)).status_code == 200

    revoked = await client.post(f"/account/apps/{client_id}/revoke", data={"csrf_token": csrf})
    assert revoked.status_code == 303
    assert revoked.headers["location"] == "/account?notice=revoked"
    page = await client.get(revoked.headers["location"])
    assert f'data-client-id="{client_id}"' not in page.text
    assert "The app's access was taken back" in text_of(page)

    denied = await client.get("/api/me", headers=bearer)
    assert denied.status_code == 401
    assert 'error="invalid_token"' in denied.headers["www-authenticate"]
    assert tokens.refresh_token is not None
    refreshed = await client.post(
        "/o/token/",
        data={"grant_type": "refresh_token", "refresh_token": tokens.refresh_token},
        auth=(client_id, secret),
    )
    assert refreshed.status_code == 400
    assert refreshed.json()["error"] == "invalid_grant"
    runtime = app.state.runtime
    assert await runtime.oauth.refresh_tokens.get(runtime.hasher.hash(tokens.refresh_token)) is None
    assert await runtime.oauth.consents.granted(alice.id, client_id) == Consent()

    # The next authorization asks again rather than answering at once.
    challenge = new_pkce().challenge
    params = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": REDIRECT_URI,
        "scope": "profile",
        "state": "s",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    again = await client.get(f"/o/authorize/?{urlencode(params)}")
    assert again.status_code == 200
    assert SCOPE_DESCRIPTIONS["profile"] in again.text


async def test_revoking_touches_only_the_signed_in_users_grants(
    client: httpx.AsyncClient, app: Starlette, alice: Account, bob: Account
) -> None:
    csrf = await sign_in(client, "alice")
    client_id, _, tokens = await _authorized_app(client, app, csrf)
    async with other_browser(app) as bobs:
        bob_csrf = await sign_in(bobs, "bob")
        answer = await bobs.post(f"/account/apps/{client_id}/revoke", data={"csrf_token": bob_csrf})
        assert answer.status_code == 303
    me = await client.get("/api/me", headers=tokens.bearer)
    assert me.status_code == 200
    assert me.json()["username"] == "alice"
    assert f'data-client-id="{client_id}"' in (await client.get("/account")).text


async def test_a_csrf_field_from_another_browser_is_refused(
    client: httpx.AsyncClient, app: Starlette, alice: Account
) -> None:
    await sign_in(client, "alice")
    async with other_browser(app) as attacker:
        foreign = csrf_of(await attacker.get("/login"))
    answer = await client.post(
        "/account/password",
        data={
            "csrf_token": foreign,
            "current_password": PASSWORD,
            "new_password": NEW_PASSWORD,
            "confirm_password": NEW_PASSWORD,
        },
    )
    assert answer.status_code == 403


async def test_the_account_page_lists_the_sessions_and_ends_another(
    client: httpx.AsyncClient, app: Starlette, alice: Account
) -> None:
    csrf = await sign_in(client, "alice")
    async with other_browser(app) as laptop:
        laptop.headers["User-Agent"] = "Laptop Browser/1.0"
        await sign_in(laptop, "alice")
        sessions = await app.state.runtime.oauth.sessions.for_user(alice.id)
        laptop_sid = next(s.sid for s in sessions if s.user_agent == "Laptop Browser/1.0")
        page = await client.get("/account")
        assert page.text.count("data-sid=") == 2
        assert "Laptop Browser/1.0" in text_of(page)
        assert text_of(page).count("This browser") == 1
        action = f'action="/account/sessions/{laptop_sid}/end"'
        assert page.text.count('action="/account/sessions/') == 1, "no End for this browser"
        assert action in page.text

        refused = await client.post(f"/account/sessions/{laptop_sid}/end")
        assert refused.status_code == 403
        assert (await laptop.get("/account")).status_code == 200

        ended = await client.post(f"/account/sessions/{laptop_sid}/end", data={"csrf_token": csrf})
        assert ended.status_code == 303
        assert ended.headers["location"] == "/account?notice=session-ended"
        page = await client.get(ended.headers["location"])
        assert "The session was signed out" in text_of(page)
        assert page.text.count("data-sid=") == 1
        assert (await laptop.get("/account")).status_code == 303


async def test_a_session_of_another_user_cannot_be_ended(
    client: httpx.AsyncClient, app: Starlette, alice: Account, bob: Account
) -> None:
    csrf = await sign_in(client, "alice")
    async with other_browser(app) as bobs:
        await sign_in(bobs, "bob")
        [bob_session] = await app.state.runtime.oauth.sessions.for_user(bob.id)
        answer = await client.post(
            f"/account/sessions/{bob_session.sid}/end", data={"csrf_token": csrf}
        )
        assert answer.status_code == 404
        assert (await bobs.get("/account")).status_code == 200
