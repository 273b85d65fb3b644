"""The device authorization endpoint (RFC 8628 §3.1-3.2): a client asks for a device code and a
user code, and is told where the person goes to enter it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from stint.protocol.client_auth import authenticate_client
from stint.protocol.device import DEVICE_CODE_GRANT
from stint.protocol.device.ports import DeviceAuthorization, DeviceAuthorizationStore
from stint.protocol.device.user_code import display, new_user_code
from stint.protocol.errors import ServerError, UnauthorizedClientError
from stint.protocol.messages import EndpointRequest
from stint.protocol.ports import ClientStore
from stint.protocol.scopes import scopes_to_ask
from stint.protocol.secrets import SecretHasher, new_secret

__all__ = ["DeviceAuthorizationEndpoint", "DeviceFlowPolicy"]

_USER_CODE_DRAWS = 5  # a draw collides with a live code about once in 10**9 when 25 are live


@dataclass(frozen=True, slots=True)
class DeviceFlowPolicy:
    """The deployment's device flow: where people go, and how long and how often devices poll."""

    verification_uri: str  # §3.2: short and easy to type, e.g. https://stint.example/device
    expires_in: int = 600  # seconds the device and user codes live (§3.2)
    interval: int = 5  # seconds between polls (§3.2: 5 when the response omits it)


class DeviceAuthorizationEndpoint:
    def __init__(
        self,
        clients: ClientStore,
        hasher: SecretHasher,
        store: DeviceAuthorizationStore,
        policy: DeviceFlowPolicy,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._clients = clients
        self._hasher = hasher
        self._store = store
        self._policy = policy
        self._clock = clock

    async def handle(self, request: EndpointRequest) -> dict[str, Any]:
        """The §3.2 response to a §3.1 request, or an OAuthError (RFC 6749 §5.2, per §3.2)."""
        # §3.1: a confidential client authenticates as at the token endpoint (RFC 6749 §3.2.1);
        # a public one names itself with client_id.
        client = await authenticate_client(request.credentials, self._clients, self._hasher)
        if not client.allows_grant(DEVICE_CODE_GRANT):
            raise UnauthorizedClientError("this client is not registered for the device flow")
        scopes = scopes_to_ask(request.params.get("scope"), client.scopes)
        policy = self._policy
        device_code = new_secret()  # §5.2: unguessable; 256 bits, stored only as a keyed hash
        now = self._clock()
        for _ in range(_USER_CODE_DRAWS):
            user_code = new_user_code()
            stored = await self._store.add(
                DeviceAuthorization(
                    device_code_hash=self._hasher.hash(device_code),
                    user_code_hash=self._hasher.hash(user_code),
                    client_id=client.client_id,
                    scopes=scopes,
                    interval=policy.interval,
                    created_at=now,
                    expires_at=now + timedelta(seconds=policy.expires_in),
                )
            )
            if stored:
                break
        else:
            raise ServerError(detail="no free user code after several draws")
        shown = display(user_code)
        return {
            "device_code": device_code,
            "user_code": shown,
            "verification_uri": policy.verification_uri,
            # §3.3.1: the same page with the code filled in (for a QR code or a link).
            "verification_uri_complete": _with_user_code(policy.verification_uri, shown),
            "expires_in": policy.expires_in,
            "interval": policy.interval,
        }


def _with_user_code(uri: str, user_code: str) -> str:
    return f"{uri}{'&' if '?' in uri else '?'}{urlencode({'user_code': user_code})}"
