"""The access log without what must not be written down: uvicorn logs each request line with its
query string, and an authorization request can carry an ID token (``id_token_hint``), who the
user is (``login_hint``) and a request object (``request``, ``request_uri``, OIDC Core §6)."""

from __future__ import annotations

import logging
from urllib.parse import quote, unquote_plus

__all__ = ["REDACTED", "SENSITIVE_PARAMETERS", "RedactSensitiveParameters", "install", "redacted"]

ACCESS_LOGGER = "uvicorn.access"
REDACTED = "[redacted]"
SENSITIVE_PARAMETERS = frozenset(
    {
        "id_token_hint",
        "login_hint",
        "request",
        "request_uri",
        "username",  # the sign-in page's copy of login_hint
    }
)
# A parameter holding a URL of ours whose own query may hold the above (/login?next=...).
_NESTED = frozenset({"next"})


def redacted(target: str) -> str:
    """``target`` (a path with its query string) with the sensitive parameters' values replaced;
    every other byte of the query as it came."""
    path, mark, query = target.partition("?")
    if not mark:
        return target
    pairs = []
    for pair in query.split("&"):
        raw_name, equals, raw_value = pair.partition("=")
        name = unquote_plus(raw_name)
        if name in SENSITIVE_PARAMETERS and equals:
            pair = f"{raw_name}={REDACTED}"
        elif name in _NESTED and "%3F" in raw_value.upper():
            inner = unquote_plus(raw_value)
            cleaned = redacted(inner)
            if cleaned != inner:
                pair = f"{raw_name}={quote(cleaned, safe='/')}"
        pairs.append(pair)
    return f"{path}?{'&'.join(pairs)}"


class RedactSensitiveParameters(logging.Filter):
    """Rewrites the request target among an access record's arguments (uvicorn passes the
    client, method, target, HTTP version and status as ``%`` arguments)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                redacted(arg) if isinstance(arg, str) and "?" in arg else arg for arg in record.args
            )
        return True


def install() -> None:
    """Filter uvicorn's access log in this process (each worker calls it once at start-up)."""
    logger = logging.getLogger(ACCESS_LOGGER)
    if not any(isinstance(f, RedactSensitiveParameters) for f in logger.filters):
        logger.addFilter(RedactSensitiveParameters())
