"""A client's CIBA metadata (CIBA Core §4) in a registration request, checked without HTTP."""

from __future__ import annotations

from typing import Any

import pytest
from joserfc.jwk import ECKey

from stint.protocol.ciba import GRANT_TYPE
from stint.protocol.ciba.client_options import backchannel_metadata
from stint.protocol.errors import InvalidClientMetadataError
from stint.protocol.oidc.client_registration import RegistrationPolicy, check_metadata
from stint.protocol.registration import ClientSpecError

pytestmark = pytest.mark.anyio

NOTIFY = "https://rp.example/ciba/notify"
JWKS = {"keys": [ECKey.generate_key("P-256").as_dict(private=False)]}


async def _register(
    *, loopback: bool = False, user_codes: bool = False, **body: Any
) -> dict[str, Any]:
    request = {"grant_types": [GRANT_TYPE], **body}
    policy = RegistrationPolicy(loopback_urls=loopback, ciba_user_codes=user_codes)
    checked = await check_metadata(request, policy, None)
    return {"grant_types": sorted(checked.grant_types), **checked.metadata}


async def test_a_client_registers_each_delivery_mode() -> None:
    poll = await _register(backchannel_token_delivery_mode="poll")
    assert poll["grant_types"] == [GRANT_TYPE]
    assert poll["backchannel_token_delivery_mode"] == "poll"
    for mode in ("ping", "push"):
        registered = await _register(
            backchannel_token_delivery_mode=mode,
            backchannel_client_notification_endpoint=NOTIFY,
        )
        assert registered["backchannel_client_notification_endpoint"] == NOTIFY


async def test_signed_requests_may_be_required_with_registered_keys() -> None:
    registered = await _register(
        backchannel_token_delivery_mode="poll",
        backchannel_authentication_request_signing_alg="ES256",
        jwks=JWKS,
    )
    assert registered["backchannel_authentication_request_signing_alg"] == "ES256"


async def test_user_codes_may_be_registered_where_the_deployment_checks_them() -> None:
    body: dict[str, Any] = {
        "backchannel_token_delivery_mode": "poll",
        "backchannel_user_code_parameter": True,
    }
    assert (await _register(user_codes=True, **body))["backchannel_user_code_parameter"] is True
    with pytest.raises(InvalidClientMetadataError, match="checks no user codes"):
        await _register(**body)  # §4: not where backchannel_user_code_parameter_supported is false
    with pytest.raises(InvalidClientMetadataError, match="true or false"):
        await _register(user_codes=True, **{**body, "backchannel_user_code_parameter": "yes"})


def test_operators_and_developers_choose_user_codes_under_the_same_rule() -> None:
    chosen = backchannel_metadata(
        [GRANT_TYPE],
        mode="poll",
        notification_endpoint=None,
        loopback=False,
        user_code=True,
        user_codes=True,
    )
    assert chosen["backchannel_user_code_parameter"] is True
    with pytest.raises(ClientSpecError) as refused:
        backchannel_metadata(
            [GRANT_TYPE], mode="poll", notification_endpoint=None, loopback=False, user_code=True
        )
    assert "checks no user codes" in refused.value.problems["backchannel"]
    plain = backchannel_metadata(
        [GRANT_TYPE], mode="poll", notification_endpoint=None, loopback=False
    )
    assert "backchannel_user_code_parameter" not in plain


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ({}, "needs backchannel_token_delivery_mode"),
        ({"backchannel_token_delivery_mode": "carrier-pigeon"}, "must be one of"),
        ({"backchannel_token_delivery_mode": "ping"}, "needs backchannel_client_notification"),
        ({"backchannel_token_delivery_mode": "push"}, "needs backchannel_client_notification"),
        (
            {
                "backchannel_token_delivery_mode": "poll",
                "backchannel_client_notification_endpoint": NOTIFY,
            },
            "not poll",
        ),
        (
            {
                "backchannel_token_delivery_mode": "ping",
                "backchannel_client_notification_endpoint": "http://rp.example/notify",
            },
            "https",
        ),
        (
            {
                "backchannel_token_delivery_mode": "ping",
                "backchannel_client_notification_endpoint": NOTIFY + "#frag",
            },
            "fragment",
        ),
        (
            {
                "backchannel_token_delivery_mode": "poll",
                "backchannel_authentication_request_signing_alg": "none",
            },
            "must be one of",
        ),
        (
            {
                "backchannel_token_delivery_mode": "poll",
                "backchannel_authentication_request_signing_alg": "ES256",
            },
            "needs jwks",
        ),
        (
            {"backchannel_token_delivery_mode": "poll", "backchannel_user_code_parameter": True},
            "not supported",
        ),
        (
            {"backchannel_token_delivery_mode": "poll", "token_endpoint_auth_method": "none"},
            "confidential",
        ),
    ],
)
async def test_a_ciba_registration_that_does_not_fit_is_refused(
    body: dict[str, Any], problem: str
) -> None:
    with pytest.raises(InvalidClientMetadataError, match=problem):
        await _register(**body)


async def test_ciba_fields_need_the_ciba_grant() -> None:
    with pytest.raises(InvalidClientMetadataError, match="needs the grant type"):
        await check_metadata(
            {
                "redirect_uris": ["https://rp.example/cb"],
                "backchannel_token_delivery_mode": "poll",
            },
            RegistrationPolicy(),
            None,
        )


async def test_a_notification_endpoint_on_loopback_http_is_for_development_only() -> None:
    body: dict[str, Any] = {
        "backchannel_token_delivery_mode": "ping",
        "backchannel_client_notification_endpoint": "http://127.0.0.1:8123/notify",
    }
    with pytest.raises(InvalidClientMetadataError, match="https"):
        await _register(**body)
    assert (await _register(loopback=True, **body))["backchannel_token_delivery_mode"] == "ping"


async def test_the_ciba_grant_is_refused_where_the_deployment_turned_it_off() -> None:
    policy = RegistrationPolicy(grant_types=frozenset({"authorization_code"}))
    with pytest.raises(InvalidClientMetadataError, match="not enabled"):
        await check_metadata(
            {"grant_types": [GRANT_TYPE], "backchannel_token_delivery_mode": "poll"},
            policy,
            None,
        )
