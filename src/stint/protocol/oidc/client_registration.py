"""A registration request checked across its fields (RFC 7591 §2, OIDC Registration §2, §5):
grant and response types, redirect URIs by application type, keys for encrypted responses, and
pairwise subjects. Each field's own type is checked first, by ``client_metadata``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import orjson

from stint.protocol.authorize.response_types import RESPONSE_TYPES, returns_access_token
from stint.protocol.ciba.registration import check_backchannel
from stint.protocol.clients import GRANT_TYPES, Client
from stint.protocol.errors import InvalidClientMetadataError, InvalidRedirectUriMetadataError
from stint.protocol.oidc.client_metadata import REGISTRABLE_SCOPES, parse_fields
from stint.protocol.oidc.id_token import DEFAULT_ID_TOKEN_ALG
from stint.protocol.oidc.jwe import DEFAULT_CONTENT_ENCRYPTION, EncryptionError, encrypt_for_client
from stint.protocol.oidc.ports import DocumentFetcher, FetchFailedError
from stint.protocol.redirect_uris import RedirectUriRules, redirect_uris_problem
from stint.protocol.scopes import API_SCOPES

__all__ = ["CheckedMetadata", "RegistrationPolicy", "check_metadata", "registered_metadata"]

_REDIRECTING_GRANTS = ("authorization_code", "implicit")
# Stored as the Client's own fields; everything else goes to Client.metadata.
_CLIENT_FIELDS = ("redirect_uris", "grant_types", "token_endpoint_auth_method")
_UNNAMED = "Unnamed client"
_NO_SECRET = "none"  # noqa: S105 (the auth method of public clients, RFC 7591 §2)


@dataclass(frozen=True, slots=True)
class RegistrationPolicy:
    implicit_enabled: bool = False  # response types that return an access token (RFC 9700 §2.1.2)
    # Development only: URLs we fetch or call (sector_identifier_uri, jwks_uri, request_uris,
    # backchannel_logout_uri, ...) may use http on this host.
    loopback_urls: bool = False
    grant_types: frozenset[str] = GRANT_TYPES  # those switched on (clients.grant_types_on)
    ciba_user_codes: bool = False  # CIBA clients may register backchannel_user_code_parameter


@dataclass(frozen=True, slots=True)
class CheckedMetadata:
    """What a valid request registers: the Client's own fields and the rest of its metadata."""

    name: str
    public: bool
    redirect_uris: tuple[str, ...]
    grant_types: frozenset[str]
    scopes: frozenset[str]  # API scopes only: OpenID Connect scopes are open to every client
    token_endpoint_auth_method: str
    metadata: dict[str, Any]


def _bad(name: str, problem: str) -> InvalidClientMetadataError:
    return InvalidClientMetadataError(f"{name} {problem}")


async def check_metadata(
    body: Mapping[str, Any], policy: RegistrationPolicy, fetcher: DocumentFetcher | None
) -> CheckedMetadata:
    """The request's metadata with defaults applied, or the RFC 7591 §3.2.2 error."""
    fields = parse_fields(body, loopback=policy.loopback_urls)
    fields.setdefault("application_type", "web")  # Registration §2
    fields.setdefault("token_endpoint_auth_method", "client_secret_basic")  # RFC 7591 §2
    fields.setdefault("subject_type", "public")
    # Registration §2 defaults to RS256; ours is ES256, said explicitly in the response.
    fields.setdefault("id_token_signed_response_alg", DEFAULT_ID_TOKEN_ALG)
    fields.setdefault("scope", " ".join(sorted(REGISTRABLE_SCOPES)))
    _grant_and_response_types(fields, policy)
    _redirect_uris(fields)
    _client_type(fields)
    _keys(fields)
    check_backchannel(fields, fields["grant_types"], user_codes=policy.ciba_user_codes)
    if "backchannel_logout_uri" in fields:
        fields.setdefault("backchannel_logout_session_required", False)  # Back-Channel §2.2
    await _sector(fields, fetcher)
    public = fields["token_endpoint_auth_method"] == _NO_SECRET
    return CheckedMetadata(
        name=fields.get("client_name", _UNNAMED),
        public=public,
        redirect_uris=tuple(fields["redirect_uris"]),
        grant_types=frozenset(fields["grant_types"]),
        scopes=frozenset(fields["scope"].split()) & API_SCOPES,
        token_endpoint_auth_method=fields["token_endpoint_auth_method"],
        metadata={k: v for k, v in fields.items() if k not in _CLIENT_FIELDS},
    )


def registered_metadata(client: Client) -> dict[str, Any]:
    """The client's metadata as registered, defaults included (RFC 7591 §3.2.1)."""
    return {
        "redirect_uris": list(client.redirect_uris),
        "grant_types": sorted(client.grant_types),
        "token_endpoint_auth_method": client.token_endpoint_auth_method,
        **client.metadata,
    }


def _grant_and_response_types(fields: dict[str, Any], policy: RegistrationPolicy) -> None:
    """RFC 7591 §2.1: every response type needs its grants, and the redirecting grants need a
    response type that uses them. Either list, if omitted, follows from the other."""
    response_types: list[str] | None = fields.get("response_types")
    grants: list[str] | None = fields.get("grant_types")
    if grants is None:
        implied = {g for r in response_types or () for g in RESPONSE_TYPES[r]}
        grants = sorted(implied) or ["authorization_code"]
    if response_types is None:
        response_types = ["code"] if "authorization_code" in grants else []
    if not grants:
        raise _bad("grant_types", "must name at least one grant type")
    off = set(grants) - policy.grant_types
    if off:
        raise _bad("grant_types", f"{' and '.join(sorted(off))}: not enabled on this server")
    for response_type in response_types:
        missing = RESPONSE_TYPES[response_type] - set(grants)
        if missing:
            needed = " and ".join(sorted(missing))
            raise _bad("response_types", f"{response_type!r} needs the grant type {needed}")
    used = {g for r in response_types for g in RESPONSE_TYPES[r]}
    for grant in _REDIRECTING_GRANTS:
        if grant in grants and grant not in used:
            raise _bad("grant_types", f"{grant} needs a response type that uses it")
    for response_type in response_types:
        if returns_access_token(response_type) and not policy.implicit_enabled:
            raise _bad("response_types", f"{response_type!r} is not enabled on this server")
    fields["grant_types"], fields["response_types"] = grants, response_types


def _redirect_uris(fields: dict[str, Any]) -> None:
    grants: list[str] = fields["grant_types"]
    problem = redirect_uris_problem(
        fields.setdefault("redirect_uris", []),
        RedirectUriRules.for_application(fields["application_type"], grants),
        required=any(g in grants for g in _REDIRECTING_GRANTS),
    )
    if problem is not None:
        raise InvalidRedirectUriMetadataError(f"redirect_uris: {problem}")


def _client_type(fields: dict[str, Any]) -> None:
    public = fields["token_endpoint_auth_method"] == _NO_SECRET
    if public and "client_credentials" in fields["grant_types"]:
        raise _bad("grant_types", "client_credentials needs a client secret, not auth method none")


def _keys(fields: dict[str, Any]) -> None:
    """Encrypted responses go to one of the client's public keys (Registration §2)."""
    if "jwks" in fields and "jwks_uri" in fields:
        raise _bad("jwks", "and jwks_uri must not both be registered (RFC 7591 §2)")
    for what in ("id_token", "userinfo"):
        alg_field, enc_field = f"{what}_encrypted_response_alg", f"{what}_encrypted_response_enc"
        alg = fields.get(alg_field)
        if alg is None:
            if enc_field in fields:
                raise _bad(enc_field, f"needs {alg_field}")
            continue
        enc = fields.setdefault(enc_field, DEFAULT_CONTENT_ENCRYPTION)
        if "jwks" not in fields and "jwks_uri" not in fields:
            raise _bad(alg_field, "needs the client's public keys: register jwks or jwks_uri")
        if "jwks" in fields:
            try:  # a trial encryption: proves a key in the set is usable for this alg
                encrypt_for_client(
                    b"{}", alg=alg, enc=enc, client_jwks=fields["jwks"], client_secret=None
                )
            except EncryptionError as exc:
                raise _bad(alg_field, f"cannot be used with the registered jwks: {exc}") from None


async def _sector(fields: dict[str, Any], fetcher: DocumentFetcher | None) -> None:
    """OIDC Registration §5, OIDC Core §8.1: the sector document lists every redirect URI."""
    uris: list[str] = fields["redirect_uris"]
    sector_uri: str | None = fields.get("sector_identifier_uri")
    if sector_uri is None:
        hosts = {urlsplit(uri).hostname or uri for uri in uris}
        if fields["subject_type"] == "pairwise" and len(hosts) > 1:
            raise _bad(
                "subject_type",
                "pairwise with redirect URIs on several hosts needs a sector_identifier_uri",
            )
        return
    if fetcher is None:
        raise _bad("sector_identifier_uri", "is not supported by this server")
    try:
        document = await fetcher.fetch(sector_uri, accept="application/json")
    except FetchFailedError as exc:
        raise _bad("sector_identifier_uri", str(exc)) from None
    try:
        listed = orjson.loads(document)
    except orjson.JSONDecodeError:
        listed = None
    if not isinstance(listed, list) or not all(isinstance(uri, str) for uri in listed):
        raise _bad("sector_identifier_uri", "must hold a JSON array of URLs")
    for uri in uris:
        if uri not in listed:
            raise _bad("sector_identifier_uri", f"does not list the redirect URI {uri}")
