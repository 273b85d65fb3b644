"""The one redirect URI validator of every registration path, each rule once (RFC 6749 §3.1.2,
RFC 8252 §7-8, RFC 9700 §2.1, OIDC Registration §2)."""

from __future__ import annotations

import pytest

from stint.protocol.redirect_uris import (
    RedirectUriRules,
    redirect_uri_problem,
    redirect_uris_problem,
)

DEVELOPER = RedirectUriRules()  # the developer pages and the command line
OPERATOR_HTTP = RedirectUriRules(any_http=True)  # stint clients create --allow-http
WEB = RedirectUriRules.for_application("web", ["authorization_code"])
WEB_IMPLICIT = RedirectUriRules.for_application("web", ["implicit"])
NATIVE = RedirectUriRules.for_application("native", ["authorization_code", "implicit"])
EVERY = [DEVELOPER, OPERATOR_HTTP, WEB, WEB_IMPLICIT, NATIVE]


@pytest.mark.parametrize("rules", EVERY)
@pytest.mark.parametrize(
    ("uri", "problem"),
    [
        ("/callback", "absolute"),
        ("app.example/callback", "absolute"),
        ("https://app.example/" + "x" * 2000, "absolute"),
        ("https://app.example/callback#x", "fragment"),  # RFC 6749 §3.1.2
        ("https://app.example/callback#", "fragment"),
        ("https://*.app.example/callback", "wildcard"),  # RFC 9700 §2.1: exact matching
        ("https:///callback", "host"),
        ("https://app.example/call back", "not a URL"),  # stored space-separated
        ("https://app.example/\x01", "not a URL"),
        ("https://app.example:99999/callback", "not a URL"),
        ("http://127.0.0.1:abc/callback", "not a URL"),
        ("http://[::1/callback", "not a URL"),
        ("javascript:alert(1)", "javascript"),
        ("data:text/html,x", "data"),
        ("file:///etc/passwd", "file"),
    ],
)
def test_what_no_client_may_register(rules: RedirectUriRules, uri: str, problem: str) -> None:
    found = redirect_uri_problem(uri, rules)
    assert found is not None and problem in found


@pytest.mark.parametrize("rules", EVERY)
def test_an_https_url_with_a_host_suits_every_client(rules: RedirectUriRules) -> None:
    assert redirect_uri_problem("https://app.example/callback?client=1", rules) is None


@pytest.mark.parametrize("rules", [DEVELOPER, NATIVE])
@pytest.mark.parametrize(
    "uri",
    [
        "http://127.0.0.1/callback",  # RFC 8252 §7.3: any port is matched at request time
        "http://127.0.0.1:8080/callback",
        "http://[::1]/callback",
        "com.example.app:/callback",  # RFC 8252 §7.1
    ],
)
def test_apps_on_a_device_use_loopback_ips_and_private_use_schemes(
    rules: RedirectUriRules, uri: str
) -> None:
    assert redirect_uri_problem(uri, rules) is None


@pytest.mark.parametrize(
    ("uri", "problem"),
    [
        ("http://localhost/callback", "127.0.0.1"),  # RFC 8252 §8.3
        ("http://app.example/callback", "https"),
        ("myapp:/callback", "reverse domain"),  # RFC 8252 §7.1
    ],
)
def test_device_forms_are_refused_beyond_loopback_ips_and_reverse_domains(
    uri: str, problem: str
) -> None:
    for rules in (DEVELOPER, NATIVE):
        found = redirect_uri_problem(uri, rules)
        assert found is not None and problem in found


@pytest.mark.parametrize(
    "uri", ["http://127.0.0.1:8080/callback", "com.example.app:/callback", "http://app.example/cb"]
)
def test_web_clients_registering_themselves_use_https_only(uri: str) -> None:
    # OIDC Registration §2: an app on the device registers application_type native.
    found = redirect_uri_problem(uri, WEB)
    assert found is not None and "application_type native" in found


@pytest.mark.parametrize(
    "uri", ["https://localhost/cb", "https://127.0.0.1/cb", "https://[::1]/cb"]
)
def test_web_clients_using_implicit_stay_off_localhost(uri: str) -> None:
    found = redirect_uri_problem(uri, WEB_IMPLICIT)
    assert found is not None and "localhost" in found
    assert redirect_uri_problem(uri, WEB) is None
    assert redirect_uri_problem(uri, NATIVE) is None


def test_the_operator_may_allow_http_on_any_host_for_development() -> None:
    assert redirect_uri_problem("http://app.example/callback", OPERATOR_HTTP) is None
    assert redirect_uri_problem("http://app.example/callback", DEVELOPER) is not None


def test_a_list_is_required_for_redirecting_grants_and_bounded() -> None:
    assert redirect_uris_problem([], DEVELOPER, required=False) is None
    required = redirect_uris_problem([], DEVELOPER, required=True)
    assert required is not None and "at least one" in required
    many = [f"https://app.example/cb{i}" for i in range(21)]
    assert redirect_uris_problem(many, DEVELOPER, required=True) == "at most 20"
    assert redirect_uris_problem(many[:20], DEVELOPER, required=True) is None


def test_a_list_names_the_uri_it_refuses() -> None:
    found = redirect_uris_problem(
        ["https://ok.example/cb", "http://x.example/cb"], WEB, required=True
    )
    assert found is not None and found.startswith("http://x.example/cb must use https")
