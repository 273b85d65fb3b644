"""Request objects by value and by reference (OIDC Core §6, RFC 9101), with in-memory fakes."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import ECKey, Key, RSAKey

from stint.protocol.clients import Client, ClientType
from stint.protocol.errors import (
    InvalidRequestError,
    InvalidRequestObjectError,
    InvalidRequestUriError,
    OAuthError,
    RequestUriNotSupportedError,
)
from stint.protocol.oidc.ports import FetchFailedError
from stint.protocol.oidc.request_object import (
    REQUEST_OBJECT_ACCEPT,
    REQUEST_OBJECT_ALGS,
    RequestObjects,
)

pytestmark = pytest.mark.anyio

ISSUER = "https://stint.example"
CLIENT_ID = "rp-client"
REQUEST_URI = "https://rp.example/requests/1"
NOW = 1_700_000_000.0
RSA_KEY = RSAKey.generate_key(2048, parameters={"kid": "rsa-1"})
EC_KEY = ECKey.generate_key("P-256", parameters={"kid": "ec-1"})
OTHER_RSA_KEY = RSAKey.generate_key(2048, parameters={"kid": "rsa-1"})
KEY_FOR: dict[str, Key] = {"RS256": RSA_KEY, "PS256": RSA_KEY, "ES256": EC_KEY}


class FakeFetcher:
    def __init__(self, documents: dict[str, bytes] | None = None) -> None:
        self.documents = documents or {}
        self.calls: list[tuple[str, str]] = []

    async def fetch(self, url: str, *, accept: str) -> bytes:
        self.calls.append((url, accept))
        if url not in self.documents:
            raise FetchFailedError("could not be fetched")
        return self.documents[url]


class FakeClientKeys:
    def __init__(self, jwks: dict[str, Any] | None, *, fails: bool = False) -> None:
        self._jwks = jwks
        self._fails = fails

    async def jwks(self, client: Client) -> dict[str, Any] | None:
        if self._fails:
            raise FetchFailedError("connection refused")
        return self._jwks


def _jwks(*keys: Key) -> dict[str, Any]:
    return {"keys": [key.as_dict(private=False) for key in keys]}


def _client(**metadata: Any) -> Client:
    return Client(
        client_id=CLIENT_ID,
        name="Relying party",
        client_type=ClientType.CONFIDENTIAL,
        redirect_uris=("https://rp.example/cb", "https://rp.example/other"),
        grant_types=frozenset({"authorization_code"}),
        scopes=frozenset({"activities:read"}),
        token_endpoint_auth_method="client_secret_basic",
        metadata=metadata,
    )


def _objects(
    fetcher: FakeFetcher | None = None, jwks: dict[str, Any] | None = None, **options: Any
) -> RequestObjects:
    keys = FakeClientKeys(_jwks(RSA_KEY, EC_KEY) if jwks is None else jwks)
    return RequestObjects(ISSUER, fetcher or FakeFetcher(), keys, clock=lambda: NOW, **options)


def _claims(**extra: Any) -> dict[str, Any]:
    return {
        "iss": CLIENT_ID,
        "aud": ISSUER,
        "client_id": CLIENT_ID,
        "response_type": "code",
        "redirect_uri": "https://rp.example/other",
        "scope": "openid",
        "state": "from-object",
        "nonce": "n-0S6",
        "exp": NOW + 300,
        **extra,
    }


def signed(claims: dict[str, Any], alg: str = "RS256", key: Key | None = None) -> str:
    chosen = key or KEY_FOR[alg]
    return jwt.encode({"alg": alg, "kid": chosen.kid}, claims, chosen, algorithms=[alg])


def _b64(value: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()


def unsigned(claims: dict[str, Any], signature: str = "") -> str:
    return f"{_b64({'alg': 'none'})}.{_b64(claims)}.{signature}"


def _query(**extra: str) -> dict[str, str]:
    return {"client_id": CLIENT_ID, "response_type": "code", "scope": "openid", **extra}


async def _refused(
    objects: RequestObjects, params: dict[str, str], client: Client | None = None
) -> OAuthError:
    with pytest.raises(OAuthError) as caught:
        await objects.apply(params, client or _client())
    return caught.value


async def test_without_request_or_request_uri_the_parameters_are_unchanged() -> None:
    params = _query(state="s")
    assert await _objects().apply(params, _client()) == params


@pytest.mark.parametrize("alg", ["RS256", "PS256", "ES256"])
async def test_signed_object_is_verified_with_the_clients_key(alg: str) -> None:
    client = _client(request_object_signing_alg=alg)
    merged = await _objects().apply(_query(request=signed(_claims(), alg)), client)
    assert merged["redirect_uri"] == "https://rp.example/other"
    assert merged["state"] == "from-object"


async def test_signed_object_is_accepted_when_no_alg_is_registered() -> None:
    merged = await _objects().apply(_query(request=signed(_claims(), "ES256")), _client())
    assert merged["nonce"] == "n-0S6"


@pytest.mark.parametrize("registered", [None, "none"])
async def test_unsigned_object_is_accepted_unless_the_client_registered_a_signing_alg(
    registered: str | None,
) -> None:
    client = _client(request_object_signing_alg=registered) if registered else _client()
    merged = await _objects().apply(_query(request=unsigned(_claims())), client)
    assert merged["state"] == "from-object"


async def test_unsigned_object_is_refused_when_the_client_registered_a_signing_alg() -> None:
    client = _client(request_object_signing_alg="RS256")
    error = await _refused(_objects(), _query(request=unsigned(_claims())), client)
    assert isinstance(error, InvalidRequestObjectError)
    assert error.error == "invalid_request_object"


async def test_unsigned_object_with_a_signature_is_refused() -> None:
    error = await _refused(_objects(), _query(request=unsigned(_claims(), signature="c2ln")))
    assert isinstance(error, InvalidRequestObjectError)


async def test_an_alg_other_than_the_registered_one_is_refused() -> None:
    client = _client(request_object_signing_alg="ES256")
    error = await _refused(_objects(), _query(request=signed(_claims(), "RS256")), client)
    assert isinstance(error, InvalidRequestObjectError)
    assert "ES256" in error.description


async def test_an_unsupported_alg_is_refused() -> None:
    token = f"{_b64({'alg': 'HS256'})}.{_b64(_claims())}.c2lnbmF0dXJl"
    error = await _refused(_objects(), _query(request=token))
    assert isinstance(error, InvalidRequestObjectError)


async def test_a_signature_by_another_key_is_refused() -> None:
    token = signed(_claims(), "RS256", OTHER_RSA_KEY)  # same kid, different key
    error = await _refused(_objects(), _query(request=token))
    assert isinstance(error, InvalidRequestObjectError)
    assert "signature" in error.description


async def test_a_tampered_payload_is_refused() -> None:
    header, _, signature = signed(_claims(), "ES256").split(".")
    forged = f"{header}.{_b64(_claims(redirect_uri='https://evil.example/'))}.{signature}"
    error = await _refused(_objects(), _query(request=forged))
    assert isinstance(error, InvalidRequestObjectError)


async def test_an_unknown_kid_is_refused() -> None:
    token = signed(_claims(), "ES256", ECKey.generate_key("P-256", parameters={"kid": "new"}))
    error = await _refused(_objects(), _query(request=token))
    assert isinstance(error, InvalidRequestObjectError)


async def test_a_key_registered_for_encryption_does_not_verify() -> None:
    jwks = {"keys": [{**EC_KEY.as_dict(private=False), "use": "enc"}]}
    error = await _refused(_objects(jwks=jwks), _query(request=signed(_claims(), "ES256")))
    assert isinstance(error, InvalidRequestObjectError)


async def test_a_key_without_kid_verifies_a_token_without_kid() -> None:
    jwks = {"keys": [{k: v for k, v in EC_KEY.as_dict(private=False).items() if k != "kid"}]}
    token = jwt.encode({"alg": "ES256"}, _claims(), EC_KEY, algorithms=["ES256"])
    merged = await _objects(jwks=jwks).apply(_query(request=token), _client())
    assert merged["state"] == "from-object"


async def test_signed_object_from_a_client_without_keys_is_refused() -> None:
    error = await _refused(_objects(jwks={}), _query(request=signed(_claims())))
    assert isinstance(error, InvalidRequestObjectError)


async def test_an_unreachable_jwks_uri_is_an_invalid_request_object() -> None:
    objects = RequestObjects(ISSUER, FakeFetcher(), FakeClientKeys(None, fails=True))
    error = await _refused(objects, _query(request=signed(_claims())))
    assert isinstance(error, InvalidRequestObjectError)
    assert "connection refused" in error.description


@pytest.mark.parametrize(
    "claims",
    [
        _claims(aud="https://someone-else.example"),
        _claims(aud=["https://someone-else.example"]),
        _claims(iss="another-client"),
        _claims(client_id="another-client"),
    ],
    ids=["aud", "aud-list", "iss", "client_id"],
)
async def test_wrong_aud_iss_or_client_id_is_refused(claims: dict[str, Any]) -> None:
    error = await _refused(_objects(), _query(request=signed(claims)))
    assert isinstance(error, InvalidRequestObjectError)


async def test_aud_may_be_a_list_that_contains_the_issuer() -> None:
    token = signed(_claims(aud=["https://other.example", ISSUER]))
    assert (await _objects().apply(_query(request=token), _client()))["state"] == "from-object"


async def test_client_id_must_match_even_when_unsigned() -> None:
    error = await _refused(_objects(), _query(request=unsigned(_claims(client_id="other"))))
    assert isinstance(error, InvalidRequestObjectError)


async def test_iss_aud_and_client_id_may_be_left_out() -> None:
    claims = {k: v for k, v in _claims().items() if k not in ("iss", "aud", "client_id")}
    merged = await _objects().apply(_query(request=signed(claims)), _client())
    assert merged["client_id"] == CLIENT_ID


async def test_an_expired_object_is_refused() -> None:
    error = await _refused(_objects(), _query(request=signed(_claims(exp=NOW - 3600))))
    assert isinstance(error, InvalidRequestObjectError)
    assert "expired" in error.description


async def test_a_few_seconds_of_clock_skew_are_tolerated() -> None:
    token = signed(_claims(exp=NOW - 5, nbf=NOW + 5))
    assert (await _objects().apply(_query(request=token), _client()))["state"] == "from-object"


@pytest.mark.parametrize("claims", [_claims(nbf=NOW + 3600), _claims(exp="tomorrow")])
async def test_a_not_yet_valid_or_malformed_lifetime_is_refused(claims: dict[str, Any]) -> None:
    error = await _refused(_objects(), _query(request=signed(claims)))
    assert isinstance(error, InvalidRequestObjectError)


@pytest.mark.parametrize("inner", ["request", "request_uri"])
async def test_request_or_request_uri_inside_the_object_is_refused(inner: str) -> None:
    error = await _refused(_objects(), _query(request=signed(_claims(**{inner: "x"}))))
    assert isinstance(error, InvalidRequestObjectError)


async def test_request_and_request_uri_together_are_refused() -> None:
    error = await _refused(_objects(), _query(request=signed(_claims()), request_uri=REQUEST_URI))
    assert type(error) is InvalidRequestError


async def test_an_oversized_request_is_refused() -> None:
    token = signed(_claims(padding="x" * 2000))
    error = await _refused(_objects(max_bytes=1024), _query(request=token))
    assert isinstance(error, InvalidRequestObjectError)
    assert "too large" in error.description


@pytest.mark.parametrize(
    "value",
    ["not-a-jwt", "a.b", "a.b.c.d", "!!.??.", f"{_b64({'alg': 'none'})}.bm90LWpzb24.", "W10.e30."],
)
async def test_something_that_is_not_a_jwt_is_refused(value: str) -> None:
    error = await _refused(_objects(), _query(request=value))
    assert isinstance(error, InvalidRequestObjectError)


async def test_an_encrypted_object_is_refused_as_unsupported() -> None:
    error = await _refused(_objects(), _query(request="eyJhbGciOiJSU0EtT0FFUCJ9.a.b.c.d"))
    assert isinstance(error, InvalidRequestObjectError)
    assert error.description == "encrypted request objects are not supported"


async def test_the_objects_values_supersede_the_query_and_query_only_ones_are_kept() -> None:
    params = _query(state="from-query", login_hint="alice", request=signed(_claims()))
    merged = await _objects().apply(params, _client())
    assert merged == {
        "client_id": CLIENT_ID,
        "response_type": "code",
        "scope": "openid",
        "state": "from-object",  # OIDC Core §6.3.3: the object wins
        "login_hint": "alice",  # only in the query: kept
        "redirect_uri": "https://rp.example/other",
        "nonce": "n-0S6",
    }  # the JWT's own claims (iss, aud, exp) and the request parameter itself are gone


async def test_non_string_values_become_what_a_query_would_carry() -> None:
    claims_request = {"id_token": {"acr": {"essential": True}}, "userinfo": {"email": None}}
    token = signed(_claims(max_age=300, claims=claims_request, custom=1.5, flag=False))
    merged = await _objects().apply(_query(request=token), _client())
    assert merged["max_age"] == "300"
    assert merged["claims"] == '{"id_token":{"acr":{"essential":true}},"userinfo":{"email":null}}'
    assert json.loads(merged["claims"]) == claims_request
    assert (merged["custom"], merged["flag"]) == ("1.5", "false")


async def test_null_and_empty_values_in_the_object_are_left_out() -> None:
    token = signed(_claims(login_hint=None, prompt=""))
    merged = await _objects().apply(_query(request=token, prompt="login"), _client())
    assert "login_hint" not in merged
    assert merged["prompt"] == "login"


async def test_a_different_response_type_in_the_object_is_refused() -> None:
    error = await _refused(_objects(), _query(request=signed(_claims(response_type="token"))))
    assert isinstance(error, InvalidRequestObjectError)


async def test_response_type_values_may_come_in_any_order() -> None:
    token = signed(_claims(response_type="id_token code"))
    merged = await _objects().apply(_query(request=token, response_type="code id_token"), _client())
    assert merged["response_type"] == "id_token code"


def _registering(*request_uris: str) -> Client:
    return _client(request_uris=list(request_uris or [REQUEST_URI]))


async def test_request_uri_is_fetched_with_the_request_object_media_types() -> None:
    fetcher = FakeFetcher({REQUEST_URI: signed(_claims()).encode() + b"\n"})
    merged = await _objects(fetcher).apply(_query(request_uri=REQUEST_URI), _registering())
    assert merged["state"] == "from-object"
    assert "request_uri" not in merged
    assert fetcher.calls == [(REQUEST_URI, REQUEST_OBJECT_ACCEPT)]


async def test_request_uri_may_point_at_an_unsigned_object() -> None:
    fetcher = FakeFetcher({REQUEST_URI: unsigned(_claims()).encode()})
    merged = await _objects(fetcher).apply(_query(request_uri=REQUEST_URI), _registering())
    assert merged["redirect_uri"] == "https://rp.example/other"


async def test_request_uri_is_refused_when_by_reference_is_disabled() -> None:
    fetcher = FakeFetcher({REQUEST_URI: unsigned(_claims()).encode()})
    objects = _objects(fetcher, by_reference_enabled=False)
    error = await _refused(objects, _query(request_uri=REQUEST_URI), _registering())
    assert isinstance(error, RequestUriNotSupportedError)
    assert fetcher.calls == []


async def test_an_unregistered_request_uri_is_refused_when_the_client_registered_some() -> None:
    fetcher = FakeFetcher({REQUEST_URI: unsigned(_claims()).encode()})
    client = _client(request_uris=["https://rp.example/requests/2"])
    error = await _refused(_objects(fetcher), _query(request_uri=REQUEST_URI), client)
    assert isinstance(error, InvalidRequestUriError)
    assert fetcher.calls == []


async def test_a_request_uri_is_never_fetched_for_a_client_that_registered_none() -> None:
    # RFC 9101 §10.4.1: otherwise any client makes Stint fetch any URL it names (SSRF).
    fetcher = FakeFetcher({REQUEST_URI: unsigned(_claims()).encode()})
    error = await _refused(_objects(fetcher), _query(request_uri=REQUEST_URI), _client())
    assert isinstance(error, InvalidRequestUriError)
    assert error.description == "request_uri is not registered for this client"
    assert fetcher.calls == []


async def test_a_registered_request_uri_matches_without_its_fragment() -> None:
    fetcher = FakeFetcher({REQUEST_URI: unsigned(_claims()).encode()})
    client = _client(request_uris=[f"{REQUEST_URI}#old-hash"])
    merged = await _objects(fetcher).apply(_query(request_uri=f"{REQUEST_URI}#new-hash"), client)
    assert merged["state"] == "from-object"
    assert fetcher.calls == [(REQUEST_URI, REQUEST_OBJECT_ACCEPT)]  # fragments are not sent


@pytest.mark.parametrize(
    "uri",
    [
        "http://rp.example/requests/1",
        "ftp://rp.example/requests/1",
        "urn:example:request",
        "https:///no-host",
        "https://user:pass@rp.example/requests/1",
        "https://rp.example/" + "x" * 3000,
    ],
)
async def test_a_request_uri_that_is_not_a_plain_https_url_is_refused(uri: str) -> None:
    fetcher = FakeFetcher()
    error = await _refused(_objects(fetcher), _query(request_uri=uri), _registering(uri))
    assert isinstance(error, InvalidRequestUriError)
    assert fetcher.calls == []


async def test_http_request_uri_can_be_allowed_for_development() -> None:
    uri = "http://127.0.0.1:8123/request.jwt"
    fetcher = FakeFetcher({uri: unsigned(_claims()).encode()})
    objects = _objects(fetcher, allow_http=True)
    merged = await objects.apply(_query(request_uri=uri), _registering(uri))
    assert merged["state"] == "from-object"


async def test_a_request_uri_that_cannot_be_fetched_is_an_invalid_request_uri() -> None:
    error = await _refused(_objects(FakeFetcher()), _query(request_uri=REQUEST_URI), _registering())
    assert isinstance(error, InvalidRequestUriError)
    assert error.error == "invalid_request_uri"
    assert error.description == "the request_uri could not be fetched"


@pytest.mark.parametrize("body", [b"x" * 2048, "\u00e9".encode() * 10, b"<html></html>"])
async def test_a_request_uri_document_that_is_not_a_small_jwt_is_refused(body: bytes) -> None:
    objects = _objects(FakeFetcher({REQUEST_URI: body}), max_bytes=1024)
    error = await _refused(objects, _query(request_uri=REQUEST_URI), _registering())
    assert isinstance(error, InvalidRequestObjectError)


def test_discovery_algs_are_the_signed_ones_and_none() -> None:
    assert REQUEST_OBJECT_ALGS == ("RS256", "PS256", "ES256", "none")
