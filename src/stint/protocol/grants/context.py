"""What the grant handlers share: the token factory and the stores they read and change."""

from __future__ import annotations

from dataclasses import dataclass

from stint.protocol.ciba.ports import BackchannelRequestStore
from stint.protocol.device.ports import DeviceAuthorizationStore
from stint.protocol.oidc.id_token import IdTokenIssuer
from stint.protocol.ports import (
    AuthorizationCodeStore,
    GrantStore,
    RefreshTokenStore,
    UserDirectory,
)
from stint.protocol.tokens import TokenFactory

__all__ = ["GrantContext"]


@dataclass(frozen=True, slots=True)
class GrantContext:
    tokens: TokenFactory
    grants: GrantStore
    codes: AuthorizationCodeStore
    refresh_tokens: RefreshTokenStore
    users: UserDirectory
    # RFC 9700 §4.14.2: by default any replay of a rotated refresh token ends its family.
    refresh_grace_seconds: int = 0
    # A family (every refresh token of one grant) ends this long after the grant began.
    refresh_family_seconds: int = 90 * 86400
    id_tokens: IdTokenIssuer | None = None  # None: an OAuth-only deployment
    # CIBA (urn:openid:params:grant-type:ciba): None where the deployment does not offer it.
    backchannel_requests: BackchannelRequestStore | None = None
    # RFC 8628: the device flow's requests (None where the device grant is not built).
    device_authorizations: DeviceAuthorizationStore | None = None
