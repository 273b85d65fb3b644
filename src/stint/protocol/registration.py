"""Registering a client: the rules a client's settings must meet, and its generated credentials."""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass, field, replace

from stint.protocol.clients import AUTH_METHODS, GRANT_TYPES, Client, ClientType
from stint.protocol.redirect_uris import RedirectUriRules, redirect_uris_problem
from stint.protocol.scopes import API_SCOPES
from stint.protocol.secrets import SecretHasher, new_secret
from stint.protocol.texts import N_, Text

__all__ = [
    "OPERATOR_ONLY_GRANTS",
    "ClientSpec",
    "ClientSpecError",
    "new_client",
    "new_client_id",
    "rotate_secret",
    "updated_client",
]

DEFAULT_GRANTS = frozenset({"authorization_code", "refresh_token"})
# RFC 9700 §2.4: the password grant MUST NOT be used; only an operator may still give it to a
# client (stint clients create), never a developer page or dynamic registration.
OPERATOR_ONLY_GRANTS = frozenset({"password"})
_CONFIDENTIAL_ONLY = frozenset(
    {"client_credentials", "password", "urn:openid:params:grant-type:ciba"}
)
_NEEDS_REDIRECT = frozenset({"authorization_code", "implicit"})


_ID_ALPHABET = string.ascii_letters + string.digits


def new_client_id() -> str:
    """24 letters and digits (~143 bits): never starts with '-', so it is safe on a command line."""
    return "".join(secrets.choice(_ID_ALPHABET) for _ in range(24))


class ClientSpecError(Exception):
    """Why a client's settings cannot be registered, field by field (English ``Text``s a page
    shows translated)."""

    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in problems.items()))
        self.problems = problems


@dataclass(frozen=True)
class ClientSpec:
    """What a developer or operator asks for."""

    name: str
    client_type: str = "confidential"
    redirect_uris: tuple[str, ...] = ()
    grant_types: frozenset[str] = DEFAULT_GRANTS
    scopes: frozenset[str] = field(default_factory=lambda: API_SCOPES)
    token_endpoint_auth_method: str | None = None
    opaque_access_tokens: bool = False
    may_introspect: bool = False
    owner_id: int | None = None


def _checked(
    spec: ClientSpec, *, allow_http: bool, enabled: frozenset[str], kept: frozenset[str]
) -> ClientSpec:
    problems: dict[str, str] = {}
    name = spec.name.strip()
    if not 1 <= len(name) <= 100:
        problems["name"] = Text(N_("must be 1 to 100 characters"))
    if spec.client_type not in ("confidential", "public"):
        problems["client_type"] = Text(N_("must be confidential or public"))
    public = spec.client_type == "public"
    method = spec.token_endpoint_auth_method or ("none" if public else "client_secret_basic")
    if method not in AUTH_METHODS:
        problems["token_endpoint_auth_method"] = Text(
            N_("must be one of %(choices)s"), choices=", ".join(sorted(AUTH_METHODS))
        )
    elif public != (method == "none"):
        problems["token_endpoint_auth_method"] = Text(
            N_("public clients use none; confidential clients use a secret method")
        )
    unknown = spec.grant_types - GRANT_TYPES
    if unknown or not spec.grant_types:
        problems["grant_types"] = Text(
            N_("choose from %(choices)s"), choices=", ".join(sorted(GRANT_TYPES))
        )
    elif off := spec.grant_types - enabled - kept:
        problems["grant_types"] = Text(
            N_("%(grants)s: not enabled on this server"), grants=", ".join(sorted(off))
        )
    elif public and spec.grant_types & _CONFIDENTIAL_ONLY:
        problems["grant_types"] = Text(
            N_("public clients cannot use client_credentials or password")
        )
    if spec.scopes - API_SCOPES or not spec.scopes:
        problems["scopes"] = Text(
            N_("choose from %(choices)s"), choices=", ".join(sorted(API_SCOPES))
        )
    # A signed-in developer or the operator registers apps on devices too (RFC 8252 §7).
    redirect_problem = redirect_uris_problem(
        spec.redirect_uris,
        RedirectUriRules(any_http=allow_http),
        required=bool(spec.grant_types & _NEEDS_REDIRECT),
    )
    if redirect_problem is not None:
        problems["redirect_uris"] = redirect_problem
    if problems:
        raise ClientSpecError(problems)
    return replace(spec, name=name, token_endpoint_auth_method=method)


def new_client(
    spec: ClientSpec,
    hasher: SecretHasher,
    *,
    allow_http: bool = False,
    enabled_grants: frozenset[str] = GRANT_TYPES,
) -> tuple[Client, str | None]:
    """A client and its secret (None for public clients); only the secret's hash is kept."""
    spec = _checked(spec, allow_http=allow_http, enabled=enabled_grants, kept=frozenset())
    secret = None if spec.client_type == "public" else new_secret()
    client = Client(
        client_id=new_client_id(),
        name=spec.name,
        client_type=ClientType(spec.client_type),
        redirect_uris=tuple(dict.fromkeys(spec.redirect_uris)),
        grant_types=spec.grant_types,
        scopes=spec.scopes,
        token_endpoint_auth_method=spec.token_endpoint_auth_method or "none",
        secret_hash=hasher.hash(secret) if secret else None,
        owner_id=spec.owner_id,
        opaque_access_tokens=spec.opaque_access_tokens,
        may_introspect=spec.may_introspect,
    )
    return client, secret


def updated_client(
    client: Client,
    spec: ClientSpec,
    *,
    allow_http: bool = False,
    enabled_grants: frozenset[str] = GRANT_TYPES,
) -> Client:
    """The client with new settings; its id, type, secret and grants switched off since stay."""
    spec = _checked(
        replace(spec, client_type=client.client_type.value),
        allow_http=allow_http,
        enabled=enabled_grants,
        kept=client.grant_types,
    )
    return replace(
        client,
        name=spec.name,
        redirect_uris=tuple(dict.fromkeys(spec.redirect_uris)),
        grant_types=spec.grant_types,
        scopes=spec.scopes,
        token_endpoint_auth_method=spec.token_endpoint_auth_method
        or client.token_endpoint_auth_method,
        opaque_access_tokens=spec.opaque_access_tokens,
    )


def rotate_secret(client: Client, hasher: SecretHasher) -> tuple[Client, str]:
    if client.is_public:
        raise ClientSpecError({"client_type": Text(N_("public clients have no secret"))})
    secret = new_secret()
    return replace(client, secret_hash=hasher.hash(secret)), secret
