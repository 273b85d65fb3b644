"""The authorization endpoint (RFC 6749 §3.1, §4.1.1, §4.2.1): the checks, in order, then the reply.

``CHECKS`` is the whole algorithm: each step reads the raw parameters and what earlier steps
settled. Errors raised before the redirect URI is settled are shown on a page; after it, they
are sent to the client (§4.1.2.1).
"""

from __future__ import annotations

from stint.protocol.authorize.checks import CHECKS, AuthorizePolicy, validate
from stint.protocol.authorize.request import AuthorizationRequest, AuthorizationRequestError
from stint.protocol.authorize.response import AuthorizationResponder

__all__ = [
    "CHECKS",
    "AuthorizationRequest",
    "AuthorizationRequestError",
    "AuthorizationResponder",
    "AuthorizePolicy",
    "validate",
]
