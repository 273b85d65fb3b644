"""What a consent page shows about a request (which app asks, for which scopes and claims), and
the browser session behind an approval.

One source for every page that asks a person to approve an app: /o/authorize/ and /device.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from stint.accounts.sessions import Session
from stint.protocol.authorize.response import Authentication
from stint.protocol.clients import Client
from stint.protocol.oidc.claims import CLAIM_DESCRIPTIONS
from stint.protocol.scopes import SCOPE_DESCRIPTIONS
from stint.web.i18n import _

__all__ = ["consent_context", "session_authentication"]

_CLIENT_LINKS = ("logo_uri", "client_uri", "policy_uri", "tos_uri")


def consent_context(client: Client, scopes: Iterable[str], claims: Iterable[str]) -> dict[str, Any]:
    """The context of ``_consent_details.html``: ``claims`` are the user claims asked for by
    name beyond what ``scopes`` name (OIDC Core §5.5)."""
    return {
        "client_name": client.name,
        # RFC 7591 §5: whoever registered a client chose its name and logo; say so.
        "unverified": client.self_registered,
        # Registration §2: shown to the user; only https URLs are ever registered.
        **{name: _https(client.meta(name)) for name in _CLIENT_LINKS},
        # Described in the page's language; a name Stint has no description of shows as is.
        "scopes": [(s, _described(SCOPE_DESCRIPTIONS, s)) for s in sorted(scopes)],
        "claims": [(c, _described(CLAIM_DESCRIPTIONS, c)) for c in sorted(claims)],
    }


def _described(descriptions: dict[str, str], name: str) -> str:
    return _(descriptions[name]) if name in descriptions else name


def session_authentication(session: Session, acr: str) -> Authentication:
    """The sign-in behind an approval made in ``session``, stating ``acr`` (oidc.acr)."""
    return Authentication(
        auth_time=session.auth_time, sid=session.sid, amr=tuple(session.amr.split()), acr=acr
    )


def _https(value: object) -> str | None:
    return value if isinstance(value, str) and value.startswith("https://") else None
