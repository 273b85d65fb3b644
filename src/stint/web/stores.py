"""The authorization server's SQL stores, each typed as the port its users need."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from stint.accounts.sessions import SessionStore
from stint.protocol.ciba.ports import BackchannelRequestStore
from stint.protocol.device.ports import DeviceAuthorizationStore
from stint.protocol.first_party import FirstPartyGrants
from stint.protocol.oidc.ports import SessionClients
from stint.protocol.ports import (
    AuthorizationCodeStore,
    ClientRegistry,
    ConsentStore,
    GrantStore,
    OpaqueTokenStore,
    RefreshTokenStore,
    RevokedTokenStore,
    TokenRecords,
    UserGrants,
)
from stint.storage.backchannel_request_store import SqlBackchannelRequestStore
from stint.storage.code_store import SqlAuthorizationCodeStore
from stint.storage.consent_store import SqlConsentStore
from stint.storage.database import Database
from stint.storage.device_authorization_store import SqlDeviceAuthorizationStore
from stint.storage.grant_store import SqlGrantStore
from stint.storage.opaque_token_store import SqlOpaqueTokenStore
from stint.storage.refresh_token_store import SqlRefreshTokenStore
from stint.storage.revocation_log import SqlRevocationLog
from stint.storage.revoked_token_store import SqlRevokedTokenStore
from stint.storage.session_client_store import SqlSessionClientStore
from stint.storage.session_store import SqlSessionStore

__all__ = ["GrantRecords", "OAuthStores", "sql_oauth_stores"]


class GrantRecords(GrantStore, FirstPartyGrants, UserGrants, Protocol):
    """Every use the features make of the grant store: tokens, first-party tokens, /account."""


@dataclass(frozen=True)
class OAuthStores:
    """The authorization server's records, each typed as the port its users need."""

    clients: ClientRegistry
    grants: GrantRecords
    codes: AuthorizationCodeStore
    refresh_tokens: RefreshTokenStore
    opaque_tokens: OpaqueTokenStore
    revoked: RevokedTokenStore
    consents: ConsentStore
    sessions: SessionStore
    session_clients: SessionClients
    device_authorizations: DeviceAuthorizationStore  # RFC 8628
    backchannel_requests: BackchannelRequestStore  # CIBA Core §7

    @property
    def records(self) -> TokenRecords:
        """Every record that says whether an issued token still stands."""
        return TokenRecords(self.grants, self.refresh_tokens, self.opaque_tokens, self.revoked)


def sql_oauth_stores(
    db: Database, revocation_log: SqlRevocationLog, clients: ClientRegistry, secret: bytes
) -> OAuthStores:
    """The stores over ``db``; those that revoke record it in ``revocation_log``, those that
    keep secrets to use again seal them under the instance ``secret``."""
    return OAuthStores(
        clients=clients,
        grants=SqlGrantStore(db, revocation_log),
        codes=SqlAuthorizationCodeStore(db),
        refresh_tokens=SqlRefreshTokenStore(db),
        opaque_tokens=SqlOpaqueTokenStore(db),
        revoked=SqlRevokedTokenStore(db, revocation_log),
        consents=SqlConsentStore(db),
        sessions=SqlSessionStore(db),
        session_clients=SqlSessionClientStore(db),
        device_authorizations=SqlDeviceAuthorizationStore(db),
        backchannel_requests=SqlBackchannelRequestStore(db, secret),
    )
