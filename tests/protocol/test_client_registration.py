"""Registration requests checked field by field and across fields (RFC 7591 §2, §3.2.2;
OIDC Registration §2, §5), without HTTP."""

from __future__ import annotations

from typing import Any

import pytest
from joserfc.jwk import ECKey, RSAKey

from stint.protocol.errors import (
    InvalidClientMetadataError,
    InvalidRedirectUriMetadataError,
    OAuthError,
)
from stint.protocol.oidc.client_registration import (
    CheckedMetadata,
    RegistrationPolicy,
    check_metadata,
)
from stint.protocol.oidc.ports import FetchFailedError
from stint.protocol.scopes import API_SCOPES

pytestmark = pytest.mark.anyio

WEB = "https://app.example/callback"
OTHER_HOST = "https://other.example/callback"
SECTOR = "https://app.example/sector.json"
# Most tests register every response type, so front-channel access tokens are enabled here.
POLICY = RegistrationPolicy(implicit_enabled=True)


class Documents:
    """A DocumentFetcher over a dict; records what was asked for."""

    def __init__(self, documents: dict[str, bytes] | None = None) -> None:
        self.documents = documents or {}
        self.fetched: list[tuple[str, str]] = []

    async def fetch(self, url: str, *, accept: str) -> bytes:
        self.fetched.append((url, accept))
        if url not in self.documents:
            raise FetchFailedError("could not be fetched")
        return self.documents[url]


def rsa_jwk(**extra: Any) -> dict[str, Any]:
    return {**RSAKey.generate_key(2048, private=True).as_dict(private=False), **extra}


def ec_jwk(**extra: Any) -> dict[str, Any]:
    return {**ECKey.generate_key("P-256", private=True).as_dict(private=False), **extra}


async def check(
    body: dict[str, Any], policy: RegistrationPolicy = POLICY, fetcher: Documents | None = None
) -> CheckedMetadata:
    return await check_metadata(body, policy, fetcher or Documents())


async def refused(
    body: dict[str, Any],
    error: type[OAuthError] = InvalidClientMetadataError,
    policy: RegistrationPolicy = POLICY,
    fetcher: Documents | None = None,
) -> str:
    """The description of the error ``body`` is refused with."""
    with pytest.raises(OAuthError) as caught:
        await check(body, policy, fetcher)
    assert type(caught.value) is error, caught.value
    return caught.value.description


async def test_a_grant_switched_off_is_refused_even_when_implied() -> None:
    no_code = RegistrationPolicy(grant_types=frozenset({"client_credentials", "implicit"}))
    for body in ({"redirect_uris": [WEB]}, {"redirect_uris": [WEB], "response_types": ["code"]}):
        assert "authorization_code" in await refused(body, policy=no_code)
    service = {"grant_types": ["client_credentials"], "response_types": []}
    assert (await check(service, no_code)).grant_types == {"client_credentials"}


async def test_a_minimal_request_gets_every_default() -> None:
    checked = await check({"redirect_uris": [WEB]})
    assert checked.redirect_uris == (WEB,)
    assert checked.grant_types == {"authorization_code"}
    assert checked.token_endpoint_auth_method == "client_secret_basic"
    assert not checked.public
    assert checked.scopes == API_SCOPES
    assert checked.name == "Unnamed client"
    metadata = checked.metadata
    assert metadata["response_types"] == ["code"]
    assert metadata["application_type"] == "web"
    assert metadata["subject_type"] == "public"
    assert metadata["id_token_signed_response_alg"] == "ES256"  # ours, said explicitly
    assert set(metadata["scope"].split()) >= API_SCOPES | {"openid", "email", "offline_access"}
    assert "userinfo_signed_response_alg" not in metadata  # absent: plain JSON
    assert "client_name" not in metadata
    for column in ("redirect_uris", "grant_types", "token_endpoint_auth_method"):
        assert column not in metadata  # kept as the Client's own fields


async def test_unknown_and_null_fields_are_ignored() -> None:
    checked = await check(
        {
            "redirect_uris": [WEB],
            "frontchannel_logout_uri": "https://app.example/logout",
            "made_up": {"x": 1},
            "client_name": None,
            "software_statement": "eyJ...",
        }
    )
    assert checked.metadata.keys().isdisjoint(
        {"frontchannel_logout_uri", "made_up", "client_name", "software_statement"}
    )


async def test_display_fields_and_their_language_tagged_forms_are_kept() -> None:
    body = {
        "redirect_uris": [WEB],
        "client_name": "  Time Sheets  ",
        "client_name#ja-Jpan-JP": "タイムシート",
        "logo_uri": "https://app.example/logo.png",
        "client_uri": "https://app.example/",
        "policy_uri": "https://app.example/policy",
        "tos_uri#fr": "https://app.example/cgu",
        "contacts": ["ops@app.example", "ops@app.example"],
        "software_id": "4NRB1-0XZABZI9E6-5SM3R",
        "software_version": "2.1",
    }
    checked = await check(body)
    assert checked.name == "Time Sheets"
    assert checked.metadata["client_name"] == "Time Sheets"
    assert checked.metadata["client_name#ja-Jpan-JP"] == "タイムシート"
    assert checked.metadata["tos_uri#fr"] == "https://app.example/cgu"
    assert checked.metadata["contacts"] == ["ops@app.example"]
    assert checked.metadata["software_version"] == "2.1"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("redirect_uris", WEB),
        ("redirect_uris", [WEB, 7]),
        ("response_types", "code"),
        ("grant_types", "authorization_code"),
        ("contacts", "ops@app.example"),
        ("default_acr_values", "urn:mace:incommon:iap:silver"),
        ("post_logout_redirect_uris", "https://app.example/bye"),
        ("request_uris", "https://app.example/request.jwt"),
        ("client_name", 5),
        ("client_name", ""),
        ("client_name", "x" * 101),
        ("scope", ["openid"]),
        ("logo_uri", ["https://app.example/logo.png"]),
        ("jwks", [rsa_jwk()]),
        ("jwks", {"keys": []}),
        ("default_max_age", "3600"),
        ("default_max_age", -1),
        ("default_max_age", True),
        ("default_max_age", 1.5),
        ("require_auth_time", "true"),
        ("backchannel_logout_session_required", 1),
        ("application_type", "desktop"),
        ("subject_type", "anonymous"),
        ("token_endpoint_auth_method", "private_key_jwt"),
        ("token_endpoint_auth_method", "client_secret_jwt"),
        ("software_version", 2),
    ],
)
async def test_a_value_of_the_wrong_type_names_its_field(field: str, value: Any) -> None:
    description = await refused({"redirect_uris": [WEB], field: value})
    assert description.startswith(field), description


async def test_too_many_values_are_refused() -> None:
    uris = [f"https://app.example/cb{i}" for i in range(21)]
    assert "at most 20" in await refused({"redirect_uris": uris})


@pytest.mark.parametrize(
    ("response_types", "grants"),
    [
        (["code"], {"authorization_code"}),
        (["id_token"], {"implicit"}),
        (["token id_token"], {"implicit"}),
        (["id_token code"], {"authorization_code", "implicit"}),
        (["code token"], {"authorization_code", "implicit"}),
        (["code id_token token"], {"authorization_code", "implicit"}),
    ],
)
async def test_grant_types_follow_from_response_types(
    response_types: list[str], grants: set[str]
) -> None:
    checked = await check({"redirect_uris": [WEB], "response_types": response_types})
    assert checked.grant_types == grants


async def test_response_types_are_stored_normalised() -> None:
    checked = await check(
        {
            "redirect_uris": [WEB],
            "response_types": ["id_token code", "code id_token", "token id_token", "code"],
            "grant_types": ["authorization_code", "implicit", "refresh_token"],
        }
    )
    assert checked.metadata["response_types"] == ["code id_token", "id_token token", "code"]
    assert checked.grant_types == {"authorization_code", "implicit", "refresh_token"}


async def test_a_client_without_redirecting_grants_has_no_response_types() -> None:
    checked = await check({"grant_types": ["client_credentials"]})
    assert checked.metadata["response_types"] == []
    assert checked.redirect_uris == ()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"response_types": ["code"], "grant_types": ["implicit"]}, "response_types"),
        (
            {"response_types": ["code id_token"], "grant_types": ["authorization_code"]},
            "response_types",
        ),
        (
            {"response_types": ["code"], "grant_types": ["authorization_code", "implicit"]},
            "grant_types",
        ),
        ({"response_types": [], "grant_types": ["authorization_code"]}, "grant_types"),
        ({"grant_types": ["implicit"]}, "grant_types"),
        ({"grant_types": []}, "grant_types"),
        ({"response_types": ["code foo"]}, "response_types"),
        ({"response_types": ["none"]}, "response_types"),
        ({"grant_types": ["password"]}, "grant_types"),
        ({"grant_types": ["urn:ietf:params:oauth:grant-type:jwt-bearer"]}, "grant_types"),
    ],
)
async def test_grant_and_response_types_must_agree(body: dict[str, Any], field: str) -> None:
    # RFC 7591 §2.1: code ⟷ authorization_code, token and id_token ⟷ implicit.
    description = await refused({"redirect_uris": [WEB], **body})
    assert description.startswith(field), description


@pytest.mark.parametrize(
    "response_type", ["token", "id_token token", "code token", "code id_token token"]
)
async def test_front_channel_access_tokens_are_refused_by_default(response_type: str) -> None:
    # RFC 9700 §2.1.2: off unless the operator enables them.
    body = {"redirect_uris": [WEB], "response_types": [response_type]}
    description = await refused(body, policy=RegistrationPolicy())
    assert description.startswith("response_types") and "not enabled" in description


@pytest.mark.parametrize("response_type", ["code", "id_token", "code id_token"])
async def test_response_types_without_a_front_channel_access_token_register_by_default(
    response_type: str,
) -> None:
    body = {"redirect_uris": [WEB], "response_types": [response_type]}
    checked = await check(body, RegistrationPolicy())
    assert checked.metadata["response_types"] == [response_type]


async def test_a_public_client_cannot_use_client_credentials() -> None:
    body = {"grant_types": ["client_credentials"], "token_endpoint_auth_method": "none"}
    assert "client secret" in await refused(body)


async def test_auth_method_none_makes_a_public_client() -> None:
    checked = await check({"redirect_uris": [WEB], "token_endpoint_auth_method": "none"})
    assert checked.public
    assert checked.token_endpoint_auth_method == "none"


async def test_redirect_uris_are_required_for_redirecting_grants() -> None:
    await refused({}, InvalidRedirectUriMetadataError)
    await refused({"redirect_uris": []}, InvalidRedirectUriMetadataError)
    await refused({"response_types": ["id_token"]}, InvalidRedirectUriMetadataError)


@pytest.mark.parametrize(
    "uri",
    [
        "http://app.example/callback",  # web clients use https
        "http://127.0.0.1:8080/callback",  # ... even on loopback: that is a native app
        "com.example.app:/callback",  # private-use schemes are for native apps
        "https://app.example/callback#fragment",  # RFC 6749 §3.1.2 (oidcc-redirect-uri-regfrag)
        "https://app.example/*",
        "https://app.example/call back",
        "/callback",
        "javascript:alert(1)",
        "https://app.example:99999/callback",
    ],
)
async def test_web_redirect_uris_must_be_https_urls(uri: str) -> None:
    await refused({"redirect_uris": [uri]}, InvalidRedirectUriMetadataError)


async def test_web_clients_using_implicit_stay_off_localhost() -> None:
    # Registration §2: implicit web clients must not use localhost; code flow clients may.
    for uri in ("https://localhost/cb", "https://127.0.0.1/cb", "https://[::1]/cb"):
        body = {"redirect_uris": [uri], "response_types": ["id_token"]}
        await refused(body, InvalidRedirectUriMetadataError)
    await check({"redirect_uris": ["https://localhost:8443/cb"]})


@pytest.mark.parametrize(
    "uri",
    ["com.example.app:/callback", "http://127.0.0.1:51004/callback", "http://[::1]/cb", WEB],
)
async def test_native_apps_use_loopback_private_schemes_or_https(uri: str) -> None:
    checked = await check({"redirect_uris": [uri], "application_type": "native"})
    assert checked.metadata["application_type"] == "native"


@pytest.mark.parametrize(
    "uri", ["http://localhost/cb", "http://app.example/cb", "myapp:/cb", "file:///etc/passwd"]
)
async def test_native_apps_cannot_use_other_uris(uri: str) -> None:
    body = {"redirect_uris": [uri], "application_type": "native"}
    await refused(body, InvalidRedirectUriMetadataError)


@pytest.mark.parametrize(
    "field",
    [
        "logo_uri",
        "client_uri",
        "policy_uri",
        "tos_uri",
        "jwks_uri",
        "initiate_login_uri",
        "backchannel_logout_uri",
        "sector_identifier_uri",
    ],
)
@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "http://app.example/x",
        "https:///x",
        "https://app.example/x#frag",
        "https://app.example/x y",
        "app.example/x",
    ],
)
async def test_url_fields_must_be_https_urls(field: str, url: str) -> None:
    description = await refused({"redirect_uris": [WEB], field: url})
    assert description.startswith(field), description


async def test_loopback_http_urls_only_in_development() -> None:
    body = {"redirect_uris": [WEB], "backchannel_logout_uri": "http://127.0.0.1:9000/logout"}
    await refused(body)
    checked = await check(body, RegistrationPolicy(loopback_urls=True))
    assert checked.metadata["backchannel_logout_uri"] == "http://127.0.0.1:9000/logout"
    assert checked.metadata["backchannel_logout_session_required"] is False  # its default
    body["backchannel_logout_uri"] = "http://10.0.0.8/logout"  # loopback only
    await refused(body, policy=RegistrationPolicy(loopback_urls=True))


async def test_request_uris_may_carry_a_fragment() -> None:
    # Registration §2: the fragment may hold the hash of the request object file.
    uri = "https://app.example/request.jwt#GkurKxf5T0Y-mnPFCHqWOMiZi4VS138cQO_V7PZHAdM"
    checked = await check({"redirect_uris": [WEB], "request_uris": [uri]})
    assert checked.metadata["request_uris"] == [uri]
    await refused({"redirect_uris": [WEB], "request_uris": ["http://app.example/r.jwt"]})


async def test_post_logout_redirect_uris_follow_the_redirect_uri_rules() -> None:
    good = ["https://app.example/bye", "http://127.0.0.1:8080/bye"]
    checked = await check({"redirect_uris": [WEB], "post_logout_redirect_uris": good})
    assert checked.metadata["post_logout_redirect_uris"] == good
    for bad in ("https://app.example/bye#x", "http://app.example/bye", "https://app.example/a b"):
        description = await refused({"redirect_uris": [WEB], "post_logout_redirect_uris": [bad]})
        assert description.startswith("post_logout_redirect_uris")


async def test_oidc_options_are_kept() -> None:
    body = {
        "redirect_uris": [WEB],
        "default_max_age": 3600,
        "require_auth_time": True,
        "default_acr_values": ["urn:mace:incommon:iap:silver"],
        "initiate_login_uri": "https://app.example/login",
        "request_object_signing_alg": "none",
        "userinfo_signed_response_alg": "PS256",
        "id_token_signed_response_alg": "RS256",
    }
    metadata = (await check(body)).metadata
    del body["redirect_uris"]
    assert {name: metadata[name] for name in body} == body


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("id_token_signed_response_alg", "none"),
        ("id_token_signed_response_alg", "HS256"),
        ("userinfo_signed_response_alg", "none"),
        ("userinfo_signed_response_alg", "RS512"),
        ("request_object_signing_alg", "HS256"),
        ("id_token_encrypted_response_alg", "A128KW"),  # derived from a secret we do not keep
        ("id_token_encrypted_response_alg", "dir"),
        ("id_token_encrypted_response_alg", "RSA1_5"),
        ("userinfo_encrypted_response_alg", "A256KW"),
    ],
)
async def test_unsupported_algorithms_are_refused(field: str, value: str) -> None:
    body = {"redirect_uris": [WEB], "jwks": {"keys": [rsa_jwk()]}, field: value}
    assert (await refused(body)).startswith(field)


async def test_encrypted_responses_need_the_clients_keys() -> None:
    body: dict[str, Any] = {"redirect_uris": [WEB], "id_token_encrypted_response_alg": "RSA-OAEP"}
    assert "jwks or jwks_uri" in await refused(body)
    checked = await check({**body, "jwks": {"keys": [rsa_jwk(use="enc")]}})
    assert checked.metadata["id_token_encrypted_response_enc"] == "A128CBC-HS256"  # its default
    checked = await check({**body, "jwks_uri": "https://app.example/jwks.json"})
    assert checked.metadata["jwks_uri"] == "https://app.example/jwks.json"


async def test_an_encryption_alg_needs_a_key_usable_for_it() -> None:
    body = {
        "redirect_uris": [WEB],
        "userinfo_encrypted_response_alg": "RSA-OAEP-256",
        "userinfo_encrypted_response_enc": "A256GCM",
    }
    description = await refused({**body, "jwks": {"keys": [ec_jwk()]}})
    assert description.startswith("userinfo_encrypted_response_alg")
    await refused({**body, "jwks": {"keys": [rsa_jwk(use="sig")]}})
    checked = await check({**body, "jwks": {"keys": [ec_jwk(), rsa_jwk()]}})
    assert checked.metadata["userinfo_encrypted_response_enc"] == "A256GCM"
    ecdh = {**body, "userinfo_encrypted_response_alg": "ECDH-ES"}
    await check({**ecdh, "jwks": {"keys": [ec_jwk()]}})


async def test_an_enc_without_an_alg_is_refused() -> None:
    body = {"redirect_uris": [WEB], "id_token_encrypted_response_enc": "A128GCM"}
    assert (await refused(body)).startswith("id_token_encrypted_response_enc")
    body = {"redirect_uris": [WEB], "id_token_encrypted_response_alg": "RSA-OAEP"}
    await refused({**body, "id_token_encrypted_response_enc": "A128CTR", "jwks_uri": SECTOR})


async def test_jwks_and_jwks_uri_are_mutually_exclusive() -> None:
    body = {"redirect_uris": [WEB], "jwks": {"keys": [rsa_jwk()]}, "jwks_uri": SECTOR}
    assert "jwks_uri" in await refused(body)


@pytest.mark.parametrize(
    "key",
    [
        RSAKey.generate_key(2048, private=True).as_dict(private=True),
        ECKey.generate_key("P-256", private=True).as_dict(private=True),
        {"kty": "oct", "k": "c2VjcmV0"},
        {"kty": "RSA", "n": "abc"},
        {"kty": "EC", "crv": "P-256", "x": "!", "y": "!"},
        {"kty": "nope"},
        {"n": "abc", "e": "AQAB"},
        "not a key",
    ],
)
async def test_jwks_must_hold_valid_public_keys(key: Any) -> None:
    body = {"redirect_uris": [WEB], "jwks": {"keys": [rsa_jwk(), key]}}
    assert "key 1" in await refused(body)


async def test_scope_holds_api_and_openid_scopes() -> None:
    checked = await check({"redirect_uris": [WEB], "scope": "openid  email activities:read openid"})
    assert checked.scopes == {"activities:read"}  # OpenID Connect scopes are open to all
    assert checked.metadata["scope"] == "activities:read email openid"
    assert "admin" in await refused({"redirect_uris": [WEB], "scope": "openid admin"})
    assert (await refused({"redirect_uris": [WEB], "scope": " "})).startswith("scope")


async def test_pairwise_over_several_hosts_needs_a_sector_identifier() -> None:
    # OIDC Core §8.1: without one, the sector of the redirect URIs would be ambiguous.
    body = {"redirect_uris": [WEB, OTHER_HOST], "subject_type": "pairwise"}
    assert "sector_identifier_uri" in await refused(body)
    same_host = {"redirect_uris": [WEB, WEB + "2"], "subject_type": "pairwise"}
    assert (await check(same_host)).metadata["subject_type"] == "pairwise"
    public = {"redirect_uris": [WEB, OTHER_HOST]}
    assert (await check(public)).metadata["subject_type"] == "public"


async def test_the_sector_document_is_fetched_and_must_list_every_redirect_uri() -> None:
    documents = Documents(
        {SECTOR: b'["https://app.example/callback", "https://other.example/callback"]'}
    )
    body = {
        "redirect_uris": [WEB, OTHER_HOST],
        "subject_type": "pairwise",
        "sector_identifier_uri": SECTOR,
    }
    checked = await check(body, fetcher=documents)
    assert checked.metadata["sector_identifier_uri"] == SECTOR
    assert documents.fetched == [(SECTOR, "application/json")]
    body["redirect_uris"] = [WEB, "https://third.example/callback"]
    description = await refused(body, fetcher=documents)
    assert description == (
        "sector_identifier_uri does not list the redirect URI https://third.example/callback"
    )


@pytest.mark.parametrize(
    "document", [b"not json", b'{"redirect_uris": []}', b'["https://app.example/callback", 7]']
)
async def test_the_sector_document_must_be_a_json_array_of_urls(document: bytes) -> None:
    body = {"redirect_uris": [WEB], "sector_identifier_uri": SECTOR}
    description = await refused(body, fetcher=Documents({SECTOR: document}))
    assert description == "sector_identifier_uri must hold a JSON array of URLs"


async def test_a_sector_document_that_cannot_be_fetched_is_refused() -> None:
    body = {"redirect_uris": [WEB], "sector_identifier_uri": SECTOR}
    description = await refused(body, fetcher=Documents())
    assert description == "sector_identifier_uri could not be fetched"
    with pytest.raises(InvalidClientMetadataError):
        await check_metadata(body, POLICY, None)


async def test_a_device_client_registers_the_device_grant_with_no_redirect_uri() -> None:
    device = "urn:ietf:params:oauth:grant-type:device_code"  # RFC 8628 §3.4
    checked = await check({"grant_types": [device], "token_endpoint_auth_method": "none"})
    assert checked.grant_types == {device}
    assert checked.redirect_uris == ()
    assert checked.metadata["response_types"] == []  # nothing goes through /o/authorize/
    switched_off = RegistrationPolicy(grant_types=frozenset({"authorization_code", "implicit"}))
    description = await refused({"grant_types": [device]}, policy=switched_off)
    assert description == f"grant_types {device}: not enabled on this server"
