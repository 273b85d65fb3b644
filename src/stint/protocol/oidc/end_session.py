"""The end-session request (OpenID Connect RP-Initiated Logout 1.0 §2, §3): which app asks to
sign the user out, and where, if anywhere, the browser may be sent afterwards."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from stint.protocol.clients import Client
from stint.protocol.errors import InvalidRequestError
from stint.protocol.jws import audiences
from stint.protocol.keys import KeyRing
from stint.protocol.oidc.id_token_hint import verified_id_token_hint
from stint.protocol.ports import ClientStore

__all__ = ["END_SESSION_PARAMETERS", "EndSessionRequest", "EndSessionValidator"]

# §2: the parameters of the request, all optional.
END_SESSION_PARAMETERS = (
    "id_token_hint",
    "logout_hint",
    "client_id",
    "post_logout_redirect_uri",
    "state",
    "ui_locales",
)
_MAX_LENGTH = 2048  # id_token_hint has its own limit (id_token_hint.py)


@dataclass(frozen=True, slots=True)
class EndSessionRequest:
    client: Client | None = None
    post_logout_redirect_uri: str | None = None  # only ever one the client registered
    state: str | None = None
    subject: str | None = None  # the id_token_hint's sub, as the client saw the user
    sid: str | None = None  # the id_token_hint's sid
    logout_hint: str | None = None
    ui_locales: tuple[str, ...] = ()
    hinted: bool = False  # an id_token_hint came with the request and was verified

    @property
    def redirect_needs_confirmation(self) -> bool:
        """§2: without a valid id_token_hint the request may come from anyone, so the browser
        goes to the post_logout_redirect_uri only once the person has confirmed."""
        return self.post_logout_redirect_uri is not None and not self.hinted

    @property
    def redirect_url(self) -> str | None:
        """Where to send the browser once signed out, with ``state`` added (§3); None: nowhere."""
        uri = self.post_logout_redirect_uri
        if uri is None or self.state is None:
            return uri
        # The registered URI may carry a query of its own: keep it and add state to it.
        return f"{uri}{'&' if '?' in uri else '?'}{urlencode({'state': self.state})}"


class EndSessionValidator:
    def __init__(self, clients: ClientStore, keys: KeyRing, issuer: str) -> None:
        self._clients = clients
        self._keys = keys
        self._issuer = issuer

    async def validate(self, params: Mapping[str, str]) -> EndSessionRequest:
        """The checked request; InvalidRequestError (never to be redirected) when it is not."""
        values = {name: params.get(name) or None for name in END_SESSION_PARAMETERS}
        for name, value in values.items():
            if value is not None and name != "id_token_hint" and len(value) > _MAX_LENGTH:
                raise InvalidRequestError(f"{name} is too long")
        claims: dict[str, Any] = {}
        hint = values["id_token_hint"]
        if hint is not None:
            claims = await verified_id_token_hint(hint, self._keys, self._issuer)
        client_id = values["client_id"]
        if hint is not None:
            hinted = _hinted_client_id(claims)
            # §2: a client_id sent with a hint must be the client the ID token was issued to.
            if client_id is not None and client_id not in audiences(claims.get("aud")):
                raise InvalidRequestError("client_id does not match the id_token_hint")
            client_id = client_id or hinted
        client = None
        if client_id is not None:
            client = await self._clients.get(client_id)
            if client is None:
                raise InvalidRequestError("the app asking to sign you out is not registered")
        uri = values["post_logout_redirect_uri"]
        if uri is not None:
            if client is None:
                # §2: without knowing the client, the OP cannot know the URI is the client's.
                raise InvalidRequestError(
                    "post_logout_redirect_uri needs an id_token_hint or client_id"
                )
            # §3: exactly one the client registered (simple string comparison, RFC 3986 §6.2.1).
            registered = client.meta("post_logout_redirect_uris") or []
            if not isinstance(registered, list) or uri not in registered:
                raise InvalidRequestError("post_logout_redirect_uri is not registered for the app")
        sub, sid = claims.get("sub"), claims.get("sid")
        return EndSessionRequest(
            client=client,
            post_logout_redirect_uri=uri,
            state=values["state"],
            subject=sub if isinstance(sub, str) else None,
            sid=sid if isinstance(sid, str) else None,
            logout_hint=values["logout_hint"],
            ui_locales=tuple((values["ui_locales"] or "").split()),
            hinted=hint is not None,
        )


def _hinted_client_id(claims: dict[str, Any]) -> str:
    """The client an ID token was issued to: its one ``aud``, or ``azp`` among several (Core §2)."""
    auds = audiences(claims.get("aud"))
    if len(auds) == 1:
        return auds[0]
    azp = claims.get("azp")
    if isinstance(azp, str) and azp in auds:
        return azp
    raise InvalidRequestError("id_token_hint does not name the app it was issued to")
