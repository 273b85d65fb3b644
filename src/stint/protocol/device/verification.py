"""What the /device page does (RFC 8628 §3.3): find the request a person's user code names, then
record their approval, as the authorization endpoint records one, or their denial."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from stint.protocol.authorize.response import Authentication, user_approval
from stint.protocol.clients import Client
from stint.protocol.consent import Consent
from stint.protocol.device import DEVICE_CODE_GRANT
from stint.protocol.device.ports import DeviceAuthorizationStore, DeviceStatus
from stint.protocol.device.user_code import normalise
from stint.protocol.oidc.claims import ClaimsRequest
from stint.protocol.ports import ClientStore
from stint.protocol.tokens import Subject, TokenFactory

__all__ = ["DeviceVerification", "PendingDevice"]


@dataclass(frozen=True, slots=True)
class PendingDevice:
    """A request waiting for a person's answer: which app asks, for what, until when."""

    device_code_hash: str
    client: Client
    scopes: frozenset[str]
    expires_at: datetime

    @property
    def asked_consent(self) -> Consent:
        """What approving agrees to (the scopes; the device flow names no claims)."""
        return Consent.asked(self.scopes, ClaimsRequest())


class DeviceVerification:
    """Look up, approve and deny device requests by their user code.

    ``openid``: whether this deployment issues ID tokens (then an approval of the openid scope
    carries the authentication behind it, and the session takes part in logout).
    """

    def __init__(
        self,
        store: DeviceAuthorizationStore,
        clients: ClientStore,
        tokens: TokenFactory,
        *,
        openid: bool = True,
    ) -> None:
        self._store = store
        self._clients = clients
        self._tokens = tokens
        self._openid = openid

    async def lookup(self, user_code: str) -> PendingDevice | None:
        """The pending request ``user_code`` (as a person typed it) names; None when it names
        none that still waits: unknown, answered already, expired, or its client is gone."""
        code = normalise(user_code)
        if code is None:
            return None
        found = await self._store.by_user_code(self._tokens.hasher.hash(code))
        if found is None or found.status is not DeviceStatus.PENDING:
            return None
        if found.expires_at <= self._tokens.now():
            return None
        client = await self._clients.get(found.client_id)
        if client is None or not client.allows_grant(DEVICE_CODE_GRANT):
            return None
        return PendingDevice(found.device_code_hash, client, found.scopes, found.expires_at)

    async def approve(
        self,
        pending: PendingDevice,
        subject: Subject,
        authn: Authentication,
        *,
        consent: Consent | None = None,
    ) -> bool:
        """Record the approval of the signed-in ``subject`` (``consent``: given just now) and
        link it to the request; False when the request no longer waits (answered or expired)."""
        if subject.user_id is None:
            raise ValueError("only a signed-in user can approve")
        openid = self._openid and "openid" in pending.scopes
        approval, _ = user_approval(
            self._tokens,
            pending.client,
            subject,
            pending.scopes,
            authn,
            openid=openid,
            consent=consent,
        )
        return await self._store.approve(pending.device_code_hash, approval, now=self._tokens.now())

    async def deny(self, pending: PendingDevice, user_id: int) -> bool:
        """Record the denial (the device's next poll: access_denied); False when the request
        no longer waits."""
        return await self._store.deny(pending.device_code_hash, user_id, now=self._tokens.now())
