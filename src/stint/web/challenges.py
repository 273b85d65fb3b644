"""``WWW-Authenticate`` challenges (RFC 9110 §11.6.1): Basic (RFC 7617 §2), Bearer (RFC 6750 §3).

Every surface that refuses credentials builds its challenge here: the API, UserInfo, client
registration and the OAuth endpoints.
"""

from __future__ import annotations

import re

from stint.protocol.errors import InsufficientScopeError, OAuthError

__all__ = ["BASIC_CHALLENGE", "REALM", "bearer_challenge"]

REALM = "stint"
# RFC 7617 §2.1: the only charset a server may announce; Stint decodes Basic credentials as UTF-8.
BASIC_CHALLENGE = f'Basic realm="{REALM}", charset="UTF-8"'
_BEARER = f'Bearer realm="{REALM}"'
# RFC 6750 §3: error_description and scope hold printable ASCII other than '"' and '\'.
_UNQUOTABLE = re.compile(r"[^\x20\x21\x23-\x5b\x5d-\x7e]")


def bearer_challenge(error: OAuthError | None = None) -> str:
    """The Bearer challenge; it names ``error`` only for a request that carried a token (§3.1)."""
    if error is None:
        return _BEARER
    challenge = f'{_BEARER}, error="{error.error}"'
    if error.description:
        challenge += f', error_description="{_quotable(error.description)}"'
    if isinstance(error, InsufficientScopeError):
        challenge += f', scope="{_quotable(error.required)}"'  # §3: the scope that would do
    return challenge


def _quotable(text: str) -> str:
    return _UNQUOTABLE.sub("?", text.replace('"', "'"))
