"""What the social routes share: the pages, the providers, the stores, the outbound transport."""

from __future__ import annotations

import hmac
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response

from stint.connectors.base import BaseAuth
from stint.connectors.config import ProviderConfig
from stint.connectors.ports import UpstreamSignInStore
from stint.connectors.registry import UnknownBackendError, make_backend
from stint.connectors.strategy import Strategy
from stint.web.cookies import host_cookie
from stint.web.pages.common import PageContext
from stint.web.social.ports import Linker
from stint.web.social.providers import ProviderDirectory

if TYPE_CHECKING:
    import httpx

__all__ = ["STATE_COOKIE", "BackendUnavailable", "SocialContext"]

STATE_COOKIE = "stint_social"
log = logging.getLogger("stint.social")


class BackendUnavailable(Exception):
    """The provider's backend class cannot be loaded in this process."""


@dataclass(frozen=True)
class SocialContext:
    pages: PageContext
    providers: ProviderDirectory
    pending: UpstreamSignInStore
    linker: Linker
    issuer: str
    sign_in_seconds: int
    secure_cookies: bool
    timeout_seconds: float = 5.0
    # The outbound transport upstream calls go through (tests: an in-process provider).
    transport: httpx.AsyncBaseTransport | None = field(default=None, repr=False)

    @property
    def cookie(self) -> str:
        return host_cookie(STATE_COOKIE, secure=self.secure_cookies)

    def backend(
        self,
        provider: ProviderConfig,
        *,
        state: str,
        data: dict[str, str] | None = None,
        session: dict[str, Any] | None = None,
    ) -> BaseAuth:
        strategy = Strategy(
            settings=provider.backend_settings(),
            redirect_uri=f"{self.issuer}/complete/{provider.name}/",
            state=state,
            data=data or {},
            session=session if session is not None else {},
            transport=self.transport,
            timeout_seconds=self.timeout_seconds,
        )
        try:
            return make_backend(provider, strategy)
        except UnknownBackendError as exc:
            # Added by `stint social add` where its backend imports, but it does not here.
            log.warning("provider %s cannot be used here: %s", provider.name, exc)
            raise BackendUnavailable(provider.name) from exc

    def bind_state(self, response: Response, state: str) -> None:
        """Bind the sign-in to this browser: the provider's redirect back is a top-level GET,
        which SameSite=Lax lets through, so only this browser can complete it (RFC 9700 §4.7.1)."""
        response.set_cookie(
            self.cookie,
            state,
            max_age=self.sign_in_seconds,
            httponly=True,
            secure=self.secure_cookies,
            samesite="lax",
            path="/",
        )

    def state_bound(self, request: Request, state: str) -> bool:
        bound = request.cookies.get(self.cookie, "")
        if not bound or not state.isascii() or not bound.isascii():
            return False
        return hmac.compare_digest(bound, state)

    def forget_state(self, response: Response) -> None:
        response.delete_cookie(
            self.cookie, path="/", secure=self.secure_cookies, httponly=True, samesite="lax"
        )

    def refused(self, request: Request, title: str, message: str, status: int) -> Response:
        """The page a sign-in that did not complete ends on: what happened, and a way back."""
        context = {"title": title, "message": message, "user": None}
        return self.pages.pages.render(request, "social/refused.html", context, status)
