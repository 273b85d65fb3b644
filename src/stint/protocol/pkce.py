"""PKCE (RFC 7636): the code challenge at authorization, its verifier at the token step."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re

from stint.protocol.errors import InvalidGrantError, InvalidRequestError

__all__ = ["check_challenge", "verify"]

# RFC 7636 §4.1: 43 to 128 unreserved characters.
_VERIFIER = re.compile(r"[A-Za-z0-9\-._~]{43,128}\Z")
# §4.2: the S256 challenge is the 43-character base64url of a SHA-256 digest.
_CHALLENGE = re.compile(r"[A-Za-z0-9\-._~]{43,128}\Z")


def check_challenge(challenge: str | None, method: str | None, *, allow_plain: bool) -> str | None:
    """The method to remember, after checking the request's challenge; None: no PKCE used."""
    if challenge is None:
        if method is not None:
            raise InvalidRequestError("code_challenge_method without code_challenge")
        return None
    method = method or "plain"  # RFC 7636 §4.3: the default method is plain
    if method == "plain" and not allow_plain:
        raise InvalidRequestError("code_challenge_method must be S256")
    if method not in ("S256", "plain"):
        raise InvalidRequestError("code_challenge_method must be S256")
    if not _CHALLENGE.match(challenge):
        raise InvalidRequestError("code_challenge is malformed")
    return method


def verify(verifier: str | None, challenge: str, method: str) -> None:
    """RFC 7636 §4.6: the verifier must transform into the challenge stored with the code."""
    if verifier is None:
        raise InvalidGrantError("code_verifier is required for this code")
    if not _VERIFIER.match(verifier):
        raise InvalidGrantError("code_verifier is malformed")
    if method == "S256":
        digest = hashlib.sha256(verifier.encode("ascii")).digest()
        computed = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    else:
        computed = verifier
    if not hmac.compare_digest(computed, challenge):
        raise InvalidGrantError("code_verifier does not match the code_challenge")
