"""Property: no malformed request to a form endpoint is answered with a 5xx, on either database.

Hypothesis draws the parameters, bodies and headers (text and raw bytes: non-ASCII, NUL and other
control characters, huge values, repeats) around a real client and user, so requests get deep
enough to reach the database. Bounded and derandomized, so ``make test`` stays fast and repeatable;
run with ``--hypothesis-seed`` and a larger ``FUZZ_EXAMPLES`` to search further.
"""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass
from urllib.parse import quote_from_bytes

import httpx
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from starlette.applications import Starlette

from tests.conftest import Account, make_client
from tests.support.tokens import REDIRECT_URI

pytestmark = pytest.mark.anyio

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "40"))
BOUNDED = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

OAUTH_NAMES = (
    "grant_type", "client_id", "client_secret", "code", "redirect_uri", "code_verifier",
    "refresh_token", "scope", "username", "password", "token", "token_type_hint",
    "response_type", "state", "nonce", "code_challenge", "code_challenge_method", "prompt",
    "max_age", "claims", "request", "request_uri", "id_token_hint", "login_hint", "acr_values",
    "response_mode", "ui_locales", "csrf_token", "decision", "next", "post_logout_redirect_uri",
    "access_token",
)  # fmt: skip
AWKWARD = ("", "\x00", "a\x00b", "\u00e9", "\U0001f600", "\x7f", "%00", "x" * 5000, "1" * 4301)


# Placeholders the strategies draw and each test fills in with its real client and user: the
# strategies cannot see fixtures, and drawing inside the test (st.data) would stop the event loop.
PLACEHOLDERS = (b"@client_id", b"@secret", b"@username", b"@password", b"@token")
_REAL = (REDIRECT_URI, "authorization_code", "client_credentials", "refresh_token", "password",
         "code", "code id_token", "openid", "S256")  # fmt: skip


@dataclass(frozen=True)
class Known:
    """Real values for the fuzzer to mix in, so requests get past the first lookup."""

    client_id: str
    secret: str
    account: Account

    def fill(self, raw: bytes) -> bytes:
        account = self.account
        pairs = {
            b"@basic_client": _basic(f"{self.client_id}:{self.secret}".encode()),
            b"@basic_user": _basic(f"{account.username}:{account.password}".encode()),
            b"@client_id": self.client_id.encode(),
            b"@secret": self.secret.encode(),
            b"@username": account.username.encode(),
            b"@password": account.password.encode(),
            b"@token": account.token.encode(),
        }
        for placeholder, value in pairs.items():
            raw = raw.replace(placeholder, value)
        return raw

    def headers(self, drawn: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
        return [(name, self.fill(value)) for name, value in drawn]


def _basic(credentials: bytes) -> bytes:
    return b"Basic " + base64.b64encode(credentials)


@pytest.fixture
async def known(app: Starlette, client: httpx.AsyncClient, alice: Account) -> Known:
    client_id, secret = await make_client(
        app,
        name="Fuzzed",
        redirect_uris=[REDIRECT_URI],
        grant_types=["authorization_code", "refresh_token", "client_credentials", "password"],
    )
    assert secret is not None
    created = await client.post("/api/activities", json={"name": "Fuzzed"}, headers=alice.bearer)
    assert created.status_code == 201, created.text
    return Known(client_id, secret, alice)


def _text() -> st.SearchStrategy[str]:
    return st.one_of(st.text(max_size=40), st.sampled_from(AWKWARD))


# A parameter value as bytes: real, awkward text, or bytes that are not UTF-8.
VALUE = st.one_of(
    st.sampled_from(PLACEHOLDERS),
    st.sampled_from(_REAL).map(str.encode),
    _text().map(lambda t: t.encode("utf-8", "surrogatepass")),
    st.binary(max_size=40),
)
_PAIR = st.tuples(
    st.one_of(st.sampled_from(OAUTH_NAMES).map(str.encode), st.binary(max_size=10)), VALUE
).map(lambda p: quote_from_bytes(p[0]).encode() + b"=" + quote_from_bytes(p[1]).encode())
_ENCODED = st.lists(_PAIR, max_size=8).map(b"&".join)  # names may repeat
# An urlencoded body, or raw bytes that are no form at all.
FORM = st.one_of(_ENCODED, _ENCODED, st.binary(max_size=200))
QUERY = _ENCODED.map(lambda body: quote_from_bytes(body, safe="=&%@"))

# What an HTTP server lets through in a header value: anything but CR and LF.
_RAW_HEADER = st.binary(max_size=60).map(lambda b: b.replace(b"\r", b"").replace(b"\n", b""))
_AUTHORIZATION = st.one_of(
    st.sampled_from([b"@basic_client", b"@basic_user", b"Bearer @token"]),
    st.sampled_from(
        [b"Basic \xe9", b"Basic YTpi\xe9", b"Basic !!!", b"Basic Og==", b"Bearer \xff"]
    ),
    VALUE.map(_basic),
    st.builds(lambda v: b"Basic " + v, _RAW_HEADER),
    st.builds(lambda v: b"Bearer " + v, _RAW_HEADER),
    _RAW_HEADER,
)
_FORM_TYPE = b"application/x-www-form-urlencoded"
# Mostly a form: anything else is refused before the parameters or credentials are read.
_CONTENT_TYPE = st.one_of(
    st.just(_FORM_TYPE),
    st.just(_FORM_TYPE),
    st.sampled_from([b"application/json", b"text/plain", b"\xff"]),
)
HEADERS = st.builds(
    lambda ct, auth: [(b"content-type", ct)] + [(b"authorization", a) for a in auth],
    _CONTENT_TYPE,
    st.lists(_AUTHORIZATION, max_size=2),  # none, one, or a repeated one
)


def _assert_no_server_error(response: httpx.Response) -> None:
    request = response.request
    assert response.status_code < 500, (request.method, request.url, response.text)


@pytest.mark.parametrize("path", ["/o/token/", "/o/introspect/", "/o/revoke_token/"])
@BOUNDED
@given(body=FORM, headers=HEADERS)
# The cases issue #8 found under load, always tried first.
@example(
    body=b"grant_type=client_credentials&token=x",
    headers=[(b"content-type", _FORM_TYPE), (b"authorization", b"Basic \xe9")],
)
@example(
    body=b"grant_type=client_credentials&token=x",
    headers=[(b"content-type", _FORM_TYPE), (b"authorization", b"Basic YTpi\xe9")],
)
async def test_the_token_revocation_and_introspection_endpoints_never_answer_5xx(
    client: httpx.AsyncClient,
    known: Known,
    path: str,
    body: bytes,
    headers: list[tuple[bytes, bytes]],
) -> None:
    response = await client.post(path, content=known.fill(body), headers=known.headers(headers))
    _assert_no_server_error(response)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/o/authorize/"),
        ("POST", "/o/authorize/"),
        ("GET", "/login"),
        ("POST", "/login"),
        ("GET", "/o/logout/"),
        ("POST", "/o/logout/"),
        ("GET", "/o/userinfo/"),
        ("POST", "/o/userinfo/"),
    ],
)
@BOUNDED
@given(query=QUERY, body=FORM, headers=HEADERS)
@example(query="nonce=" + "n" * 513, body=b"", headers=[(b"authorization", b"Basic \xe9")])
@example(query="client_id=@client_id&nonce=%00", body=b"", headers=[])
async def test_pages_and_oidc_endpoints_never_answer_5xx(
    client: httpx.AsyncClient,
    known: Known,
    method: str,
    path: str,
    query: str,
    body: bytes,
    headers: list[tuple[bytes, bytes]],
) -> None:
    url = f"{path}?{known.fill(query.encode()).decode()}"
    content = known.fill(body) if method == "POST" else b""
    response = await client.request(method, url, content=content, headers=known.headers(headers))
    _assert_no_server_error(response)


_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | _text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(_text(), children, max_size=4)
    ),
    max_leaves=10,
)
_METADATA_NAMES = (
    "redirect_uris", "client_name", "grant_types", "response_types", "scope", "contacts",
    "logo_uri", "token_endpoint_auth_method", "jwks", "jwks_uri", "sector_identifier_uri",
    "id_token_signed_response_alg", "post_logout_redirect_uris", "backchannel_logout_uri",
    "default_max_age", "client_name#fr", "subject_type", "request_uris",
)  # fmt: skip
_METADATA = st.dictionaries(
    st.sampled_from(_METADATA_NAMES),
    st.one_of(_JSON, st.just([REDIRECT_URI]), st.lists(_text(), max_size=3)),
    max_size=6,
).map(lambda m: {"redirect_uris": [REDIRECT_URI], **m})


@BOUNDED
@given(body=_METADATA, raw=st.binary(max_size=200), client_id=_text())
@example(body={"redirect_uris": [REDIRECT_URI], "client_name": "App\x00"}, raw=b"", client_id="")
async def test_registration_never_answers_5xx(
    client: httpx.AsyncClient, body: dict[str, object], raw: bytes, client_id: str
) -> None:
    _assert_no_server_error(await client.post("/o/register", json=body))
    headers = {"content-type": "application/json"}
    _assert_no_server_error(await client.post("/o/register", content=raw, headers=headers))
    path = "/o/register/" + quote_from_bytes(client_id.encode("utf-8", "surrogatepass"))
    _assert_no_server_error(await client.get(path, headers={"authorization": "Bearer x"}))


_API_CALLS = st.sampled_from(
    [
        ("GET", "/api/me"),
        ("GET", "/api/activities"),
        ("POST", "/api/activities"),
        ("PUT", "/api/activities/1"),
        ("PATCH", "/api/activities/1"),
        ("DELETE", "/api/activities/1"),
        ("GET", "/api/time-entries"),
        ("POST", "/api/time-entries/1/stop"),
        ("PATCH", "/api/time-entries/1"),
        ("GET", "/api/reports/summary"),
        ("POST", "/api/users"),
    ]
)
_API_HEADERS = st.lists(
    st.tuples(
        st.sampled_from([b"if-match", b"if-none-match", b"accept", b"content-type"]),
        st.one_of(_RAW_HEADER, st.sampled_from([b'"v\xb2"', b'"v' + b"9" * 4301 + b'"', b"*"])),
    ),
    max_size=3,
)


@BOUNDED
@given(
    call=_API_CALLS,
    query=QUERY,
    body=st.one_of(VALUE, st.binary(max_size=200)),
    authorization=st.lists(_AUTHORIZATION, max_size=2),
    headers=_API_HEADERS,
)
@example(  # issue #8: a Unicode digit in If-Match
    call=("PUT", "/api/activities/1"),
    query="",
    body=b'{"name": "x"}',
    authorization=[b"Bearer @token"],
    headers=[(b"if-match", b'"v\xb2"'), (b"content-type", b"application/json")],
)
async def test_the_api_never_answers_5xx_to_bytes(
    client: httpx.AsyncClient,
    known: Known,
    call: tuple[str, str],
    query: str,
    body: bytes,
    authorization: list[bytes],
    headers: list[tuple[bytes, bytes]],
) -> None:
    """Raw bytes where Schemathesis sends only text: headers, bodies, credentials."""
    method, path = call
    sent = known.headers(headers + [(b"authorization", a) for a in authorization])
    url = f"{path}?{known.fill(query.encode()).decode()}"
    response = await client.request(method, url, content=known.fill(body), headers=sent)
    _assert_no_server_error(response)
