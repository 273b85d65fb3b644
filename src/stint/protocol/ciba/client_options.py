"""A client's CIBA settings as an operator (``stint clients create``) or a developer
(/developer/apps) chooses them: checked by the same rules as dynamic registration (CIBA Core
§4), and reported as a ClientSpecError like the client's other settings."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from stint.protocol.ciba.registration import BACKCHANNEL_FIELDS, check_backchannel
from stint.protocol.errors import InvalidClientMetadataError
from stint.protocol.oidc.client_metadata import parse_fields
from stint.protocol.registration import ClientSpecError

__all__ = ["BACKCHANNEL_FIELDS", "backchannel_metadata", "without_backchannel"]


def backchannel_metadata(
    grant_types: Iterable[str],
    *,
    mode: str | None,
    notification_endpoint: str | None,
    loopback: bool,
    user_code: bool = False,
    user_codes: bool = False,
) -> dict[str, Any]:
    """The ``backchannel_*`` metadata to register, or ClientSpecError("backchannel", ...).

    ``user_code``: the client sends user_code (§7.1); ``user_codes``: the deployment checks them.
    """
    chosen = {
        "backchannel_token_delivery_mode": mode or None,
        "backchannel_client_notification_endpoint": notification_endpoint or None,
        "backchannel_user_code_parameter": True if user_code else None,
    }
    try:
        fields = parse_fields(chosen, loopback=loopback)
        check_backchannel(fields, frozenset(grant_types), user_codes=user_codes)
    except InvalidClientMetadataError as exc:
        raise ClientSpecError({"backchannel": exc.description}) from None
    return fields


def without_backchannel(metadata: dict[str, Any]) -> dict[str, Any]:
    """A client's metadata with its CIBA settings taken out (to replace them)."""
    return {k: v for k, v in metadata.items() if k not in BACKCHANNEL_FIELDS}
