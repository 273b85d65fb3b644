"""The authorization code grant with PKCE, end to end: browser side, token step, every refusal."""

from __future__ import annotations

from collections.abc import AsyncIterator
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from starlette.applications import Starlette

from stint.settings import Settings
from stint.web.app import create_app
from tests.conftest import FAST_HASHING, Account, make_client
from tests.support.apps import app_with
from tests.support.flows import (
    authorize_query,
    decide,
    get_code,
    open_authorize,
    redirected_to,
    tokens,
)
from tests.support.pages import browser, submit_sign_in
from tests.support.pkce import Pkce, new_pkce
from tests.support.tokens import REDIRECT_URI, bearer, introspect, oauth_error, redeem, refresh

pytestmark = pytest.mark.anyio

ISSUER = "http://testserver"
NATIVE_REDIRECT = "http://127.0.0.1/callback"


async def _web_client(app: Starlette, **spec: object) -> tuple[str, str]:
    client_id, secret = await make_client(app, name="Web app", redirect_uris=[REDIRECT_URI], **spec)
    assert secret is not None
    return client_id, secret


async def _native_client(app: Starlette, *uris: str) -> str:
    client_id, secret = await make_client(
        app, name="Native app", client_type="public", redirect_uris=list(uris or [NATIVE_REDIRECT])
    )
    assert secret is None
    return client_id


def _error_page(response: httpx.Response) -> str:
    """An HTML error page of the authorization server, with nowhere to be redirected to."""
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith("text/html")
    assert "location" not in response.headers
    return response.text


async def test_code_flow_gives_a_token_for_the_api_with_the_granted_scopes(
    app: Starlette, client: httpx.AsyncClient, alice: Account
) -> None:
    client_id, secret = await _web_client(app)
    async with browser(app) as b:
        pkce = new_pkce()
        code = await get_code(b, client_id, "alice", pkce=pkce, scope="activities:read")
    answer = await redeem(client, client_id, secret, code, verifier=pkce.verifier)

    assert answer.status_code == 200, answer.text
    assert answer.headers["cache-control"] == "no-store"
    body = answer.json()
    assert body["token_type"] == "Bearer"
    assert body["scope"] == "activities:read"
    assert body["expires_in"] > 0
    assert body["refresh_token"]
    listed = await client.get("/api/activities", headers=bearer(body["access_token"]))
    assert listed.status_code == 200, listed.text
    me = await client.get("/api/resource", headers=bearer(body["access_token"]))
    assert me.json() == {"data": "Hello, alice!"}
    # A scope that was not granted is refused (RFC 6750 §3.1).
    write = await client.post(
        "/api/activities", json={"name": "Work"}, headers=bearer(body["access_token"])
    )
    assert write.status_code == 403
    assert 'error="insufficient_scope"' in write.headers["www-authenticate"]


async def test_without_a_scope_parameter_every_scope_of_the_client_is_asked_for(
    app: Starlette, client: httpx.AsyncClient, alice: Account
) -> None:
    client_id, secret = await _web_client(app, scopes=["activities:read", "profile"])
    async with browser(app) as b:
        body = await tokens(client, b, client_id, secret, "alice", scope=None)
    assert body["scope"] == "activities:read profile"


async def test_state_comes_back_exactly_and_iss_names_the_issuer(
    app: Starlette, alice: Account
) -> None:
    client_id, _ = await _web_client(app)
    state = "a b&c=d/é~%20+?#"
    async with browser(app) as b:
        url = authorize_query(client_id, state=state, pkce=new_pkce())
        answer = await decide(b, await open_authorize(b, url, "alice"))
    params = redirected_to(answer)
    assert params["state"] == state
    assert params["iss"] == ISSUER  # RFC 9207
    assert set(params) == {"code", "state", "iss"}


async def test_without_state_the_response_has_no_state(app: Starlette, alice: Account) -> None:
    client_id, _ = await _web_client(app)
    async with browser(app) as b:
        url = authorize_query(client_id, state=None, pkce=new_pkce())
        answer = await decide(b, await open_authorize(b, url, "alice"))
    assert set(redirected_to(answer)) == {"code", "iss"}


async def test_remembered_consent_skips_the_consent_page_for_the_same_or_fewer_scopes(
    app: Starlette, alice: Account
) -> None:
    client_id, _ = await _web_client(app)
    async with browser(app) as b:
        await get_code(b, client_id, "alice", pkce=new_pkce(), scope="activities:read profile")
        for scope in ("activities:read profile", "profile"):
            again = await b.get(authorize_query(client_id, scope=scope, pkce=new_pkce()))
            assert again.status_code == 302, again.text  # straight back, no consent page
            assert redirected_to(again)["code"]


async def test_a_wider_scope_asks_for_consent_again(app: Starlette, alice: Account) -> None:
    client_id, _ = await _web_client(app)
    async with browser(app) as b:
        await get_code(b, client_id, "alice", pkce=new_pkce(), scope="activities:read")
        wider = await b.get(
            authorize_query(client_id, scope="activities:read reports:read", pkce=new_pkce())
        )
        assert wider.status_code == 200
        assert 'data-scope="reports:read"' in wider.text
        assert 'name="decision"' in wider.text


async def test_consent_is_remembered_per_user(app: Starlette, alice: Account, bob: Account) -> None:
    client_id, _ = await _web_client(app)
    async with browser(app) as b:
        await get_code(b, client_id, "alice", pkce=new_pkce())
    async with browser(app) as b:
        page = await open_authorize(b, authorize_query(client_id, pkce=new_pkce()), "bob")
        assert page.status_code == 200
        assert 'name="decision"' in page.text


async def test_deny_sends_access_denied_to_the_redirect_uri(app: Starlette, alice: Account) -> None:
    client_id, _ = await _web_client(app)
    async with browser(app) as b:
        page = await open_authorize(b, authorize_query(client_id, pkce=new_pkce()), "alice")
        answer = await decide(b, page, "deny")
        params = redirected_to(answer)
        assert params["error"] == "access_denied"
        assert params["state"] == "xyz"
        assert params["iss"] == ISSUER
        assert "code" not in params
        # Denying remembers nothing: the next request asks again.
        again = await b.get(authorize_query(client_id, pkce=new_pkce()))
        assert again.status_code == 200
        assert 'name="decision"' in again.text


async def test_the_consent_form_needs_its_csrf_token(app: Starlette, alice: Account) -> None:
    client_id, _ = await _web_client(app)
    async with browser(app) as b:
        page = await open_authorize(b, authorize_query(client_id, pkce=new_pkce()), "alice")
        forged = await b.post(
            "/o/authorize/",
            data={
                "response_type": "code",
                "client_id": client_id,
                "redirect_uri": REDIRECT_URI,
                "code_challenge": new_pkce().challenge,
                "code_challenge_method": "S256",
                "decision": "approve",
                "csrf_token": "forged",
            },
        )
        assert page.status_code == 200
        assert forged.status_code == 403
        assert "location" not in forged.headers


async def test_signed_out_the_authorize_endpoint_sends_the_browser_to_sign_in(
    app: Starlette, alice: Account
) -> None:
    client_id, _ = await _web_client(app)
    url = authorize_query(client_id, pkce=new_pkce())
    async with browser(app) as b:
        answer = await b.get(url)
    assert answer.status_code == 303
    location = urlsplit(answer.headers["location"])
    assert location.path == "/login"
    # Back to the same request, with the marker of when it was sent to sign in.
    [next_url] = parse_qs(location.query)["next"]
    assert next_url.startswith(url + "&stint_auth_after=")


@pytest.mark.parametrize("client_id", [None, "no-such-client", "x" * 300])
async def test_an_unknown_client_is_shown_an_error_page_and_never_redirected(
    app: Starlette, alice: Account, client_id: str | None
) -> None:
    async with browser(app) as b:
        # Signed in or not, the answer is the same: the client cannot be trusted with one.
        for signed_in in (False, True):
            if signed_in:
                assert (await submit_sign_in(b, "alice")).status_code == 303
            answer = await b.get(authorize_query(client_id, pkce=new_pkce()))
            page = _error_page(answer)
            assert "invalid_request" in page
            assert "app.example" not in page


@pytest.mark.parametrize(
    "redirect_uri",
    [
        "https://evil.example/callback",
        "https://app.example/callback/more",
        "https://app.example/callbac",
        "https://app.example/callback?x=1",
        "http://app.example/callback",
        "https://app.example:8443/callback",
        "https://APP.example/callback",
        "https://app.example/callback#frag",
        "https://app.example.evil.example/callback",
        "https://user@app.example/callback",
        "http://127.0.0.1/callback",
    ],
)
async def test_an_unregistered_redirect_uri_is_shown_an_error_page_and_never_redirected(
    app: Starlette, alice: Account, redirect_uri: str
) -> None:
    client_id, _ = await _web_client(app)
    async with browser(app) as b:
        assert (await submit_sign_in(b, "alice")).status_code == 303  # nothing else stops it
        answer = await b.get(authorize_query(client_id, redirect_uri=redirect_uri, pkce=new_pkce()))
    assert "redirect_uri" in _error_page(answer)


async def test_redirect_uri_is_required_when_several_are_registered(
    app: Starlette, alice: Account
) -> None:
    client_id, _ = await make_client(
        app, name="Two", redirect_uris=[REDIRECT_URI, "https://app.example/other"]
    )
    async with browser(app) as b:
        answer = await b.get(authorize_query(client_id, redirect_uri=None, pkce=new_pkce()))
    assert "redirect_uri" in _error_page(answer)


async def test_redirect_uri_may_be_left_out_when_one_is_registered(
    app: Starlette, client: httpx.AsyncClient, alice: Account
) -> None:
    client_id, secret = await _web_client(app)
    pkce = new_pkce()
    async with browser(app) as b:
        url = authorize_query(client_id, redirect_uri=None, pkce=pkce)
        params = redirected_to(await decide(b, await open_authorize(b, url, "alice")))
    # §4.1.3: then the token request need not repeat it either.
    answer = await redeem(
        client, client_id, secret, params["code"], verifier=pkce.verifier, redirect_uri=None
    )
    assert answer.status_code == 200, answer.text


async def test_a_public_client_without_a_code_challenge_gets_invalid_request(
    app: Starlette, alice: Account
) -> None:
    client_id = await _native_client(app)
    async with browser(app) as b:
        url = authorize_query(client_id, redirect_uri=NATIVE_REDIRECT, pkce=None)
        answer = await open_authorize(b, url, "alice")
    params = redirected_to(answer, NATIVE_REDIRECT)
    assert params["error"] == "invalid_request"
    assert "code_challenge" in params["error_description"]
    assert params["state"] == "xyz"
    assert params["iss"] == ISSUER
    assert "code" not in params


async def test_a_confidential_client_needs_a_code_challenge_too(
    app: Starlette, alice: Account
) -> None:
    client_id, _ = await _web_client(app)
    async with browser(app) as b:
        answer = await open_authorize(b, authorize_query(client_id, pkce=None), "alice")
    assert redirected_to(answer)["error"] == "invalid_request"


@pytest.mark.parametrize("method", ["plain", None, "S512"])
async def test_only_the_s256_challenge_method_is_accepted(
    app: Starlette, alice: Account, method: str | None
) -> None:
    client_id, _ = await _web_client(app)
    pkce = new_pkce()
    url = authorize_query(client_id, pkce=None, code_challenge=pkce.verifier)
    if method is not None:
        url += f"&code_challenge_method={method}"
    async with browser(app) as b:
        answer = await open_authorize(b, url, "alice")
    params = redirected_to(answer)
    assert params["error"] == "invalid_request"
    assert "S256" in params["error_description"]


@pytest.mark.parametrize(
    ("query", "error"),
    [
        # Front-channel access tokens: off unless the operator enables them (RFC 9700 §2.1.2).
        ("response_type=token", "unsupported_response_type"),
        ("response_type=id_token&scope=openid&nonce=n", "unauthorized_client"),
        ("response_type=code+device", "unsupported_response_type"),
        ("scope=activities:read+admin", "invalid_scope"),
        ("scope=activities:read&scope=profile", "invalid_request"),
    ],
)
async def test_bad_requests_with_a_trusted_redirect_uri_are_redirected_with_their_error(
    app: Starlette, alice: Account, query: str, error: str
) -> None:
    client_id, _ = await _web_client(app)
    pkce = new_pkce()
    base = authorize_query(client_id, pkce=pkce, scope=None, response_type=None)
    if not query.startswith("response_type"):
        base += "&response_type=code"
    async with browser(app) as b:
        answer = await open_authorize(b, f"{base}&{query}", "alice")
    assert answer.status_code in (302, 303), answer.text
    location = answer.headers["location"]
    # Responses that may carry tokens default to the fragment, errors included.
    separator = "#" if query.startswith(("response_type=token", "response_type=id")) else "?"
    assert location.startswith(REDIRECT_URI + separator), location
    params = parse_qs(location.split(separator, 1)[1])
    assert params["error"] == [error]
    assert params["state"] == ["xyz"]
    assert params["iss"] == [ISSUER]


async def test_a_code_redeemed_by_another_client_is_invalid_grant_and_not_used_up(
    app: Starlette, client: httpx.AsyncClient, alice: Account
) -> None:
    """A leaked code in another client's hands neither burns it nor revokes the victim's grant."""
    client_id, secret = await _web_client(app)
    other_id, other_secret = await _web_client(app)
    pkce = new_pkce()
    async with browser(app) as b:
        code = await get_code(b, client_id, "alice", pkce=pkce)
    answer = await redeem(client, other_id, other_secret, code, verifier=pkce.verifier)
    oauth_error(answer, 400, "invalid_grant")

    mine = await redeem(client, client_id, secret, code, verifier=pkce.verifier)

    assert mine.status_code == 200, mine.text
    api = await client.get("/api/activities", headers=bearer(mine.json()["access_token"]))
    assert api.status_code == 200


async def test_a_public_clients_code_without_the_verifier_is_not_used_up(
    app: Starlette, client: httpx.AsyncClient, alice: Account
) -> None:
    """A public client's id proves nothing: only the PKCE verifier may use its code up."""
    client_id = await _native_client(app)
    pkce = new_pkce()
    async with browser(app) as b:
        code = await get_code(b, client_id, "alice", pkce=pkce, redirect_uri=NATIVE_REDIRECT)
    guessed = await redeem(
        client, client_id, None, code, verifier=new_pkce().verifier, redirect_uri=NATIVE_REDIRECT
    )
    oauth_error(guessed, 400, "invalid_grant")

    mine = await redeem(
        client, client_id, None, code, verifier=pkce.verifier, redirect_uri=NATIVE_REDIRECT
    )

    assert mine.status_code == 200, mine.text


async def test_a_reused_code_is_invalid_grant_and_ends_the_tokens_issued_from_it(
    app: Starlette, client: httpx.AsyncClient, alice: Account
) -> None:
    client_id, secret = await _web_client(app)
    pkce = new_pkce()
    async with browser(app) as b:
        code = await get_code(b, client_id, "alice", pkce=pkce)
    first = await redeem(client, client_id, secret, code, verifier=pkce.verifier)
    assert first.status_code == 200, first.text
    issued = first.json()
    assert (await client.get("/api/activities", headers=bearer(issued["access_token"]))).is_success

    second = await redeem(client, client_id, secret, code, verifier=pkce.verifier)

    oauth_error(second, 400, "invalid_grant")
    api = await client.get("/api/activities", headers=bearer(issued["access_token"]))
    assert api.status_code == 401
    assert 'error="invalid_token"' in api.headers["www-authenticate"]
    for token in (issued["access_token"], issued["refresh_token"]):
        seen = await introspect(client, client_id, secret, token)
        assert seen.json() == {"active": False}
    oauth_error(
        await refresh(client, client_id, secret, issued["refresh_token"]), 400, "invalid_grant"
    )


@pytest.mark.parametrize(
    ("registered", "requested"),
    [
        ("http://127.0.0.1/callback", "http://127.0.0.1:51234/callback"),
        ("http://[::1]/callback", "http://[::1]:60000/callback"),
    ],
)
async def test_a_native_client_may_use_any_loopback_port(
    app: Starlette, client: httpx.AsyncClient, alice: Account, registered: str, requested: str
) -> None:
    client_id = await _native_client(app, registered)
    pkce = new_pkce()
    async with browser(app) as b:
        code = await get_code(b, client_id, "alice", pkce=pkce, redirect_uri=requested)
    answer = await redeem(
        client, client_id, None, code, verifier=pkce.verifier, redirect_uri=requested
    )
    assert answer.status_code == 200, answer.text
    api = await client.get("/api/activities", headers=bearer(answer.json()["access_token"]))
    assert api.status_code == 200


async def test_loopback_ports_are_the_only_part_that_may_vary(
    app: Starlette, alice: Account
) -> None:
    """The HTTP answer (an error page, no redirect); every other part that may not vary, the
    host, scheme, query, user info, fragment, a port out of range: tests/protocol/test_clients."""
    client_id = await _native_client(app)
    requested = "http://127.0.0.1:51234/other"
    async with browser(app) as b:
        assert (await submit_sign_in(b, "alice")).status_code == 303
        answer = await b.get(authorize_query(client_id, redirect_uri=requested, pkce=new_pkce()))
    assert "redirect_uri" in _error_page(answer)


@pytest.mark.parametrize(
    ("client_type", "registered"),
    [
        ("confidential", "http://127.0.0.1/callback"),  # a web server: its port is its own
        ("public", "http://127.0.0.1:9999/callback"),  # a port was registered: that one only
    ],
)
async def test_the_any_port_loopback_rule_is_only_for_native_uris_registered_without_a_port(
    app: Starlette, alice: Account, client_type: str, registered: str
) -> None:
    client_id, _ = await make_client(
        app, name="Local", client_type=client_type, redirect_uris=[registered]
    )
    async with browser(app) as b:
        assert (await submit_sign_in(b, "alice")).status_code == 303
        url = authorize_query(
            client_id, redirect_uri="http://127.0.0.1:51234/callback", pkce=new_pkce()
        )
        answer = await b.get(url)
    assert "redirect_uri" in _error_page(answer)


async def test_a_client_without_the_authorization_code_grant_is_unauthorized_client(
    app: Starlette, client: httpx.AsyncClient, alice: Account
) -> None:
    client_id, secret = await make_client(
        app, name="Service", redirect_uris=[REDIRECT_URI], grant_types=["client_credentials"]
    )
    assert secret is not None
    async with browser(app) as b:
        answer = await open_authorize(b, authorize_query(client_id, pkce=new_pkce()), "alice")
    params = redirected_to(answer)
    assert params["error"] == "unauthorized_client"
    assert "code" not in params
    # And at the token endpoint, whatever code it holds.
    token = await redeem(client, client_id, secret, "any-code", verifier=new_pkce().verifier)
    oauth_error(token, 400, "unauthorized_client")


async def test_a_public_client_redeems_with_its_client_id_and_verifier(
    app: Starlette, client: httpx.AsyncClient, alice: Account
) -> None:
    client_id = await _native_client(app)
    pkce = Pkce("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")
    async with browser(app) as b:
        code = await get_code(b, client_id, "alice", pkce=pkce, redirect_uri=NATIVE_REDIRECT)
    answer = await redeem(
        client, client_id, None, code, verifier=pkce.verifier, redirect_uri=NATIVE_REDIRECT
    )
    assert answer.status_code == 200, answer.text
    assert "refresh_token" in answer.json()


async def test_a_code_is_tied_to_the_user_who_approved_it(
    app: Starlette, client: httpx.AsyncClient, alice: Account, bob: Account
) -> None:
    client_id, secret = await _web_client(app)
    async with browser(app) as b:
        body = await tokens(client, b, client_id, secret, "bob")
    me = await client.get("/api/resource", headers=bearer(body["access_token"]))
    assert me.json() == {"data": "Hello, bob!"}


async def test_the_authorization_request_may_be_sent_by_post(
    app: Starlette, client: httpx.AsyncClient, alice: Account
) -> None:
    """RFC 6749 §3.1: signed out, the browser goes to sign in and comes back to the request."""
    client_id, secret = await _web_client(app)
    pkce = new_pkce()
    query = authorize_query(client_id, pkce=pkce)
    params = {k: v[0] for k, v in parse_qs(urlsplit(query).query).items()}
    async with browser(app) as b:
        posted = await b.post("/o/authorize/", data=params)
        assert posted.status_code == 303
        location = urlsplit(posted.headers["location"])
        assert location.path == "/login"
        next_url = parse_qs(location.query)["next"][0]
        assert next_url.startswith("/o/authorize/?")
        assert (await submit_sign_in(b, "alice", next_url=next_url)).headers["location"] == next_url
        code = redirected_to(await decide(b, await b.get(next_url)))["code"]
    answer = await redeem(client, client_id, secret, code, verifier=pkce.verifier)
    assert answer.status_code == 200, answer.text


async def test_by_default_an_implicit_client_gets_no_token_in_the_front_channel(
    app: Starlette, alice: Account
) -> None:
    client_id, _ = await make_client(
        app,
        name="Legacy SPA",
        client_type="public",
        redirect_uris=[REDIRECT_URI],
        grant_types=["implicit"],
    )
    url = authorize_query(client_id, response_type="token", pkce=None)
    async with browser(app) as b:
        answer = await open_authorize(b, url, "alice")
    assert answer.status_code in (302, 303), answer.text
    base, _, fragment = answer.headers["location"].partition("#")
    assert base == REDIRECT_URI
    params = {k: v[0] for k, v in parse_qs(fragment).items()}
    assert params["error"] == "unsupported_response_type"
    assert "access_token" not in params


async def test_an_implicit_client_gets_its_token_in_the_fragment_where_enabled(
    settings: Settings, alice: Account
) -> None:
    async with app_with(settings, implicit_enabled=True) as (app, client):
        client_id, _ = await make_client(
            app,
            name="Legacy SPA",
            client_type="public",
            redirect_uris=[REDIRECT_URI],
            grant_types=["implicit"],
        )
        url = authorize_query(client_id, response_type="token", pkce=None)
        async with browser(app) as b:
            answer = await decide(b, await open_authorize(b, url, "alice"))
        assert answer.status_code == 303
        base, _, fragment = answer.headers["location"].partition("#")
        assert base == REDIRECT_URI
        params = {k: v[0] for k, v in parse_qs(fragment).items()}
        assert params["token_type"] == "Bearer"
        assert params["state"] == "xyz"
        assert params["iss"] == ISSUER
        assert params["scope"] == "activities:read"
        assert "refresh_token" not in params and "code" not in params
        api = await client.get("/api/activities", headers=bearer(params["access_token"]))
        assert api.status_code == 200


@pytest.fixture
async def pkce_optional_app(settings: Settings, app: Starlette) -> AsyncIterator[Starlette]:
    """A second app over the same database that lets confidential clients skip PKCE."""
    lax = settings.model_copy(update={"pkce_required": False})
    optional = create_app(lax, hashing=FAST_HASHING)
    async with optional.router.lifespan_context(optional):
        yield optional


async def test_with_pkce_optional_a_confidential_client_may_skip_it_but_not_downgrade(
    pkce_optional_app: Starlette, client: httpx.AsyncClient, alice: Account
) -> None:
    client_id, secret = await _web_client(pkce_optional_app)
    async with browser(pkce_optional_app) as b:
        first = await get_code(b, client_id, "alice", pkce=None)
        second = await get_code(b, client_id, "alice", pkce=None)
    async with browser(pkce_optional_app) as token_client:
        # RFC 9700 §2.1.1: a verifier for a code issued without a challenge is refused.
        downgraded = await redeem(
            token_client, client_id, secret, first, verifier=new_pkce().verifier
        )
        oauth_error(downgraded, 400, "invalid_grant")
        plain = await redeem(token_client, client_id, secret, second, verifier=None)
        assert plain.status_code == 200, plain.text


async def test_with_pkce_optional_a_public_client_still_needs_it(
    pkce_optional_app: Starlette, alice: Account
) -> None:
    client_id = await _native_client(pkce_optional_app)
    async with browser(pkce_optional_app) as b:
        url = authorize_query(client_id, redirect_uri=NATIVE_REDIRECT, pkce=None)
        answer = await open_authorize(b, url, "alice")
    assert redirected_to(answer, NATIVE_REDIRECT)["error"] == "invalid_request"


async def test_the_consent_page_escapes_the_client_name(app: Starlette, alice: Account) -> None:
    client_id, _ = await make_client(
        app, name='<script>alert("x")</script>', redirect_uris=[REDIRECT_URI]
    )
    async with browser(app) as b:
        page = await open_authorize(b, authorize_query(client_id, pkce=new_pkce()), "alice")
    assert page.status_code == 200
    assert "<script>alert" not in page.text
    assert "&lt;script&gt;" in page.text
