"""/developer/apps: registering, changing, rotating and deleting OAuth clients from the browser."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from stint.protocol.clients import Client, ClientType
from tests.conftest import Account, make_client
from tests.support.pages import csrf_of, sign_in, text_of
from tests.support.tokens import client_credentials

pytestmark = pytest.mark.anyio

_SECRET = re.compile(r'<code class="secret" id="client_secret">([^<]+)</code>')
_CLIENT_ID = re.compile(r'<code class="value" id="client_id">([^<]+)</code>')


def app_form(csrf: str | None, **overrides: Any) -> dict[str, str]:
    """The registration form as a browser sends it: ticked boxes only."""
    form = {
        "name": "Timesheet Sync",
        "client_type": "confidential",
        "redirect_uris": "https://sync.example/callback\r\nhttp://127.0.0.1:7000/cb\r\n",
        "grant_authorization_code": "on",
        "grant_refresh_token": "on",
        "grant_client_credentials": "on",
        "scope_profile": "on",
        "scope_activities:read": "on",
        "token_format": "jwt",
        "auth_method": "client_secret_basic",
    }
    if csrf is not None:
        form["csrf_token"] = csrf
    form.update(overrides)
    return {k: v for k, v in form.items() if v is not None}


async def register_app(
    client: httpx.AsyncClient, csrf: str, **overrides: Any
) -> tuple[str, str | None, httpx.Response]:
    """Submit the registration form; returns (client_id, secret shown, the page)."""
    page = await client.post("/developer/apps/new", data=app_form(csrf, **overrides))
    assert page.status_code == 201, page.text
    client_id = _CLIENT_ID.search(page.text)
    assert client_id is not None
    secret = _SECRET.search(page.text)
    return client_id.group(1), secret.group(1) if secret else None, page


async def stored(app: Starlette, client_id: str) -> Client | None:
    found: Client | None = await app.state.runtime.oauth.clients.get(client_id)
    return found


def second_browser(app: Starlette) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=("198.51.100.9", 41000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


@pytest.mark.parametrize(
    "path", ["/developer/apps", "/developer/apps/new", "/developer/apps/some-client-id"]
)
async def test_pages_need_a_session(client: httpx.AsyncClient, path: str) -> None:
    page = await client.get(path)
    assert page.status_code == 303
    assert page.headers["location"].startswith("/login?next=%2Fdeveloper%2Fapps")


async def test_the_new_app_form_starts_with_safe_defaults(
    client: httpx.AsyncClient, alice: Account
) -> None:
    await sign_in(client, "alice")
    page = await client.get("/developer/apps/new")
    assert page.status_code == 200
    html = page.text
    for grant in ("authorization_code", "refresh_token"):
        assert re.search(rf'name="grant_{grant}" value="on"\s+checked', html), grant
    for grant in ("client_credentials", "implicit"):
        assert not re.search(rf'name="grant_{grant}" value="on"\s+checked', html), grant
    legacy = re.findall(r'<label for="grant_(\w+)">[^<]*<span class="badge">legacy</span>', html)
    assert sorted(legacy) == ["implicit"]
    # RFC 9700 §2.4: the password grant is an operator's to give, never self-service.
    assert 'name="grant_password"' not in html
    assert re.search(r'value="confidential"\s+checked', html)
    assert re.search(r'value="jwt"\s+checked', html)
    assert "<script" not in html and "style=" not in html


async def test_registering_needs_the_csrf_field(
    client: httpx.AsyncClient, app: Starlette, alice: Account
) -> None:
    await sign_in(client, "alice")
    refused = await client.post("/developer/apps/new", data=app_form(None))
    assert refused.status_code == 403
    assert await app.state.runtime.oauth.clients.by_owner(alice.id) == []


async def test_registering_shows_the_secret_once_and_stores_its_hash(
    client: httpx.AsyncClient, app: Starlette, alice: Account
) -> None:
    csrf = await sign_in(client, "alice")
    client_id, secret, page = await register_app(client, csrf)
    assert secret is not None and len(secret) >= 43
    assert page.headers["cache-control"] == "no-store"
    assert "This is the only time Stint shows it" in text_of(page)

    registered = await stored(app, client_id)
    assert registered is not None
    assert registered.owner_id == alice.id
    assert registered.name == "Timesheet Sync"
    assert registered.client_type is ClientType.CONFIDENTIAL
    assert registered.redirect_uris == (
        "https://sync.example/callback",
        "http://127.0.0.1:7000/cb",
    )
    assert registered.grant_types == {"authorization_code", "refresh_token", "client_credentials"}
    assert registered.scopes == {"profile", "activities:read"}
    assert not registered.opaque_access_tokens and not registered.may_introspect
    assert registered.secret_hash == app.state.runtime.hasher.hash(secret)
    assert secret not in repr(registered)

    detail = await client.get(f"/developer/apps/{client_id}")
    assert detail.status_code == 200
    assert client_id in detail.text
    assert secret not in detail.text
    listing = await client.get("/developer/apps")
    assert client_id in listing.text and "Timesheet Sync" in listing.text
    assert secret not in listing.text


async def test_the_new_secret_works_at_the_token_endpoint(
    client: httpx.AsyncClient, app: Starlette, alice: Account
) -> None:
    csrf = await sign_in(client, "alice")
    client_id, secret, _ = await register_app(client, csrf)
    assert secret is not None
    token = await client_credentials(client, client_id, secret, "profile")
    assert token.status_code == 200, token.text
    me = await client.get(
        "/api/me", headers={"Authorization": f"Bearer {token.json()['access_token']}"}
    )
    assert me.json() == {"id": alice.id, "username": "alice"}, "the app acts as its owner"


async def test_a_public_app_gets_no_secret(
    client: httpx.AsyncClient, app: Starlette, alice: Account
) -> None:
    csrf = await sign_in(client, "alice")
    client_id, secret, page = await register_app(
        client, csrf, client_type="public", grant_client_credentials=None
    )
    assert secret is None
    assert "A public app has no secret" in page.text
    registered = await stored(app, client_id)
    assert registered is not None
    assert registered.is_public and registered.secret_hash is None
    assert registered.token_endpoint_auth_method == "none"


async def test_invalid_registrations_show_each_problem_by_its_field(
    client: httpx.AsyncClient, app: Starlette, alice: Account
) -> None:
    csrf = await sign_in(client, "alice")
    form = app_form(
        csrf,
        name="   ",
        client_type="public",
        redirect_uris="http://sync.example/callback",
        **{"scope_profile": None, "scope_activities:read": None},
    )
    page = await client.post("/developer/apps/new", data=form)
    assert page.status_code == 400
    text = text_of(page)
    assert "The app was not registered" in text
    assert "The name must be 1 to 100 characters" in text
    assert "public clients cannot use client_credentials or password" in text
    assert "Scopes: choose from" in text
    for field in ("name", "grant_types", "scopes"):
        assert f'id="{field}-error"' in page.text, field
    assert 'value="public"\n               checked' in page.text, "the form keeps what was sent"
    assert await app.state.runtime.oauth.clients.by_owner(alice.id) == []

    page = await client.post(
        "/developer/apps/new",
        data=app_form(csrf, redirect_uris="http://sync.example/callback"),
    )
    assert page.status_code == 400
    assert 'id="redirect_uris-error"' in page.text
    assert "must use https" in text_of(page)


async def test_the_implicit_grant_can_be_chosen_but_the_password_grant_cannot(
    client: httpx.AsyncClient, app: Starlette, alice: Account
) -> None:
    csrf = await sign_in(client, "alice")
    client_id, _, _ = await register_app(
        client, csrf, grant_password="on", grant_implicit="on", token_format="opaque"
    )
    registered = await stored(app, client_id)
    assert registered is not None
    assert "implicit" in registered.grant_types
    assert "password" not in registered.grant_types  # a forged checkbox changes nothing
    assert registered.opaque_access_tokens
    edited = await client.post(
        f"/developer/apps/{client_id}", data=app_form(csrf, grant_password="on")
    )
    assert edited.status_code == 303
    after = await stored(app, client_id)
    assert after is not None and "password" not in after.grant_types


async def test_an_operator_given_password_grant_is_shown_and_survives_an_edit(
    client: httpx.AsyncClient, app: Starlette, alice: Account
) -> None:
    client_id, _ = await make_client(
        app,
        name="Legacy CLI",
        grant_types=["password", "refresh_token"],
        owner_id=alice.id,
    )
    csrf = await sign_in(client, "alice")
    page = await client.get(f"/developer/apps/{client_id}")
    assert "Given by an operator" in text_of(page)
    assert 'name="grant_password"' not in page.text

    saved = await client.post(
        f"/developer/apps/{client_id}",
        data=app_form(csrf, name="Legacy CLI 2", redirect_uris="", grant_authorization_code=None),
    )

    assert saved.status_code == 303, saved.text
    after = await stored(app, client_id)
    assert after is not None
    assert after.name == "Legacy CLI 2"
    assert after.grant_types == {"password", "refresh_token", "client_credentials"}


async def test_another_users_app_is_not_found(
    client: httpx.AsyncClient, app: Starlette, alice: Account, bob: Account
) -> None:
    csrf = await sign_in(client, "alice")
    client_id, _, _ = await register_app(client, csrf)
    before = await stored(app, client_id)
    async with second_browser(app) as bobs:
        bob_csrf = await sign_in(bobs, "bob")
        assert (await bobs.get(f"/developer/apps/{client_id}")).status_code == 404
        assert client_id not in (await bobs.get("/developer/apps")).text
        edit = await bobs.post(
            f"/developer/apps/{client_id}", data=app_form(bob_csrf, name="Hijacked")
        )
        assert edit.status_code == 404
        rotate = await bobs.post(
            f"/developer/apps/{client_id}/rotate-secret", data={"csrf_token": bob_csrf}
        )
        assert rotate.status_code == 404
        delete = await bobs.post(
            f"/developer/apps/{client_id}/delete", data={"csrf_token": bob_csrf, "confirm": "yes"}
        )
        assert delete.status_code == 404
        assert "no app with this id among your apps" in delete.text
        assert (await bobs.get("/developer/apps/no-such-app")).status_code == 404
    assert await stored(app, client_id) == before


async def test_editing_an_app(client: httpx.AsyncClient, app: Starlette, alice: Account) -> None:
    csrf = await sign_in(client, "alice")
    client_id, _, _ = await register_app(client, csrf)
    before = await stored(app, client_id)
    assert before is not None
    edit_page = await client.get(f"/developer/apps/{client_id}")
    assert 'value="Timesheet Sync"' in edit_page.text
    form = app_form(
        csrf,
        name="Timesheet Sync 2",
        client_type="public",  # the type cannot change; the field is ignored
        redirect_uris="https://sync.example/v2/callback",
        grant_client_credentials=None,
        token_format="opaque",
        auth_method="client_secret_post",
        **{"scope_reports:read": "on", "scope_activities:read": None},
    )
    refused = await client.post(f"/developer/apps/{client_id}", data=form | {"csrf_token": ""})
    assert refused.status_code == 403
    saved = await client.post(f"/developer/apps/{client_id}", data=form)
    assert saved.status_code == 303
    assert saved.headers["location"] == f"/developer/apps/{client_id}?notice=saved"
    assert "Your changes were saved." in (await client.get(saved.headers["location"])).text

    after = await stored(app, client_id)
    assert after is not None
    assert after.name == "Timesheet Sync 2"
    assert after.client_type is ClientType.CONFIDENTIAL
    assert after.redirect_uris == ("https://sync.example/v2/callback",)
    assert after.grant_types == {"authorization_code", "refresh_token"}
    assert after.scopes == {"profile", "reports:read"}
    assert after.opaque_access_tokens
    assert after.token_endpoint_auth_method == "client_secret_post"
    assert after.secret_hash == before.secret_hash
    assert after.owner_id == alice.id


async def test_an_invalid_edit_changes_nothing(
    client: httpx.AsyncClient, app: Starlette, alice: Account
) -> None:
    csrf = await sign_in(client, "alice")
    client_id, _, _ = await register_app(client, csrf)
    before = await stored(app, client_id)
    form = app_form(
        csrf,
        redirect_uris="https://ok.example/cb\njavascript:alert(1)",
        grant_authorization_code=None,
        grant_refresh_token=None,
        grant_client_credentials=None,
    )
    page = await client.post(f"/developer/apps/{client_id}", data=form)
    assert page.status_code == 400
    assert "Nothing was saved" in page.text
    assert 'id="grant_types-error"' in page.text
    assert 'id="redirect_uris-error"' in page.text
    assert "may not use the javascript scheme" in text_of(page)
    assert await stored(app, client_id) == before


async def test_rotating_the_secret_invalidates_the_old_one(
    client: httpx.AsyncClient, app: Starlette, alice: Account
) -> None:
    csrf = await sign_in(client, "alice")
    client_id, old_secret, _ = await register_app(client, csrf)
    assert old_secret is not None
    assert (await client_credentials(client, client_id, old_secret)).status_code == 200

    refused = await client.post(f"/developer/apps/{client_id}/rotate-secret")
    assert refused.status_code == 403
    assert (await client_credentials(client, client_id, old_secret)).status_code == 200

    page = await client.post(
        f"/developer/apps/{client_id}/rotate-secret", data={"csrf_token": csrf}
    )
    assert page.status_code == 200
    found = _SECRET.search(page.text)
    assert found is not None
    new_secret = found.group(1)
    assert new_secret != old_secret
    assert "The old secret stops working" in page.text

    old = await client_credentials(client, client_id, old_secret)
    assert old.status_code == 401
    assert old.json()["error"] == "invalid_client"
    assert (await client_credentials(client, client_id, new_secret)).status_code == 200
    registered = await stored(app, client_id)
    assert registered is not None
    assert registered.secret_hash == app.state.runtime.hasher.hash(new_secret)


async def test_a_public_app_has_no_secret_to_rotate(
    client: httpx.AsyncClient, app: Starlette, alice: Account
) -> None:
    csrf = await sign_in(client, "alice")
    client_id, _, _ = await register_app(
        client, csrf, client_type="public", grant_client_credentials=None
    )
    assert "Rotate secret" not in (await client.get(f"/developer/apps/{client_id}")).text
    page = await client.post(
        f"/developer/apps/{client_id}/rotate-secret", data={"csrf_token": csrf}
    )
    assert page.status_code == 400
    registered = await stored(app, client_id)
    assert registered is not None and registered.secret_hash is None


async def test_deleting_an_app(client: httpx.AsyncClient, app: Starlette, alice: Account) -> None:
    csrf = await sign_in(client, "alice")
    client_id, secret, _ = await register_app(client, csrf)
    assert secret is not None

    refused = await client.post(f"/developer/apps/{client_id}/delete", data={"confirm": "yes"})
    assert refused.status_code == 403
    unconfirmed = await client.post(
        f"/developer/apps/{client_id}/delete", data={"csrf_token": csrf}
    )
    assert unconfirmed.status_code == 400
    assert 'id="confirm-error"' in unconfirmed.text
    assert await stored(app, client_id) is not None

    deleted = await client.post(
        f"/developer/apps/{client_id}/delete", data={"csrf_token": csrf, "confirm": "yes"}
    )
    assert deleted.status_code == 303
    assert deleted.headers["location"] == "/developer/apps?notice=deleted"
    assert await stored(app, client_id) is None
    assert (await client.get(f"/developer/apps/{client_id}")).status_code == 404
    token = await client_credentials(client, client_id, secret)
    assert token.status_code == 401
    assert token.json()["error"] == "invalid_client"


async def test_pages_carry_the_csrf_field_of_this_browser(
    client: httpx.AsyncClient, alice: Account
) -> None:
    csrf = await sign_in(client, "alice")
    for path in ("/developer/apps", "/developer/apps/new", "/account"):
        page = await client.get(path)
        assert csrf_of(page) == csrf, path
        assert "default-src 'self'" in page.headers["content-security-policy"]
