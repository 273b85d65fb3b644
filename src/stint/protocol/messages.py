"""Typed requests the HTTP adapters build for the endpoints."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from stint.protocol.client_auth.credentials import ClientCredentials

__all__ = ["EndpointRequest"]


@dataclass(frozen=True, slots=True)
class EndpointRequest:
    """A form-encoded request to the token, revocation or introspection endpoint."""

    params: Mapping[str, str]
    credentials: ClientCredentials = field(default_factory=ClientCredentials)
    client_ip: str = "unknown"
