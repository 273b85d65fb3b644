"""social-core's strategy and storage interfaces over one Stint sign-in.

A python-social-auth backend reads its settings, the callback's parameters and the session
through its ``strategy``, and keeps one-use values (OAuth 2.0 ``state``, the OpenID Connect
``nonce``) through ``strategy.storage``. Here all of it lives in Stint's ``Strategy``: settings
from the provider's configuration, the session in the dict Stint keeps sealed and single use
between ``/login/<name>/`` and ``/complete/<name>/``, so nothing is stored anywhere else.
``authenticate`` is where social-core would run its own pipeline: it hands the backend and the
provider's answer back instead, and Stint links the person to an account itself.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import asdict, dataclass
from typing import Any, ClassVar, cast
from urllib.parse import urlsplit

from stint.connectors.strategy import Strategy

with warnings.catch_warnings():
    # social_core.strategy imports python3-openid, which imports the deprecated
    # defusedxml.cElementTree: its warning is theirs to fix, not the operator's to read.
    warnings.filterwarnings("ignore", "defusedxml.cElementTree", DeprecationWarning)
    from social_core.strategy import BaseStrategy

__all__ = ["Completed", "SessionStorage", "SocialCoreStrategy"]

NONCES = "social_core.nonces"  # session keys of the storage below
ASSOCIATIONS = "social_core.associations"


@dataclass(frozen=True)
class Completed:
    """What the backend handed to ``strategy.authenticate``: itself and the merged answer."""

    backend: Any
    response: dict[str, Any]


class SessionNonces:
    """social-core's ``NonceMixin`` (one-use ``state`` values) kept in the sign-in's session."""

    def __init__(self, session: dict[str, Any]) -> None:
        self.session = session

    def _all(self) -> list[list[Any]]:
        return cast(list[list[Any]], self.session.setdefault(NONCES, []))

    def use(self, server_url: str, timestamp: int, salt: str) -> bool:
        entry = [server_url, int(timestamp), salt]
        if entry in self._all():
            return False
        self._all().append(entry)
        return True

    def consume(self, server_url: str, timestamp: int, salt: str) -> bool:
        entry = [server_url, int(timestamp), salt]
        if entry not in self._all():
            return False
        self._all().remove(entry)
        return True


@dataclass
class SessionAssociation:
    """One stored OpenID Connect nonce (social-core keeps it as an "association")."""

    id: int
    server_url: str
    handle: str  # the nonce
    issued: int
    lifetime: int
    assoc_type: str  # the state the nonce was sent with

    def is_expired(self, now: int | None = None) -> bool:
        now = int(time.time()) if now is None else now
        return self.lifetime <= 0 or now >= self.issued + self.lifetime


class SessionAssociations:
    """social-core's ``AssociationMixin`` kept in the sign-in's session."""

    def __init__(self, session: dict[str, Any]) -> None:
        self.session = session

    def _all(self) -> list[dict[str, Any]]:
        return cast(list[dict[str, Any]], self.session.setdefault(ASSOCIATIONS, []))

    def store(self, server_url: str, association: Any) -> None:
        entries = self._all()
        entry = SessionAssociation(
            id=max((e["id"] for e in entries), default=0) + 1,
            server_url=server_url,
            handle=str(association.handle),
            issued=int(association.issued),
            lifetime=int(association.lifetime),
            assoc_type=str(association.assoc_type or ""),
        )
        entries.append(asdict(entry))

    def get(
        self, server_url: str | None = None, handle: str | None = None
    ) -> list[SessionAssociation]:
        return [
            SessionAssociation(**e)
            for e in self._all()
            if (server_url is None or e["server_url"] == server_url)
            and (handle is None or e["handle"] == handle)
        ]

    def remove(self, ids_to_delete: list[int]) -> None:
        self.session[ASSOCIATIONS] = [e for e in self._all() if e["id"] not in ids_to_delete]


class SessionStorage:
    """What social-core's OAuth 2.0 and OpenID Connect backends touch of ``strategy.storage``;
    no users or social accounts: linking is Stint's."""

    def __init__(self, session: dict[str, Any]) -> None:
        self.nonce = SessionNonces(session)
        self.association = SessionAssociations(session)


class SocialCoreStrategy(BaseStrategy[str]):
    """social-core's ``BaseStrategy`` over Stint's ``Strategy`` of one sign-in."""

    # Always the same, whatever the operator set: Stint's redirect URI is already exact, and
    # social-core's requests go through Stint's outbound client and its timeout.
    FIXED: ClassVar[dict[str, Any]] = {"REDIRECT_IS_HTTPS": False}

    def __init__(self, stint: Strategy) -> None:
        super().__init__(storage=cast(Any, SessionStorage(stint.session)))
        self.stint = stint

    def setting(self, name: str, default: Any = None, backend: Any = None) -> Any:
        """``SOCIAL_AUTH_<NAME>_<name>`` is this provider's ``name`` in Stint's settings."""
        if name in self.FIXED:
            return self.FIXED[name]
        if name in ("URLOPEN_TIMEOUT", "REQUESTS_TIMEOUT"):
            return self.stint.timeout_seconds
        if name == "USE_PKCE":  # RFC 9700 §2.1.1: PKCE wherever the backend can send it
            return self.stint.settings.get(name, True)
        return self.stint.settings.get(name, default)

    def get_setting(self, name: str) -> Any:
        return self.setting(name)

    def get_request_data(self, merge: bool = True) -> dict[str, Any]:
        return dict(self.stint.data)

    def request_get(self) -> dict[str, Any]:
        return dict(self.stint.data)

    def request_post(self) -> dict[str, Any]:
        return {}

    def session_get(self, name: str, default: Any = None) -> Any:
        return self.stint.session.get(name, default)

    def session_set(self, name: str, value: Any) -> None:
        self.stint.session[name] = value

    def session_pop(self, name: str) -> Any:
        return self.stint.session.pop(name, None)

    def build_absolute_uri(self, path: str | None = None) -> str:
        """Stint's ``/complete/<name>/`` (the URI registered at the provider)."""
        if path and urlsplit(path).scheme:
            return path
        return self.stint.redirect_uri

    def request_is_secure(self) -> bool:
        return self.stint.redirect_uri.startswith("https://")

    def request_host(self) -> str:
        return urlsplit(self.stint.redirect_uri).netloc

    def request_path(self) -> str:
        return urlsplit(self.stint.redirect_uri).path

    def request_port(self) -> int:
        parts = urlsplit(self.stint.redirect_uri)
        return parts.port or (443 if parts.scheme == "https" else 80)

    def redirect(self, url: str) -> str:
        return url

    def html(self, content: str) -> str:
        return content

    def authenticate(self, backend: Any, *args: Any, **kwargs: Any) -> Any:
        """Where social-core would run its pipeline: the person is handed back to Stint."""
        return Completed(backend=backend, response=dict(kwargs.get("response") or {}))
