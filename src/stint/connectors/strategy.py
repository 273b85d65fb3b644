"""The strategy: what a backend reads of the deployment and of this one sign-in.

python-social-auth gives every backend a ``strategy`` for its framework (settings, the request's
data, the session). Stint's is one plain object per sign-in attempt, made by the social feature:
the provider's settings, the callback's parameters, a small dict kept between ``auth_url`` and
``auth_complete`` (state, PKCE verifier, nonce, OAuth 1.0a request token; Stint stores it sealed
and single use), and the HTTP transport of the project's outbound client.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import httpx

__all__ = ["Strategy"]


@dataclass
class Strategy:
    # KEY (client id), SECRET, SCOPE (extra scopes), and any upper-case option the operator set
    # for this provider (AUTHORIZATION_URL, ID_KEY, OIDC_ENDPOINT, ...).
    settings: Mapping[str, Any] = field(default_factory=dict, repr=False)
    redirect_uri: str = ""  # Stint's /complete/<name>/, the URI registered at the provider
    state: str = ""  # this sign-in's state (redirect_state where STATE_PARAMETER is off)
    data: Mapping[str, str] = field(default_factory=dict)  # the callback's parameters
    session: dict[str, Any] = field(default_factory=dict, repr=False)
    # The outbound client's transport (timeouts, size limit, no redirects); None: httpx's own.
    transport: httpx.AsyncBaseTransport | None = field(default=None, repr=False)
    timeout_seconds: float = 5.0

    def setting(self, name: str, default: Any = None, backend: Any = None) -> Any:
        """The provider's setting ``name`` (python-social-auth: SOCIAL_AUTH_<NAME>_<name>)."""
        return self.settings.get(name, default)

    def request_data(self, merge: bool = True) -> dict[str, str]:
        return dict(self.data)

    def session_get(self, name: str, default: Any = None) -> Any:
        return self.session.get(name, default)

    def session_set(self, name: str, value: Any) -> None:
        self.session[name] = value

    def session_pop(self, name: str) -> Any:
        return self.session.pop(name, None)

    def http_client(self, **options: Any) -> httpx.AsyncClient:
        """An httpx client over the outbound transport; the caller closes it."""
        import httpx

        return httpx.AsyncClient(
            transport=self.transport,
            timeout=httpx.Timeout(self.timeout_seconds),
            follow_redirects=False,
            trust_env=False,
            **options,
        )
