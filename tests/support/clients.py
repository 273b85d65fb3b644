"""A registered client as protocol and store tests need one: built in one place."""

from __future__ import annotations

from typing import Any

from stint.protocol.clients import Client, ClientType

__all__ = ["relying_party"]


def relying_party(**changes: Any) -> Client:
    """A confidential web client `rp` with one redirect URI and the code grant."""
    fields: dict[str, Any] = {
        "client_id": "rp",
        "name": "RP",
        "client_type": ClientType.CONFIDENTIAL,
        "redirect_uris": ("https://rp.example/cb",),
        "grant_types": frozenset({"authorization_code"}),
        "scopes": frozenset(),
        "token_endpoint_auth_method": "client_secret_basic",
    }
    return Client(**(fields | changes))
