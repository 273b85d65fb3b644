"""Client metadata, field by field (RFC 7591 §2, OIDC Registration §2): each value's type and
shape. Rules across fields live in ``client_registration``.

Fields not in the table are dropped: "the authorization server MUST ignore any client metadata
sent by the client that it does not understand" (RFC 7591 §2).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any
from urllib.parse import urlsplit

from joserfc.errors import JoseError
from joserfc.jwk import JWKRegistry

from stint.protocol.authorize.response_types import RESPONSE_TYPES, normalise
from stint.protocol.ciba import DELIVERY_MODES
from stint.protocol.ciba import GRANT_TYPE as CIBA_GRANT
from stint.protocol.clients import AUTH_METHODS
from stint.protocol.device import DEVICE_CODE_GRANT
from stint.protocol.errors import InvalidClientMetadataError
from stint.protocol.keys import SIGNING_ALGORITHMS
from stint.protocol.oidc.claims import OIDC_SCOPES
from stint.protocol.oidc.client_signatures import SIGNED_ALGS
from stint.protocol.oidc.jwe import CONTENT_ENCRYPTIONS, KEY_ALGORITHMS, SYMMETRIC_KEY_ALGORITHMS
from stint.protocol.redirect_uris import RedirectUriRules, redirect_uri_problem
from stint.protocol.registration import OPERATOR_ONLY_GRANTS
from stint.protocol.scopes import API_SCOPES
from stint.protocol.text import has_control_character
from stint.protocol.texts import N_, Text

__all__ = [
    "DYNAMIC_GRANT_TYPES",
    "ENCRYPTION_ALGORITHMS",
    "FIELDS",
    "REGISTRABLE_SCOPES",
    "parse_fields",
    "url_problem",
]

# The password grant stays with clients an operator creates (OPERATOR_ONLY_GRANTS).
DYNAMIC_GRANT_TYPES = (
    "authorization_code",
    "implicit",
    "refresh_token",
    "client_credentials",
    CIBA_GRANT,
    DEVICE_CODE_GRANT,  # RFC 8628 §4: a client opts in by registering it
)
# Symmetric algs derive the key from the client secret, which we keep only as a hash.
ENCRYPTION_ALGORITHMS = tuple(a for a in KEY_ALGORITHMS if a not in SYMMETRIC_KEY_ALGORITHMS)
REGISTRABLE_SCOPES = API_SCOPES | OIDC_SCOPES
_LOCALISABLE = ("client_name", "logo_uri", "client_uri", "policy_uri", "tos_uri")  # RFC 7591 §2.2
_LANGUAGE_TAG = re.compile(r"[A-Za-z0-9]{1,8}(-[A-Za-z0-9]{1,8})*\Z")  # BCP 47, loosely
_LOOPBACK_HOSTS = ("127.0.0.1", "::1", "localhost")
_PRIVATE_JWK_MEMBERS = ("d", "p", "q", "dp", "dq", "qi", "oth", "k")  # RFC 7518 §6.2.2, §6.3.2
_MAX_URL = 2000
_MAX_ITEMS = 20

# (field name, value, may use http on loopback) -> the value, checked and normalised
Check = Callable[[str, Any, bool], Any]


def _bad(name: str, problem: str) -> InvalidClientMetadataError:
    # A Text: the developer pages show the problems of a client's CIBA settings translated.
    return InvalidClientMetadataError(
        Text(N_("%(field)s %(problem)s"), field=name, problem=problem)
    )


def _text(max_length: int, name: str, value: Any, _loopback: bool) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _bad(name, "must be a non-empty string")
    if len(value) > max_length:
        raise _bad(name, f"must be at most {max_length} characters")
    if has_control_character(value):  # NUL among them: PostgreSQL text cannot hold it
        raise _bad(name, "must not contain control characters")
    return value.strip()


def _flag(name: str, value: Any, _loopback: bool) -> bool:
    if not isinstance(value, bool):
        raise _bad(name, "must be true or false")
    return value


def _seconds(name: str, value: Any, _loopback: bool) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 2**31 - 1:
        raise _bad(name, "must be a non-negative whole number of seconds")
    return value


def _one_of(allowed: tuple[str, ...], name: str, value: Any, _loopback: bool) -> str:
    if not isinstance(value, str) or value not in allowed:
        raise _bad(name, Text(N_("must be one of %(choices)s"), choices=", ".join(allowed)))
    return value


def _signing_alg(allowed: tuple[str, ...], name: str, value: Any, loopback: bool) -> str:
    if value == "none" and "none" not in allowed:
        raise _bad(name, "none is not supported: responses are always signed")
    return _one_of(allowed, name, value, loopback)


def _encryption_alg(name: str, value: Any, loopback: bool) -> str:
    if value in SYMMETRIC_KEY_ALGORITHMS:
        raise _bad(name, f"{value} is not supported: register a public key (jwks or jwks_uri)")
    return _one_of(ENCRYPTION_ALGORITHMS, name, value, loopback)


def _strings(name: str, value: Any, max_length: int = _MAX_URL) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise _bad(name, "must be a list of non-empty strings")
    if len(value) > _MAX_ITEMS:
        raise _bad(name, f"may hold at most {_MAX_ITEMS} values")
    if any(len(v) > max_length for v in value):
        raise _bad(name, f"values must be at most {max_length} characters")
    return list(dict.fromkeys(value))


def _string_list(max_length: int, name: str, value: Any, _loopback: bool) -> list[str]:
    return _strings(name, value, max_length)


def url_problem(value: str, *, loopback: bool, fragment: bool = False) -> str | None:
    """Why ``value`` is not an https URL (or, with ``loopback``, an http one on this host)."""
    if len(value) > _MAX_URL or any(c.isspace() or ord(c) < 32 for c in value):
        return Text(N_("is not a URL"))
    try:
        parts = urlsplit(value)
        _ = parts.port  # raises for a port that is not a number from 0 to 65535
    except ValueError:
        return Text(N_("is not a URL"))
    if "#" in value and not fragment:
        return Text(N_("must not contain a fragment"))
    if parts.scheme == "https" and parts.hostname:
        return None
    if parts.scheme == "http" and loopback and parts.hostname in _LOOPBACK_HOSTS:
        return None
    return Text(N_("must be an https URL"))


def _url(name: str, value: Any, loopback: bool, *, fragment: bool = False) -> str:
    if not isinstance(value, str):
        raise _bad(name, "must be a string")
    if (problem := url_problem(value, loopback=loopback, fragment=fragment)) is not None:
        raise _bad(name, problem)
    return value


def _url_list(name: str, value: Any, loopback: bool) -> list[str]:
    # Registration §2: a request_uri may carry a fragment, the hash of the file's contents.
    return [_url(name, uri, loopback, fragment=True) for uri in _strings(name, value)]


def _redirect_strings(name: str, value: Any, _loopback: bool) -> list[str]:
    # The URIs themselves depend on application_type and grants: client_registration checks them.
    return _strings(name, value)


def _logout_redirects(name: str, value: Any, _loopback: bool) -> list[str]:
    uris = _strings(name, value)
    for uri in uris:
        if (problem := redirect_uri_problem(uri, RedirectUriRules())) is not None:
            raise _bad(name, f"{uri} {problem}")
    return uris


def _notification_endpoint(name: str, value: Any, loopback: bool) -> str:
    # CIBA §4: an https URL (http on this host in development, like the other URLs we call).
    return _url(name, value, loopback)


def _response_types(name: str, value: Any, _loopback: bool) -> list[str]:
    values = [normalise(v) for v in _strings(name, value, 40)]
    for response_type in values:
        if response_type not in RESPONSE_TYPES:
            raise _bad(name, f"{response_type!r} is not supported")
    return list(dict.fromkeys(values))


def _grant_types(name: str, value: Any, _loopback: bool) -> list[str]:
    values = _strings(name, value, 100)
    for grant in values:
        if grant in OPERATOR_ONLY_GRANTS:
            raise _bad(name, f"{grant} is not available to registered clients (RFC 9700 §2.4)")
        if grant not in DYNAMIC_GRANT_TYPES:
            raise _bad(name, f"{grant!r} is not supported")
    return values


def _scope(name: str, value: Any, _loopback: bool) -> str:
    if not isinstance(value, str):
        raise _bad(name, "must be a string of space-separated scopes")
    scopes = set(value.split(" ")) - {""}
    if not scopes:
        raise _bad(name, "must name at least one scope")
    unknown = scopes - REGISTRABLE_SCOPES
    if unknown:
        raise _bad(name, f"holds unknown scopes: {' '.join(sorted(unknown))}")
    return " ".join(sorted(scopes))


def _jwks(name: str, value: Any, _loopback: bool) -> dict[str, Any]:
    """RFC 7517 §5: a JWK Set of public keys only."""
    keys = value.get("keys") if isinstance(value, dict) else None
    if not isinstance(keys, list) or not keys:
        raise _bad(name, "must be a JWK Set: an object with a non-empty keys array")
    if len(keys) > _MAX_ITEMS:
        raise _bad(name, f"may hold at most {_MAX_ITEMS} keys")
    for index, jwk in enumerate(keys):
        if not isinstance(jwk, dict) or not isinstance(jwk.get("kty"), str):
            raise _bad(name, f"key {index} is not a JWK")
        if jwk["kty"] == "oct" or any(member in jwk for member in _PRIVATE_JWK_MEMBERS):
            raise _bad(name, f"key {index} is private or symmetric: publish public keys only")
        try:  # joserfc names key_ops its own way; they are checked where a key is used
            JWKRegistry.import_key({k: v for k, v in jwk.items() if k != "key_ops"})
        except (JoseError, ValueError, TypeError, KeyError):
            raise _bad(name, f"key {index} is not a valid {jwk['kty']} key") from None
    return {"keys": keys}


_signing = partial(_signing_alg, SIGNING_ALGORITHMS)
_encryption_enc = partial(_one_of, CONTENT_ENCRYPTIONS)

FIELDS: dict[str, Check] = {
    "redirect_uris": _redirect_strings,
    "response_types": _response_types,
    "grant_types": _grant_types,
    "application_type": partial(_one_of, ("web", "native")),
    "token_endpoint_auth_method": partial(_one_of, tuple(sorted(AUTH_METHODS))),
    "scope": _scope,
    "contacts": partial(_string_list, 320),
    "client_name": partial(_text, 100),
    "logo_uri": _url,
    "client_uri": _url,
    "policy_uri": _url,
    "tos_uri": _url,
    "software_id": partial(_text, 200),
    "software_version": partial(_text, 200),
    "jwks_uri": _url,
    "jwks": _jwks,
    "sector_identifier_uri": _url,
    "subject_type": partial(_one_of, ("public", "pairwise")),
    "id_token_signed_response_alg": _signing,
    "id_token_encrypted_response_alg": _encryption_alg,
    "id_token_encrypted_response_enc": _encryption_enc,
    "userinfo_signed_response_alg": _signing,
    "userinfo_encrypted_response_alg": _encryption_alg,
    "userinfo_encrypted_response_enc": _encryption_enc,
    "request_object_signing_alg": partial(_signing_alg, (*SIGNING_ALGORITHMS, "none")),
    "default_max_age": _seconds,
    "require_auth_time": _flag,
    "default_acr_values": partial(_string_list, 200),
    "initiate_login_uri": _url,
    "request_uris": _url_list,
    "post_logout_redirect_uris": _logout_redirects,
    "backchannel_logout_uri": _url,
    "backchannel_logout_session_required": _flag,
    # CIBA Core §4
    "backchannel_token_delivery_mode": partial(_one_of, DELIVERY_MODES),
    "backchannel_client_notification_endpoint": _notification_endpoint,
    # §7.1.1: signed, never "none"
    "backchannel_authentication_request_signing_alg": partial(_one_of, SIGNED_ALGS),
    "backchannel_user_code_parameter": _flag,  # where the deployment allows: ciba.registration
}


def _field_of(key: str) -> str | None:
    """The table entry for ``key``: itself, or for ``client_name#fr`` the base field."""
    if key in FIELDS:
        return key
    base, _, tag = key.partition("#")
    return base if base in _LOCALISABLE and _LANGUAGE_TAG.match(tag) else None


def parse_fields(body: Mapping[str, Any], *, loopback: bool) -> dict[str, Any]:
    """The fields of ``body`` we understand, each checked; null counts as absent (RFC 7592 §2.2).

    ``loopback`` lets URLs we fetch or call use http on this host: for development only.
    """
    fields: dict[str, Any] = {}
    for key, value in body.items():
        name = _field_of(key)
        if name is not None and value is not None:
            fields[key] = FIELDS[name](key, value, loopback)
    return fields
