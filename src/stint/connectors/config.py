"""One upstream provider as the operator configured it (``stint social add`` or
``[social.NAME]`` in stint.toml)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["ProviderConfig"]


@dataclass(frozen=True)
class ProviderConfig:
    name: str  # the routes' name: /login/<name>/, /complete/<name>/ (registered upstream)
    backend: str  # github|google|gitlab|microsoft|oidc|oauth2|oauth1, or a dotted class path
    client_id: str
    client_secret: str = field(default="", repr=False)
    issuer: str = ""  # an OpenID provider's issuer URL (discovery): oidc, microsoft's tenant...
    scope: tuple[str, ...] = ()  # beyond the backend's DEFAULT_SCOPE
    label: str = ""  # "Continue with <label>"; default: the backend's own name
    auto_link_email: bool = False  # see stint.accounts.linking
    store_tokens: bool = False  # keep upstream tokens, sealed
    allow_sign_up: bool = True
    # Upper-case backend settings: AUTHORIZATION_URL, ACCESS_TOKEN_URL, USER_DATA_URL, ID_KEY,
    # API_URL (social-core GitLab), ... as python-social-auth's SOCIAL_AUTH_<NAME>_<KEY>.
    options: dict[str, Any] = field(default_factory=dict, repr=False)  # may hold secrets

    def backend_settings(self) -> dict[str, Any]:
        """What the backend's ``self.setting(...)`` reads."""
        settings: dict[str, Any] = {"KEY": self.client_id, "SECRET": self.client_secret}
        if self.scope:
            settings["SCOPE"] = list(self.scope)
        if self.issuer:
            settings["OIDC_ENDPOINT"] = self.issuer
        return {**settings, **self.options}
