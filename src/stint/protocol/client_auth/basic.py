"""client_secret_basic: HTTP Basic with the form-urlencoded id and secret (RFC 6749 §2.3.1)."""

from __future__ import annotations

from urllib.parse import unquote_plus

from stint.protocol.basic_credentials import MalformedBasicError, decode_basic
from stint.protocol.errors import InvalidClientError
from stint.protocol.text import has_control_character

__all__ = ["from_basic_header"]


def from_basic_header(header: str | None) -> tuple[str, str] | None:
    """The client id and secret of an ``Authorization: Basic`` header; None for no Basic header."""
    if not header:
        return None
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        client_id, secret = decode_basic(encoded)
    except MalformedBasicError as exc:
        raise InvalidClientError(str(exc)) from None
    # §2.3.1: both parts are application/x-www-form-urlencoded before Basic encoding.
    client_id, secret = unquote_plus(client_id), unquote_plus(secret)
    if has_control_character(client_id) or has_control_character(secret):
        raise InvalidClientError("Basic credentials must not contain control characters")
    return client_id, secret
