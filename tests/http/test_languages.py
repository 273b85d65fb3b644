"""The pages in each language: which language a request gets, and no English left on a page
rendered in German, Japanese, Russian or Simplified Chinese (names apart)."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from html.parser import HTMLParser

import httpx
import pyotp
import pytest
from starlette.applications import Starlette

from stint.web.i18n import LANGUAGES
from tests.conftest import PASSWORD, Account, make_client
from tests.support.flows import authorize, authorize_query
from tests.support.pages import browser, csrf_of, sign_in
from tests.support.pkce import new_pkce

pytestmark = pytest.mark.anyio

REDIRECT_URI = "http://127.0.0.1:8765/callback"
APP_NAME = "Zeiterfassung Sync"
OTHER = [language for language in LANGUAGES if language.code != "en"]
# Words a translation keeps: the product, protocols and formats, the example in a hint.
KEPT = {
    "Stint", "OAuth", "PKCE", "JWT", "HTTP", "Basic", "URI", "URIs", "URL", "RFC", "UTC", "https",
    "http", "com", "example", "app", "callback", "state", "device", "ID", "CIBA", "JavaScript",
    "OpenID", "Connect", "OpenAPI", "REST", "API", "QR", "zoneinfo",
    "approve", "poll", "ping", "push", "Poll", "Ping", "Push",  # /approve; CIBA's delivery modes
}  # fmt: skip
# German shares these with English: a text that is the same word in both is no leftover.
SAME_IN_GERMAN = {"App", "Apps", "Browser", "Code", "Name", "Scopes", "Scopes:", "Link", "Timer"}
SAME_IN_GERMAN |= {"(optional)", "Passkeys"}


class _VisibleText(HTMLParser):
    """The text nodes a reader sees (and the attributes read aloud), minus what the page shows
    as is: ``<code>`` (ids, codes, URIs), the picker's language names, ``<title>``'s suffix."""

    def __init__(self) -> None:
        super().__init__()
        self.texts: list[str] = []
        self._skip: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag in ("code", "option", "script", "style"):
            self._skip.append(tag)
        for name in ("placeholder", "title", "aria-label", "alt"):
            if found.get(name):
                self.texts.append(found[name] or "")

    def handle_endtag(self, tag: str) -> None:
        if self._skip and self._skip[-1] == tag:
            self._skip.pop()

    def handle_data(self, data: str) -> None:
        text = " ".join(data.split())
        if text and not self._skip:
            self.texts.append(text)


def visible_texts(html: str, names: set[str]) -> list[str]:
    """The page's texts with the names the test put there taken out, only those with letters."""
    parser = _VisibleText()
    parser.feed(html)
    found = []
    for text in parser.texts:
        if re.fullmatch(r"\S+://\S+", text):
            continue  # a link or URI shown as is (the authenticator app's otpauth:// key)
        for name in sorted(names, key=len, reverse=True):
            text = text.replace(name, " ")
        text = " ".join(re.sub(r"\b\d{4}-W\d{2}\b", " ", text).split())  # ISO 8601 weeks
        if re.search(r"[^\W\d_]", text):
            found.append(text)
    return found


def english_left(english: list[str], translated: list[str], code: str) -> list[str]:
    """The texts of a translated page that are English: the same text as on the English page,
    or (in a language not written in Latin letters) English words outside ``KEPT``."""
    same = {text for text in set(english) & set(translated) if not _kept(text)}
    if code == "de":
        same -= SAME_IN_GERMAN
    leftovers = [text for text in translated if text in same]
    if code != "de":
        for text in translated:
            words = {w for w in re.findall(r"[A-Za-z]{2,}", text) if w not in KEPT}
            if words and text not in leftovers:
                leftovers.append(text)
    return leftovers


def _kept(text: str) -> bool:
    return all(word in KEPT for word in re.findall(r"[A-Za-z]+", text))


Page = Callable[[dict[str, str]], Awaitable[httpx.Response]]
HTML = {"Accept": "text/html"}  # as a browser asks (/ answers API clients with a problem)


async def assert_translated(page: Page, names: set[str], status: int = 200) -> None:
    english_page = await page({**HTML, "Accept-Language": "en"})
    assert english_page.status_code == status, english_page.text
    assert '<html lang="en">' in english_page.text
    english = visible_texts(english_page.text, names)
    assert len(english) >= 3, english  # a page with text to translate: no trivial pass
    for language in OTHER:
        rendered = await page({**HTML, "Accept-Language": language.tag})
        assert rendered.status_code == status, rendered.text
        assert f'<html lang="{language.html}">' in rendered.text
        translated = visible_texts(rendered.text, names)
        assert english_left(english, translated, language.code) == [], language.code


@pytest.fixture
async def names(alice: Account) -> set[str]:
    # What the pages show as is: the user, the app, the client's user agent.
    return {
        *("alice", APP_NAME, REDIRECT_URI, f"python-httpx/{httpx.__version__}", "Stint"),
        "XXXX-XXXX",  # the device code's shape, as the placeholder shows it
        *("Aegis", "Google Authenticator", "1Password"),  # authenticator apps, by name
    }


async def test_the_sign_in_page_in_each_language(
    client: httpx.AsyncClient, names: set[str]
) -> None:
    await assert_translated(lambda h: client.get("/login", headers=h), names)


async def test_a_wrong_password_in_each_language(
    client: httpx.AsyncClient, names: set[str]
) -> None:
    async def attempt(headers: dict[str, str]) -> httpx.Response:
        form = {"csrf_token": csrf_of(await client.get("/login")), "next": "/account"}
        form |= {"username": "alice", "password": "not the password"}
        return await client.post("/login", data=form, headers=headers)

    await assert_translated(attempt, names, 401)


async def test_the_account_page_in_each_language(
    client: httpx.AsyncClient, app: Starlette, names: set[str]
) -> None:
    client_id, secret = await make_client(
        app,
        name=APP_NAME,
        redirect_uris=[REDIRECT_URI],
        grant_types=["authorization_code"],
        scopes=["activities:read"],
    )
    csrf = await sign_in(client, "alice")
    assert secret is not None
    await authorize(
        client,
        csrf,
        client_id=client_id,
        secret=secret,
        redirect_uri=REDIRECT_URI,
        scope="activities:read",
    )
    await assert_translated(lambda h: client.get("/account?notice=revoked", headers=h), names)


async def test_the_consent_page_in_each_language(
    client: httpx.AsyncClient, app: Starlette, names: set[str]
) -> None:
    client_id, _secret = await make_client(
        app,
        name=APP_NAME,
        redirect_uris=[REDIRECT_URI],
        grant_types=["authorization_code"],
        scopes=["activities:read", "time-entries:write"],
    )
    await sign_in(client, "alice")
    scope = "openid email activities:read time-entries:write"
    url = authorize_query(client_id, redirect_uri=REDIRECT_URI, scope=scope, pkce=new_pkce())
    names |= {"127.0.0.1:8765"}
    await assert_translated(lambda h: client.get(url, headers=h), names)


@pytest.mark.parametrize(
    "path",
    ["/developer/apps", "/developer/apps/new", "/developer/apps/{id}", "/device", "/approve"],
)
async def test_the_developer_and_device_pages_in_each_language(
    client: httpx.AsyncClient, app: Starlette, names: set[str], path: str
) -> None:
    await sign_in(client, "alice")
    csrf = csrf_of(await client.get("/developer/apps/new"))
    form = {"csrf_token": csrf, "client_type": "confidential", "name": APP_NAME}
    form |= {"redirect_uris": REDIRECT_URI, "grant_authorization_code": "on"}
    form |= {"scope_activities:read": "on", "token_format": "jwt"}
    form |= {"auth_method": "client_secret_basic"}
    created = await client.post("/developer/apps/new", data=form)
    assert created.status_code == 201, created.text
    client_id = re.findall(r'id="client_id">([^<]+)<', created.text)[0]
    target = path.replace("{id}", client_id)
    await assert_translated(lambda h: client.get(target, headers=h), names)


async def test_the_developer_form_s_problems_in_each_language(
    client: httpx.AsyncClient, app: Starlette, names: set[str]
) -> None:
    """The registration rules' problems (the protocol core's, in English there) on the form."""
    await sign_in(client, "alice")
    csrf = csrf_of(await client.get("/developer/apps/new"))
    # No name, and an http redirect URI on another host than 127.0.0.1.
    bad_uri = "http://zeit.example.net/callback"
    form = {"csrf_token": csrf, "client_type": "confidential", "name": " "}
    form |= {"redirect_uris": bad_uri, "grant_authorization_code": "on"}
    form |= {"scope_activities:read": "on", "token_format": "jwt"}
    form |= {"auth_method": "client_secret_basic"}
    await assert_translated(
        lambda h: client.post("/developer/apps/new", data=form, headers=h), names | {bad_uri}, 400
    )
    german = await client.post(
        "/developer/apps/new", data=form, headers={**HTML, "Accept-Language": "de"}
    )
    assert "muss 1 bis 100 Zeichen lang sein" in german.text
    # The URI as it was given, in the translated sentence.
    assert f"{bad_uri} muss https verwenden (http ist nur für 127.0.0.1 erlaubt)" in german.text


async def test_the_developer_form_s_ciba_problem_in_each_language(
    client: httpx.AsyncClient, app: Starlette, names: set[str]
) -> None:
    """A CIBA app's settings checked as dynamic registration checks them, shown translated."""
    await sign_in(client, "alice")
    csrf = csrf_of(await client.get("/developer/apps/new"))
    form = {"csrf_token": csrf, "client_type": "confidential", "name": APP_NAME}
    form |= {"grant_urn:openid:params:grant-type:ciba": "on", "scope_activities:read": "on"}
    form |= {"token_format": "jwt", "auth_method": "client_secret_basic"}
    form |= {"backchannel_token_delivery_mode": "ping"}
    form |= {"backchannel_client_notification_endpoint": "http://zeit.example.net/ping"}
    field = "backchannel_client_notification_endpoint"
    shown = names | {field, "http://zeit.example.net/ping"}
    await assert_translated(
        lambda h: client.post("/developer/apps/new", data=form, headers=h), shown, 400
    )
    german = await client.post(
        "/developer/apps/new", data=form, headers={**HTML, "Accept-Language": "de"}
    )
    assert f"{field} muss eine https-URL sein" in german.text


async def test_error_pages_in_each_language(
    client: httpx.AsyncClient, app: Starlette, names: set[str]
) -> None:
    await sign_in(client, "alice")
    await assert_translated(lambda h: client.get("/developer/apps/nope", headers=h), names, 404)
    # A form without its CSRF field.
    await assert_translated(
        lambda h: client.post("/account/password", data={}, headers=h), names, 403
    )
    # A bad authorization request: no redirect, an error page (the protocol's own description
    # is shown in <code>, for the developer).
    await assert_translated(
        lambda h: client.get("/o/authorize/?client_id=nobody", headers=h), names, 400
    )
    # A device code that is no code.
    form = {"csrf_token": csrf_of(await client.get("/device")), "user_code": "BCDF-GHJK"}
    await assert_translated(lambda h: client.post("/device", data=form, headers=h), names, 400)


async def test_the_sign_out_pages_in_each_language(
    client: httpx.AsyncClient, app: Starlette, names: set[str]
) -> None:
    await sign_in(client, "alice")
    await assert_translated(lambda h: client.get("/o/logout/", headers=h), names)
    async with browser(app) as anonymous:
        await assert_translated(lambda h: anonymous.get("/o/logout/", headers=h), names)


async def test_a_social_refusal_in_each_language(
    client: httpx.AsyncClient, names: set[str]
) -> None:
    await assert_translated(lambda h: client.get("/login/nowhere/", headers=h), names, 404)


async def test_ui_locales_ja_on_authorize_shows_the_japanese_sign_in_page(
    client: httpx.AsyncClient, app: Starlette, alice: Account
) -> None:
    client_id, _secret = await make_client(
        app,
        name=APP_NAME,
        redirect_uris=[REDIRECT_URI],
        grant_types=["authorization_code"],
        scopes=["activities:read"],
    )
    url = authorize_query(client_id, redirect_uri=REDIRECT_URI, pkce=new_pkce(), ui_locales="ja")
    # The browser asks for German; OIDC Core §3.1.2.1 ui_locales comes first.
    answer = await client.get(url, headers={"Accept-Language": "de"})
    assert answer.status_code in (302, 303), answer.text
    login = await client.get(answer.headers["location"], headers={"Accept-Language": "de"})
    assert login.status_code == 200
    assert '<html lang="ja">' in login.text
    assert "Stint にサインイン" in login.text
    assert "ユーザー名" in login.text
    # The consent page the sign-in leads to is in Japanese too.
    form = {"csrf_token": csrf_of(login), "username": "alice", "password": alice.password}
    form["next"] = re.findall(r'name="next" value="([^"]+)"', login.text)[0].replace("&amp;", "&")
    signed = await client.post("/login", data=form, headers={"Accept-Language": "de"})
    assert signed.status_code == 303
    consent = await client.get(signed.headers["location"], headers={"Accept-Language": "de"})
    assert '<html lang="ja">' in consent.text
    assert "許可" in consent.text


@pytest.mark.parametrize(
    ("header", "lang"),
    [
        ("de-DE,de;q=0.9,en;q=0.8", "de"),
        ("fr-FR, ru;q=0.7, en;q=0.5", "ru"),
        ("zh-CN,zh;q=0.9", "zh-Hans"),
        ("zh-Hans", "zh-Hans"),
        ("en;q=0.2, ja", "ja"),
        ("zh-TW, fr", "en"),  # Traditional Chinese is not Simplified; French is not spoken
        ("ja;q=0, de;q=0.1", "de"),  # q=0: not acceptable (RFC 9110 §12.4.2)
        ("", "en"),
    ],
)
async def test_accept_language_picks_the_language(
    client: httpx.AsyncClient, header: str, lang: str
) -> None:
    page = await client.get("/login", headers={"Accept-Language": header})
    assert f'<html lang="{lang}">' in page.text


async def test_the_saved_choice_is_used_when_neither_is_given(
    client: httpx.AsyncClient, alice: Account
) -> None:
    csrf = await sign_in(client, "alice")
    form = {"csrf_token": csrf, "language": "ru", "next": "/account"}
    saved = await client.post("/account/language", data=form)
    assert saved.status_code == 303
    assert saved.headers["location"] == "/account"
    page = await client.get("/account")
    assert '<html lang="ru">' in page.text
    assert "Ваш аккаунт" in page.text
    assert 'value="ru" lang="ru" selected' in page.text
    # A supported Accept-Language comes before it (the issue's order), and ui_locales first.
    german = await client.get("/account", headers={"Accept-Language": "de"})
    assert '<html lang="de">' in german.text
    unsupported = await client.get("/account", headers={"Accept-Language": "fr"})
    assert '<html lang="ru">' in unsupported.text


async def test_an_unsupported_language_falls_back_to_english(
    client: httpx.AsyncClient, alice: Account
) -> None:
    page = await client.get("/login?ui_locales=fr-CA", headers={"Accept-Language": "sv, fr"})
    assert '<html lang="en">' in page.text
    assert "Sign in to Stint" in page.text


async def test_the_picker_needs_the_csrf_field_and_a_known_language(
    client: httpx.AsyncClient, alice: Account
) -> None:
    csrf = await sign_in(client, "alice")
    refused = await client.post("/account/language", data={"language": "ja"})
    assert refused.status_code == 403
    unknown = await client.post(
        "/account/language", data={"csrf_token": csrf, "language": "tlh", "next": "//evil"}
    )
    assert unknown.status_code == 303
    assert unknown.headers["location"] == "/account"  # never an open redirect
    assert '<html lang="en">' in (await client.get("/account")).text


async def test_dates_are_written_the_way_the_language_writes_them(
    client: httpx.AsyncClient, alice: Account
) -> None:
    await sign_in(client, "alice")
    japanese = await client.get("/account", headers={"Accept-Language": "ja"})
    assert re.search(r'data-field="member-since">\d{4}年\d{1,2}月\d{1,2}日<', japanese.text)
    german = await client.get("/account", headers={"Accept-Language": "de"})
    assert re.search(r'data-field="member-since">\d{1,2}\. \w+ \d{4}<', german.text)


@pytest.mark.parametrize(
    ("path", "status"),
    [("/", 200), ("/signup", 200), ("/password-reset", 200), ("/verify-email", 400)],
)
async def test_the_pages_before_signing_in_in_each_language(
    client: httpx.AsyncClient, names: set[str], path: str, status: int
) -> None:
    # /verify-email without its link's token: the page that says the link does not work.
    await assert_translated(lambda h: client.get(path, headers=h), names, status)


@pytest.mark.parametrize("path", ["/", "/account/security"])
async def test_the_signed_in_pages_of_the_issue_in_each_language(
    client: httpx.AsyncClient, names: set[str], path: str
) -> None:
    await sign_in(client, "alice")
    await assert_translated(lambda h: client.get(path, headers=h), names)


async def test_setting_up_an_authenticator_app_in_each_language(
    client: httpx.AsyncClient, names: set[str]
) -> None:
    csrf = await sign_in(client, "alice")
    started = await client.post("/account/security/totp/start", data={"csrf_token": csrf})
    assert started.status_code in (200, 303), started.text
    target = started.headers.get("location", "/account/security")
    await assert_translated(lambda h: client.get(target, headers=h), names)


async def test_discovery_lists_the_languages_of_the_pages(client: httpx.AsyncClient) -> None:
    document = (await client.get("/.well-known/openid-configuration")).json()
    # OpenID Connect Discovery §3: ui_locales_supported, BCP 47 tags.
    assert document["ui_locales_supported"] == ["en", "de", "ja", "ru", "zh-CN"]


async def test_two_factor_sign_in_in_each_language(
    client: httpx.AsyncClient, app: Starlette, names: set[str]
) -> None:
    """The second step of a sign-in, once an authenticator app is set up."""
    csrf = await sign_in(client, "alice")
    await client.post("/account/security/totp/start", data={"csrf_token": csrf})
    page = await client.get("/account/security")
    secret = re.findall(r"secret=([A-Z2-7]+)", page.text)[0]
    form = {"csrf_token": csrf_of(page), "code": pyotp.TOTP(secret).now()}
    confirmed = await client.post("/account/security/totp/confirm", data=form)
    assert confirmed.status_code == 200, confirmed.text
    async with browser(app) as other:
        answer = await other.get("/login", params={"next": "/account"})
        login = {"csrf_token": csrf_of(answer), "next": "/account"}
        login |= {"username": "alice", "password": PASSWORD}
        assert (await other.post("/login", data=login)).status_code == 303
        await assert_translated(lambda h: other.get("/login/second-factor", headers=h), names)
