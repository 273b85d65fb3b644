"""What the /approve page does with backchannel requests: list the signed-in person's pending
ones, approve one (recording the same Approval the authorization endpoint does), or deny it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from stint.protocol.authorize.response import Authentication, user_approval
from stint.protocol.ciba.ports import BackchannelRequest, BackchannelRequestStore
from stint.protocol.clients import Client
from stint.protocol.consent import Consent
from stint.protocol.oidc.acr import stated_acr_for
from stint.protocol.oidc.claims import ClaimsRequest
from stint.protocol.ports import ClientStore, ConsentStore
from stint.protocol.tokens import Subject, TokenFactory

__all__ = ["BackchannelApprovals", "PendingApproval"]


@dataclass(frozen=True, slots=True)
class PendingApproval:
    """One request as /approve shows it: which app asks for what, and its binding message."""

    request: BackchannelRequest
    client: Client
    consent: Consent  # what approving agrees to (scopes, claims asked by name)
    consented_before: bool  # the user's remembered consent already covers it

    @property
    def handle(self) -> str:
        return self.request.handle


class BackchannelApprovals:
    def __init__(
        self,
        *,
        requests: BackchannelRequestStore,
        clients: ClientStore,
        consents: ConsentStore,
        tokens: TokenFactory,
        openid: bool = True,  # an ID token will be issued (the deployment runs OIDC)
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._requests = requests
        self._clients = clients
        self._consents = consents
        self._tokens = tokens
        self._openid = openid
        self._clock = clock

    async def pending(self, user_id: int) -> list[PendingApproval]:
        """The user's requests waiting for an answer, oldest first."""
        found: list[PendingApproval] = []
        for request in await self._requests.pending_for(user_id, self._clock()):
            client = await self._clients.get(request.client_id)
            if client is None:
                continue  # the client was deleted meanwhile: nothing to approve
            asked = _asked(request)
            before = await self._consents.granted(user_id, client.client_id)
            found.append(PendingApproval(request, client, asked, before.covers(asked)))
        return found

    async def approve(
        self, user_id: int, username: str, handle: str, authn: Authentication
    ) -> BackchannelRequest | None:
        """Approve the user's pending request ``handle`` from a session authenticated as
        ``authn``; the approved request, or None when it is not (or no longer) pending."""
        request = await self._requests.by_handle(handle)
        if request is None or request.user_id != user_id:
            return None
        client = await self._clients.get(request.client_id)
        if client is None:
            return None
        claims = ClaimsRequest.from_json(request.claims)
        acr = stated_acr_for(request.acr_values, claims, authn.acr)
        # As at the authorization endpoint: the grant, the consent just given (remembered for
        # later requests), and the session the client now takes part in (back-channel logout).
        # CIBA has no nonce: the auth_req_id binds the ID token instead (§10.3.1).
        approval, _ = user_approval(
            self._tokens,
            client,
            Subject(user_id, username),
            request.scopes,
            replace(authn, acr=acr),
            openid=self._openid,
            consent=_asked(request),
            claims=claims,
        )
        return await self._requests.decide(handle, user_id, self._clock(), approval)

    async def deny(self, user_id: int, handle: str) -> BackchannelRequest | None:
        """Deny the user's pending request: access_denied for the client (§11, §12)."""
        return await self._requests.decide(handle, user_id, self._clock(), None)


def _asked(request: BackchannelRequest) -> Consent:
    return Consent.asked(request.scopes, ClaimsRequest.from_json(request.claims))
