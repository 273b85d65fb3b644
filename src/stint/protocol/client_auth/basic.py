"""client_secret_basic: HTTP Basic with the form-urlencoded id and secret (RFC 6749 §2.3.1)."""

from __future__ import annotations

import base64
import binascii
from urllib.parse import unquote_plus

from stint.protocol.errors import InvalidClientError

__all__ = ["from_basic_header"]


def from_basic_header(header: str | None) -> tuple[str, str] | None:
    """The client id and secret of an ``Authorization: Basic`` header; None for no Basic header."""
    if not header:
        return None
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise InvalidClientError("malformed Basic credentials") from None
    client_id, sep, secret = decoded.partition(":")
    if not sep or not client_id:
        raise InvalidClientError("malformed Basic credentials")
    # §2.3.1: both parts are application/x-www-form-urlencoded before Basic encoding.
    return unquote_plus(client_id), unquote_plus(secret)
