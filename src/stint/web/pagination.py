"""Keyset pagination with opaque cursors, ``Link`` headers (RFC 8288) and ``next`` in the body."""

from __future__ import annotations

import base64
import binascii
from typing import Any

import orjson
from starlette.datastructures import URL

from stint.web.problems import field_errors

__all__ = ["decode_cursor", "encode_cursor", "next_link"]

_MAX_ID = 2**31 - 1


def encode_cursor(position: list[Any]) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(position)).rstrip(b"=").decode()


def decode_cursor(cursor: str, shape: tuple[type, ...]) -> list[Any]:
    """The position a cursor holds; a 400 when it was not made by ``encode_cursor``."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        position = orjson.loads(raw)
    except (binascii.Error, ValueError):
        raise field_errors({"cursor": "is not a cursor this API returned"}) from None
    if (
        not isinstance(position, list)
        or len(position) != len(shape)
        or not all(type(v) is t for v, t in zip(position, shape, strict=True))
        # Integers in a position are ids, 32-bit in the database: a larger one is no cursor of ours
        # (and PostgreSQL or SQLite would refuse to bind it).
        or not all(0 <= v <= _MAX_ID for v in position if type(v) is int)
    ):
        raise field_errors({"cursor": "is not a cursor this API returned"})
    return position


def next_link(url: URL, cursor: str) -> str:
    """The URL of the next page: the same query with the new cursor, relative to the origin."""
    next_url = url.include_query_params(cursor=cursor)
    return f"{next_url.path}?{next_url.query}"
