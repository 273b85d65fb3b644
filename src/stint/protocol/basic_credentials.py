"""HTTP Basic credentials (RFC 7617 §2): one decoder for the API, UserInfo and OAuth clients."""

from __future__ import annotations

import base64

from stint.protocol.text import has_control_character

__all__ = ["MAX_USER_ID", "MalformedBasicError", "decode_basic"]

# Long enough for an access token standing in the user-id (the API accepts that).
MAX_USER_ID = 4096


class MalformedBasicError(ValueError):
    """The credentials are not base64 of ``user-id:password`` in UTF-8."""


def decode_basic(encoded: str) -> tuple[str, str]:
    """The user-id and password of an ``Authorization: Basic`` header's credentials."""
    try:
        # A header is decoded as Latin-1: any non-ASCII character is not base64 (§2).
        decoded = base64.b64decode(encoded.strip().encode("ascii"), validate=True).decode("utf-8")
    except ValueError:  # binascii.Error, UnicodeEncodeError, UnicodeDecodeError
        raise MalformedBasicError("malformed Basic credentials") from None
    user_id, sep, password = decoded.partition(":")
    if not sep or not user_id or len(user_id) > MAX_USER_ID:
        raise MalformedBasicError("malformed Basic credentials")
    # §2: neither the user-id nor the password may contain a control character.
    if has_control_character(decoded):
        raise MalformedBasicError("Basic credentials must not contain control characters")
    return user_id, password
