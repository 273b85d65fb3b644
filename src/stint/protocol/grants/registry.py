"""The grant registry: every grant type Stint knows, one row each; settings pick the enabled ones.

Adding a grant is one module under ``stint.protocol.grants`` and one row in ``GRANTS``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from stint.protocol.ciba.grant import CibaGrant
from stint.protocol.grants import GrantHandler
from stint.protocol.grants.authorization_code import AuthorizationCodeGrant
from stint.protocol.grants.client_credentials import ClientCredentialsGrant
from stint.protocol.grants.context import GrantContext
from stint.protocol.grants.device_code import DeviceCodeGrant
from stint.protocol.grants.password import PasswordGrant
from stint.protocol.grants.refresh_token import RefreshTokenGrant

__all__ = ["GRANTS", "enabled_grants"]

GRANTS: Mapping[str, Callable[[GrantContext], GrantHandler]] = {
    AuthorizationCodeGrant.grant_type: AuthorizationCodeGrant,  # RFC 6749 §4.1
    RefreshTokenGrant.grant_type: RefreshTokenGrant,  # RFC 6749 §6
    ClientCredentialsGrant.grant_type: ClientCredentialsGrant,  # RFC 6749 §4.4
    PasswordGrant.grant_type: PasswordGrant,  # RFC 6749 §4.3, for clients an operator allows
    DeviceCodeGrant.grant_type: DeviceCodeGrant,  # RFC 8628 §3.4
    CibaGrant.grant_type: CibaGrant,  # CIBA Core §10.1
}


def enabled_grants(names: Iterable[str], context: GrantContext) -> dict[str, GrantHandler]:
    """The handlers of the named grants only: a grant left out cannot be reached."""
    enabled: dict[str, GrantHandler] = {}
    for name in names:
        make = GRANTS.get(name)
        if make is None:
            raise ValueError(f"unknown grant type {name!r}; known: {', '.join(GRANTS)}")
        enabled[name] = make(context)
    return enabled
