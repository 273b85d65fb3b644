"""The services an endpoint reaches through ``request.app.state``: built once by the app factory."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request

from stint.accounts.service import AccountService
from stint.protocol.first_party import FirstPartyTokens
from stint.timetracking.service import TimeTracking
from stint.web.security import Authenticator

__all__ = ["Services", "services"]


@dataclass(frozen=True, slots=True)
class Services:
    accounts: AccountService
    authenticate: Authenticator
    first_party: FirstPartyTokens
    timetracking: TimeTracking


def services(request: Request) -> Services:
    found: Services = request.app.state.services
    return found
