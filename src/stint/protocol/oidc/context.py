"""How and when the user authenticated, carried from the authorization step to every ID token
issued under the grant (authorization code, then refresh, OIDC Core §12.2)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from stint.protocol.oidc.claims import ClaimsRequest

__all__ = ["AuthContext"]


@dataclass(frozen=True, slots=True)
class AuthContext:
    auth_time: int  # seconds since the epoch (§2)
    sid: str = ""
    acr: str = ""
    amr: tuple[str, ...] = ("pwd",)
    claims: ClaimsRequest = field(default_factory=ClaimsRequest)
    nonce: str | None = None

    @classmethod
    def at(cls, auth_time: datetime, **kwargs: Any) -> AuthContext:
        return cls(auth_time=int(auth_time.timestamp()), **kwargs)

    def to_json(self) -> dict[str, Any]:
        return {
            "auth_time": self.auth_time,
            "sid": self.sid,
            "acr": self.acr,
            "amr": list(self.amr),
            "claims": self.claims.to_json(),
            "nonce": self.nonce,
        }

    @classmethod
    def from_json(cls, value: Mapping[str, Any]) -> AuthContext:
        return cls(
            auth_time=int(value.get("auth_time", 0)),
            sid=str(value.get("sid", "")),
            acr=str(value.get("acr", "")),
            amr=tuple(value.get("amr") or ("pwd",)),
            claims=ClaimsRequest.from_json(value.get("claims")),
            nonce=value.get("nonce"),
        )
