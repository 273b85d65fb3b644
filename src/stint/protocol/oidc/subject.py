"""Subject identifiers (OpenID Connect Core §8): public, or pairwise per sector (§8.1)."""

from __future__ import annotations

import base64
import hashlib
import hmac
from urllib.parse import urlsplit

from stint.protocol.clients import Client

__all__ = ["SubjectIdentifiers", "sector_of"]


def sector_of(client: Client) -> str:
    """The host pairwise identifiers are computed for: the one frozen at registration, else
    the sector_identifier_uri's host when registered, else the host of the (single-host)
    redirect URIs (§8.1)."""
    if client.pairwise_sector:
        return client.pairwise_sector
    sector_uri = client.meta("sector_identifier_uri")
    if isinstance(sector_uri, str) and sector_uri:
        return urlsplit(sector_uri).hostname or ""
    hosts = {urlsplit(uri).hostname or uri for uri in client.redirect_uris}
    return min(hosts) if hosts else client.client_id


class SubjectIdentifiers:
    """``sub`` for a user as a client sees it. Pairwise values are an HMAC of the sector and the
    user id: stable, not reversible, and different for every sector (§8.1)."""

    def __init__(self, secret: bytes) -> None:
        self._key = hashlib.sha256(b"stint/pairwise-subject/v1" + secret).digest()

    def for_client(self, user_id: int, client: Client) -> str:
        if client.meta("subject_type") != "pairwise":
            return str(user_id)
        message = f"{sector_of(client)}\x00{user_id}".encode()
        digest = hmac.new(self._key, message, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
