"""Grant types of the token endpoint (RFC 6749 §4, §6): one module each, in a registry.

``registry.GRANTS`` lists them; only the grants the deployment enables (``STINT_GRANT_TYPES``)
are built and handed to the token endpoint, so a disabled grant cannot be reached.
"""

from __future__ import annotations

from typing import Any, Protocol

from stint.protocol.clients import Client
from stint.protocol.messages import EndpointRequest

__all__ = ["GrantHandler"]


class GrantHandler(Protocol):
    grant_type: str

    async def exchange(self, client: Client, request: EndpointRequest) -> dict[str, Any]:
        """Check the grant and return the token response body (RFC 6749 §5.1)."""
        ...
