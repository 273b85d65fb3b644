"""``BaseAuth``: python-social-auth's base backend, for Stint.

The shape is that library's ("Adding a new backend"): class attributes say what a provider is,
``get_user_details`` and ``user_data`` say how to read a person from its answers, ``auth_url``
starts a sign-in and ``auth_complete`` finishes it. Two differences, both because Stint serves
from an event loop: ``auth_url`` and ``auth_complete`` are coroutines, and ``user_data`` may be
either a plain method (run off the event loop, so its blocking ``self.get_json(url)`` is fine) or
an ``async def`` that awaits ``self.aget_json(url)``. ``auth_complete`` returns an
``UpstreamIdentity`` instead of running a pipeline: linking it to an account is Stint's job.
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import anyio
import anyio.from_thread
import anyio.to_thread

from stint.connectors.exceptions import (
    AuthCanceled,
    AuthException,
    AuthFailed,
    AuthUnreachable,
)
from stint.connectors.identity import UpstreamIdentity
from stint.connectors.strategy import Strategy
from stint.protocol.texts import N_, Text

if TYPE_CHECKING:
    import httpx

__all__ = ["CREDENTIALS", "BaseAuth", "ExtraData"]

# EXTRA_DATA entries: "name", (name, alias) or (name, alias, discard_if_missing).
ExtraData = Sequence[str | tuple[str, str] | tuple[str, str, bool]]
# Credentials: never in extra_data (stored in the clear), whatever EXTRA_DATA lists; they are
# the identity's ``tokens``, kept sealed and only when the operator asks.
CREDENTIALS = frozenset(
    {"access_token", "refresh_token", "id_token", "oauth_token", "oauth_token_secret", "code"}
)


class BaseAuth:
    """A sign-in scheme at one upstream provider. Subclass it for schemes that are neither
    OAuth nor OpenID Connect; override ``auth_url`` and ``auth_complete``."""

    name = ""  # the backend's name; Stint's routes use the operator's configured name
    ID_KEY = "id"
    EXTRA_DATA: ExtraData | None = None
    REQUIRES_EMAIL_VALIDATION = False
    SEND_USER_AGENT = True

    def __init__(self, strategy: Strategy | None = None, redirect_uri: str | None = None) -> None:
        self.strategy = strategy or Strategy()
        self.redirect_uri = redirect_uri or self.strategy.redirect_uri
        self.data: dict[str, str] = self.strategy.request_data()

    def setting(self, name: str, default: Any = None) -> Any:
        return self.strategy.setting(name, default, backend=self)

    # -- the two steps of a sign-in ------------------------------------------------------

    async def auth_url(self) -> str:
        """Where to send the person to sign in at the provider."""
        raise NotImplementedError("implement auth_url in the backend")

    async def auth_complete(self, *args: Any, **kwargs: Any) -> UpstreamIdentity:
        """Finish the sign-in from the provider's redirect (``self.data``)."""
        raise NotImplementedError("implement auth_complete in the backend")

    # -- reading the person --------------------------------------------------------------

    def id_key(self) -> str:
        return str(self.setting("ID_KEY", self.ID_KEY))

    def get_user_id(self, details: dict[str, Any], response: dict[str, Any]) -> Any:
        key = self.id_key()
        return response.get(key, details.get(key))

    def get_user_details(self, response: dict[str, Any]) -> dict[str, Any]:
        """username, email, fullname, first_name, last_name from the provider's answer."""
        return {
            "username": response.get("username") or "",
            "email": response.get("email") or "",
            "fullname": response.get("name") or response.get("fullname") or "",
            "first_name": response.get("first_name") or "",
            "last_name": response.get("last_name") or "",
        }

    def user_data(self, access_token: str, *args: Any, **kwargs: Any) -> Any:
        """More data about the person from the provider's API (a plain or an async method)."""
        return None

    def email_verified(self, response: dict[str, Any], details: dict[str, Any]) -> bool:
        """Whether the provider asserted the email verified. By default: only an explicit
        ``email_verified: true`` (OpenID Connect Core §5.1) counts."""
        return response.get("email_verified") is True

    def extra_data(
        self,
        user: Any,
        uid: str,
        response: dict[str, Any],
        details: dict[str, Any] | None = None,
        *args: Any,
        **kwargs: Any,
    ) -> dict[str, Any]:
        """The EXTRA_DATA entries of the response, under their aliases."""
        data: dict[str, Any] = {}
        for entry in [*(self.EXTRA_DATA or ()), *(self.setting("EXTRA_DATA") or ())]:
            if isinstance(entry, str):
                name, alias, discard = entry, entry, False
            elif len(entry) == 3:
                name, alias, discard = entry
            else:
                (name, alias), discard = entry, False
            if name in CREDENTIALS or alias in CREDENTIALS:
                continue
            value = response.get(name, (details or {}).get(name))
            if discard and not value:
                continue
            data[alias] = value
        return data

    async def call_user_data(self, access_token: str, *args: Any, **kwargs: Any) -> Any:
        """``user_data``, awaited if it is a coroutine, else run in a worker thread (where
        ``get_json`` may block)."""
        if inspect.iscoroutinefunction(self.user_data):
            return await self.user_data(access_token, *args, **kwargs)

        def call() -> Any:
            return self.user_data(access_token, *args, **kwargs)

        result = await anyio.to_thread.run_sync(call)
        if inspect.isawaitable(result):
            return await result
        return result

    def identity(
        self, response: dict[str, Any], tokens: dict[str, Any] | None = None
    ) -> UpstreamIdentity:
        """The person in ``response`` (the merged token answer and user data)."""
        details = self.get_user_details(response)
        uid = self.get_user_id(details, response)
        if uid is None or str(uid) == "":
            raise AuthFailed(self, Text(N_("The provider did not say who you are (no user id).")))
        return UpstreamIdentity(
            provider=self.name,
            uid=str(uid),
            details=details,
            email_verified=bool(details.get("email")) and self.email_verified(response, details),
            extra_data=self.extra_data(None, str(uid), response, details),
            tokens=dict(tokens or {}),
            response=response,
        )

    def process_error(self, data: dict[str, str]) -> None:
        """The provider's redirect carried an error (RFC 6749 §4.1.2.1)."""
        error = data.get("error")
        if not error:
            return
        if error == "access_denied":
            raise AuthCanceled(self)
        raise AuthFailed(
            self, Text(N_("The provider refused the sign-in (%(error)s)."), error=error[:64])
        )

    # -- HTTP through the outbound client ------------------------------------------------

    async def arequest(self, url: str, method: str = "GET", **kwargs: Any) -> httpx.Response:
        """One request to the provider; a timeout, an unreachable host or a 5xx answer is
        AuthUnreachable, another non-2xx is AuthFailed."""
        import httpx

        try:
            async with self.strategy.http_client() as http:
                response = await http.request(method, url, **kwargs)
        except httpx.HTTPError as exc:
            raise AuthUnreachable(self) from exc
        if response.status_code >= 500:
            raise AuthUnreachable(self)
        if response.status_code >= 400:
            raise AuthFailed(
                self, Text(N_("The provider answered %(status)d."), status=response.status_code)
            )
        return response

    async def aget_json(self, url: str, *args: Any, **kwargs: Any) -> Any:
        response = await self.arequest(url, *args, **kwargs)
        try:
            return response.json()
        except ValueError as exc:
            raise AuthFailed(self, Text(N_("The provider's answer is not JSON."))) from exc

    def request(self, url: str, method: str = "GET", *args: Any, **kwargs: Any) -> httpx.Response:
        """The blocking form of ``arequest``, for a plain ``user_data`` (run in a worker thread)."""
        return self._blocking(self.arequest, url, method, *args, **kwargs)  # type: ignore[no-any-return]

    def get_json(self, url: str, *args: Any, **kwargs: Any) -> Any:
        """The blocking form of ``aget_json``, for a plain ``user_data``."""
        return self._blocking(self.aget_json, url, *args, **kwargs)

    def _blocking(self, call: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return anyio.from_thread.run(lambda: call(*args, **kwargs))
        except RuntimeError as exc:
            if isinstance(exc, AuthException):
                raise
            raise RuntimeError(
                f"{type(self).__name__}: the blocking get_json/request run only in a plain "
                "user_data (Stint runs it in a worker thread); in an async def user_data, "
                "await self.aget_json / self.arequest"
            ) from exc
