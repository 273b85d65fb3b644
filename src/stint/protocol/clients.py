"""Registered clients and the rules about them: types, redirect URI matching, grants, scopes."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import Any
from urllib.parse import urlsplit

from stint.protocol.device import DEVICE_CODE_GRANT

__all__ = [
    "AUTH_METHODS",
    "GRANT_TYPES",
    "Client",
    "ClientType",
    "grant_types_on",
]

GRANT_TYPES = frozenset(
    {
        "authorization_code",
        "refresh_token",
        "client_credentials",
        "password",
        "implicit",
        "urn:openid:params:grant-type:ciba",  # CIBA Core §10.1 (stint.protocol.ciba)
        DEVICE_CODE_GRANT,
    }
)


def grant_types_on(token_grants: Iterable[str]) -> frozenset[str]:
    """The grant types a client may use where the token endpoint serves ``token_grants``."""
    # implicit is no token-endpoint grant: the authorization endpoint answers it, and its
    # access tokens have their own switch (implicit_enabled, RFC 9700 §2.1.2).
    return frozenset(token_grants) | {"implicit"}


AUTH_METHODS = frozenset({"client_secret_basic", "client_secret_post", "none"})
_LOOPBACK_HOSTS = ("127.0.0.1", "[::1]", "::1")


class ClientType(Enum):
    """RFC 6749 §2.1."""

    CONFIDENTIAL = "confidential"
    PUBLIC = "public"


@dataclass(frozen=True, slots=True)
class Client:
    client_id: str
    name: str
    client_type: ClientType
    redirect_uris: tuple[str, ...]
    grant_types: frozenset[str]
    scopes: frozenset[str]
    token_endpoint_auth_method: str
    secret_hash: str | None = None
    owner_id: int | None = None
    opaque_access_tokens: bool = False
    may_introspect: bool = False  # a resource server: may introspect other clients' tokens
    created_at: datetime | None = None
    first_party: bool = False
    # OpenID Connect and RFC 7591 metadata beyond the fields above (id_token_signed_response_alg,
    # jwks, post_logout_redirect_uris, ...), as registered.
    metadata: dict[str, Any] = field(default_factory=dict)
    registration_token_hash: str | None = None  # RFC 7592 §3
    # The sector its pairwise subjects are computed for (OIDC Core §8.1), fixed at registration
    # so that changing redirect URIs never changes, or borrows, the users' ``sub``.
    pairwise_sector: str | None = None

    def meta(self, name: str, default: Any = None) -> Any:
        return self.metadata.get(name, default)

    @property
    def is_public(self) -> bool:
        return self.client_type is ClientType.PUBLIC

    @property
    def self_registered(self) -> bool:
        """Registered through /o/register by whoever sent the request (RFC 7591), so nobody
        vouched for its name or logo; only those clients hold a registration access token."""
        return self.registration_token_hash is not None

    @property
    def is_native(self) -> bool:
        """An app on the user's device: public, or registered as application_type native."""
        return self.is_public or self.meta("application_type") == "native"

    def allows_grant(self, grant_type: str) -> bool:
        return grant_type in self.grant_types

    def allows_redirect_uri(self, uri: str) -> bool:
        """Exact match (RFC 9700 §4.1.3), except loopback ports (RFC 8252 §7.3)."""
        if uri in self.redirect_uris:
            return True
        if not self.is_native:
            return False  # RFC 8252 §7.3 is for native apps; a web server has a fixed port
        try:
            requested = urlsplit(uri)
            host = _without_port(requested.netloc, requested.port)
        except ValueError:  # a malformed port or IPv6 literal matches nothing
            return False
        if requested.scheme != "http" or requested.hostname is None or "#" in uri:
            return False  # §3.1.2: a redirect URI has no fragment
        if host not in _LOOPBACK_HOSTS:
            return False
        for registered in self.redirect_uris:
            try:
                candidate = urlsplit(registered)
                registered_port = candidate.port
            except ValueError:
                continue
            if (
                registered_port is None  # a registered port is meant: it matches exactly
                and candidate.scheme == "http"
                and candidate.netloc == host
                and candidate.path == requested.path
                and candidate.query == requested.query
            ):
                return True
        return False


def _without_port(netloc: str, port: int | None) -> str:
    return netloc.rsplit(":", 1)[0] if port else netloc
