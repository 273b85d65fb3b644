"""Credentials never land in ``extra_data`` (stored in the clear beside the identity): only in
``tokens``, which Stint keeps sealed, and only when the operator asks it to. python-social-auth
backends often list ``refresh_token`` or ``access_token`` in EXTRA_DATA; Stint's must be safe
with the same lines."""

from __future__ import annotations

from stint.connectors.config import ProviderConfig
from stint.connectors.oauth import BaseOAuth2
from stint.connectors.strategy import Strategy


class _ExampleOAuth2(BaseOAuth2):
    """As python-social-auth's backends write EXTRA_DATA (its Google backend, for one)."""

    name = "example"
    EXTRA_DATA = [  # noqa: RUF012 (python-social-auth's shape)
        ("id", "id"),
        ("refresh_token", "refresh_token", True),
        ("access_token", "token"),
        ("expires_in", "expires"),
        "id_token",
    ]


def test_credentials_in_extra_data_are_left_out_and_kept_as_tokens() -> None:
    answer = {
        "id": 7,
        "access_token": "at-secret",
        "refresh_token": "rt-secret",
        "id_token": "a.b.c",
        "expires_in": 3600,
    }
    tokens = {k: answer[k] for k in ("access_token", "refresh_token", "id_token", "expires_in")}
    identity = _ExampleOAuth2(Strategy()).identity(answer, tokens)
    assert identity.extra_data == {"id": 7, "expires": 3600}
    assert "secret" not in repr(identity)
    assert identity.tokens["refresh_token"] == "rt-secret"


def test_a_providers_options_are_not_in_its_repr() -> None:
    # Options carry backend settings such as a private key (python-social-auth's Apple backend).
    config = ProviderConfig("apple", "x.Apple", "id", "s3cret", options={"SECRET_KEY": "pk-secret"})
    assert "s3cret" not in repr(config)
    assert "pk-secret" not in repr(config)
