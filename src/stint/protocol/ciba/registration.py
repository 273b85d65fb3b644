"""A client's CIBA registration checked across its fields (CIBA Core §4): its token delivery
mode, the notification endpoint ping and push need, keys for signed requests, and user codes
where the deployment checks them."""

from __future__ import annotations

from typing import Any

from stint.protocol.ciba import GRANT_TYPE, NOTIFIED_MODES
from stint.protocol.errors import InvalidClientMetadataError
from stint.protocol.texts import N_, Text

__all__ = ["BACKCHANNEL_FIELDS", "check_backchannel"]

BACKCHANNEL_FIELDS = (
    "backchannel_token_delivery_mode",
    "backchannel_client_notification_endpoint",
    "backchannel_authentication_request_signing_alg",
    "backchannel_user_code_parameter",
)


def check_backchannel(
    fields: dict[str, Any], grant_types: list[str] | frozenset[str], *, user_codes: bool = False
) -> None:
    """Raise invalid_client_metadata unless the CIBA fields fit together and the grant types;
    ``user_codes``: the deployment checks user codes (STINT_CIBA_USER_CODE)."""
    mode = fields.get("backchannel_token_delivery_mode")
    if GRANT_TYPE not in grant_types:
        given = [name for name in BACKCHANNEL_FIELDS if name in fields]
        if given:
            raise InvalidClientMetadataError(
                Text(
                    N_("%(field)s needs the grant type %(grant)s"), field=given[0], grant=GRANT_TYPE
                )
            )
        return
    if mode is None:
        # §4: REQUIRED for a client that uses CIBA.
        raise InvalidClientMetadataError(
            Text(N_("%(grant)s needs backchannel_token_delivery_mode"), grant=GRANT_TYPE)
        )
    endpoint = fields.get("backchannel_client_notification_endpoint")
    if mode in NOTIFIED_MODES and endpoint is None:
        # §4: REQUIRED for ping and push.
        raise InvalidClientMetadataError(
            Text(
                N_(
                    "backchannel_token_delivery_mode %(mode)s needs"
                    " backchannel_client_notification_endpoint"
                ),
                mode=mode,
            )
        )
    if mode == "poll" and endpoint is not None:
        raise InvalidClientMetadataError(
            Text(N_("backchannel_client_notification_endpoint is for ping and push, not poll"))
        )
    if fields.get("token_endpoint_auth_method") == "none":
        raise InvalidClientMetadataError(
            Text(N_("%(grant)s needs a confidential client"), grant=GRANT_TYPE)
        )
    if "backchannel_authentication_request_signing_alg" in fields and not (
        "jwks" in fields or "jwks_uri" in fields
    ):
        raise InvalidClientMetadataError(
            Text(N_("backchannel_authentication_request_signing_alg needs jwks or jwks_uri"))
        )
    if fields.get("backchannel_user_code_parameter") and not user_codes:
        # §4: only where the OP says backchannel_user_code_parameter_supported.
        raise InvalidClientMetadataError(
            Text(
                N_(
                    "backchannel_user_code_parameter is not supported: this server checks no"
                    " user codes"
                )
            )
        )
