"""Authlib's httpx clients (OAuth 1.0a and 2.0 client mechanics), imported once, quietly.

Authlib 1.9 warns on import that it would prefer the ``httpx2`` package; Stint ships httpx, which
Authlib still supports, so that warning says nothing an operator can act on.
"""

from __future__ import annotations

import warnings
from typing import Any

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from authlib.integrations.httpx_client import (
        AsyncOAuth1Client as _AsyncOAuth1Client,
    )
    from authlib.integrations.httpx_client import (
        AsyncOAuth2Client as _AsyncOAuth2Client,
    )
    from authlib.integrations.httpx_client import OAuthError as _OAuthError

__all__ = ["AsyncOAuth1Client", "AsyncOAuth2Client", "OAuthError"]

AsyncOAuth1Client: Any = _AsyncOAuth1Client
AsyncOAuth2Client: Any = _AsyncOAuth2Client
OAuthError: type[Exception] = _OAuthError
