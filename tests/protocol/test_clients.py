"""Client rules: redirect URI matching (RFC 9700 §4.1.3, RFC 8252 §7.3) and client ids."""

from __future__ import annotations

from dataclasses import replace

import pytest

from stint.protocol.clients import Client, ClientType

WEB = "https://app.example/callback"


def _client(*uris: str) -> Client:
    return Client(
        client_id="c",
        name="C",
        client_type=ClientType.PUBLIC,
        redirect_uris=uris,
        grant_types=frozenset({"authorization_code"}),
        scopes=frozenset({"profile"}),
        token_endpoint_auth_method="none",
    )


def _web_client(*uris: str, **metadata: str) -> Client:
    return replace(
        _client(*uris),
        client_type=ClientType.CONFIDENTIAL,
        token_endpoint_auth_method="client_secret_basic",
        metadata=dict(metadata),
    )


def test_a_registered_uri_matches_exactly() -> None:
    assert _client(WEB).allows_redirect_uri(WEB)


@pytest.mark.parametrize(
    "uri",
    [
        WEB + "/",
        WEB + "?x=1",
        WEB + "#f",
        "https://app.example/Callback",
        "https://APP.example/callback",
        "https://app.example:443/callback",
        "http://app.example/callback",
        "https://app.example/callback/../callback",
        "https://app.example.evil/callback",
        "https://app.example:8443/callback",
        "",
    ],
)
def test_anything_else_than_the_registered_uri_does_not_match(uri: str) -> None:
    assert not _client(WEB).allows_redirect_uri(uri)


@pytest.mark.parametrize(
    ("registered", "requested"),
    [
        ("http://127.0.0.1/cb", "http://127.0.0.1:5000/cb"),
        ("http://127.0.0.1/cb?a=1", "http://127.0.0.1:65535/cb?a=1"),
        ("http://[::1]/cb", "http://[::1]:5000/cb"),
    ],
)
def test_a_loopback_uri_matches_on_any_port(registered: str, requested: str) -> None:
    assert _client(registered).allows_redirect_uri(requested)


def test_a_confidential_native_client_gets_the_loopback_rule_too() -> None:
    native = _web_client("http://127.0.0.1/cb", application_type="native")
    assert native.allows_redirect_uri("http://127.0.0.1:5000/cb")


@pytest.mark.parametrize(
    "requested", ["http://127.0.0.1:5000/cb", "http://127.0.0.1:8080/cb", "http://127.0.0.1/cb"]
)
def test_a_confidential_web_client_gets_no_loopback_port_leeway(requested: str) -> None:
    # RFC 8252 §7.3 is for native apps; a web client's loopback URI is matched exactly.
    web = _web_client("http://127.0.0.1:8000/cb", "http://[::1]/cb")
    assert web.allows_redirect_uri("http://127.0.0.1:8000/cb")
    assert not web.allows_redirect_uri(requested)
    assert not web.allows_redirect_uri("http://[::1]:5000/cb")


@pytest.mark.parametrize(
    "requested", ["http://127.0.0.1:5000/cb", "http://127.0.0.1/cb", "http://127.0.0.1:80/cb"]
)
def test_a_loopback_uri_registered_with_a_port_matches_only_that_port(requested: str) -> None:
    client = _client("http://127.0.0.1:8080/cb")
    assert client.allows_redirect_uri("http://127.0.0.1:8080/cb")
    assert not client.allows_redirect_uri(requested)


@pytest.mark.parametrize(
    ("registered", "requested"),
    [
        ("http://127.0.0.1/cb", "http://127.0.0.1:5000/other"),
        ("http://127.0.0.1/cb", "http://127.0.0.1:5000/cb?a=1"),
        ("http://127.0.0.1/cb", "http://[::1]:5000/cb"),
        ("http://127.0.0.1/cb", "http://localhost:5000/cb"),
        ("http://127.0.0.1/cb", "https://127.0.0.1:5000/cb"),
        ("http://127.0.0.1/cb", "http://127.0.0.2:5000/cb"),
        ("http://127.0.0.1/cb", "http://user@127.0.0.1:5000/cb"),
        ("http://127.0.0.1/cb", "http://127.0.0.1:5000/cb#f"),
        ("http://127.0.0.1/cb", "http://127.0.0.1:5000/cb#"),
        ("http://127.0.0.1/cb", "http://127.0.0.1:0/cb"),
        ("https://127.0.0.1/cb", "https://127.0.0.1:5000/cb"),
        ("http://localhost/cb", "http://localhost:5000/cb"),
        ("http://app.example/cb", "http://app.example:5000/cb"),
    ],
)
def test_only_the_port_of_an_http_loopback_uri_may_vary(registered: str, requested: str) -> None:
    assert not _client(registered).allows_redirect_uri(requested)


@pytest.mark.parametrize(
    "requested",
    [
        "http://127.0.0.1:99999/cb",
        "http://127.0.0.1:abc/cb",
        "http://127.0.0.1:-1/cb",
        "http://[::1/cb",
        "http://[::1]:x/cb",
    ],
)
def test_a_malformed_uri_matches_nothing_and_raises_nothing(requested: str) -> None:
    assert not _client("http://127.0.0.1/cb", "http://[::1]/cb").allows_redirect_uri(requested)


def test_client_ids_are_letters_and_digits_only() -> None:
    from stint.protocol.registration import ClientSpec, new_client
    from stint.protocol.secrets import SecretHasher

    hasher = SecretHasher(b"k" * 32)
    ids = [
        new_client(ClientSpec(name="n", redirect_uris=("https://a.example/cb",)), hasher)[0]
        for _ in range(200)
    ]
    assert all(c.client_id.isalnum() and len(c.client_id) == 24 for c in ids)


def test_a_grant_switched_off_is_not_given_but_an_edit_keeps_it_where_given_before() -> None:
    from stint.protocol.registration import ClientSpec, ClientSpecError, new_client, updated_client
    from stint.protocol.secrets import SecretHasher

    hasher = SecretHasher(b"k" * 32)
    spec = ClientSpec(name="n", redirect_uris=("https://a.example/cb",))
    client, _ = new_client(spec, hasher)  # given while authorization_code was on
    only_refresh = frozenset({"refresh_token", "implicit"})
    with pytest.raises(ClientSpecError) as caught:
        new_client(spec, hasher, enabled_grants=only_refresh)
    assert caught.value.problems["grant_types"].startswith("authorization_code:")
    renamed = updated_client(client, replace(spec, name="m"), enabled_grants=only_refresh)
    assert renamed.name == "m"
    assert renamed.grant_types == client.grant_types
