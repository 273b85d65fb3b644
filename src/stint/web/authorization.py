"""The request's one ``Authorization`` header, read the same way by every surface."""

from __future__ import annotations

from collections.abc import Iterable

from stint.protocol.errors import InvalidRequestError

__all__ = ["authorization_header"]


def authorization_header(headers: Iterable[tuple[bytes, bytes]]) -> str | None:
    """The ``Authorization`` header (Latin-1, as HTTP defines it), or None when there is none.

    RFC 9110 §5.3: a header that is not a list may be sent once. Two would let one surface read
    the first and another the last, so a repeated one is refused (InvalidRequestError, a 400).
    """
    found: bytes | None = None
    for name, value in headers:
        if name == b"authorization":
            if found is not None:
                raise InvalidRequestError("send one Authorization header, not several")
            found = value
    return found.decode("latin-1") if found is not None else None
