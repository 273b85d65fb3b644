"""Social login's settings: ``[social.NAME]`` in stint.toml, checked when Stint starts."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from stint.accounts.linking import DEFAULT_PIPELINE
from stint.connectors.base import BaseAuth
from stint.settings import ConfigError, load_settings


class OperatorBackend(BaseAuth):
    """A backend class of the operator's, named by dotted path."""

    name = "operator"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.startswith("STINT_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


def test_providers_come_from_social_tables_with_their_options(tmp_path: Path) -> None:
    (tmp_path / "stint.toml").write_text(
        """
[social.company]
backend = "oidc"
client_id = "stint"
client_secret = "s3cret-value"
issuer = "https://id.example.com/"
scope = ["groups"]
label = "Company SSO"
auto_link_email = true
store_tokens = true
allow_sign_up = false

[social.company.options]
ID_TOKEN_MAX_AGE = 300

[social.ours]
backend = "tests.test_social_settings.OperatorBackend"
client_id = "abc"
"""
    )
    settings = load_settings()
    company = settings.social["company"].to_config("company")
    assert company.backend == "oidc"
    assert company.issuer == "https://id.example.com"  # as discovery joins it
    assert company.scope == ("groups",)
    assert (company.label, company.auto_link_email, company.store_tokens) == (
        "Company SSO",
        True,
        True,
    )
    assert company.allow_sign_up is False
    assert company.backend_settings()["ID_TOKEN_MAX_AGE"] == 300
    assert company.backend_settings()["SECRET"] == "s3cret-value"
    assert settings.social["ours"].to_config("ours").allow_sign_up is True
    assert settings.social_pipeline == DEFAULT_PIPELINE
    assert settings.social_sign_in_seconds == 600


def test_a_client_secret_never_shows_in_the_settings_repr(tmp_path: Path) -> None:
    (tmp_path / "stint.toml").write_text(
        '[social.x]\nbackend = "oidc"\nclient_id = "id"\nclient_secret = "s3cret-value"\n'
    )
    settings = load_settings()
    assert "s3cret-value" not in repr(settings)
    assert "s3cret-value" not in repr(settings.social["x"])
    assert "s3cret-value" not in repr(settings.social["x"].to_config("x"))


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ('[social.x]\nbackend = "myspace"\nclient_id = "id"\n', "unknown backend 'myspace'"),
        ('[social.x]\nbackend = "nowhere.Backend"\nclient_id = "id"\n', "cannot import nowhere"),
        ('[social.x]\nbackend = "os.path"\nclient_id = "id"\n', "os has no path|not a backend"),
        ('[social.x]\nbackend = "oidc"\n', "social.x.client_id"),
        ('[social.x]\nbackend = "oidc"\nclient_id = "i"\nscopes = ["a"]\n', "scopes"),
        ('[social."Bad Name"]\nbackend = "oidc"\nclient_id = "i"\n', "provider name"),
        ('social_pipeline = ["nowhere.step"]\n', "pipeline step .nowhere.step. cannot be imported"),
        ("social_sign_in_seconds = 5\n", "social_sign_in_seconds"),
    ],
)
def test_a_bad_provider_stops_start_up_naming_it(tmp_path: Path, toml: str, message: str) -> None:
    (tmp_path / "stint.toml").write_text(toml)
    with pytest.raises(ConfigError, match=message):
        load_settings()


def test_an_operator_step_joins_the_pipeline_by_dotted_path(tmp_path: Path) -> None:
    steps = [*DEFAULT_PIPELINE, "tests.test_social_settings.only_example_com"]
    (tmp_path / "stint.toml").write_text(f"social_pipeline = {steps!r}\n".replace("'", '"'))
    assert load_settings().social_pipeline[-1] == "tests.test_social_settings.only_example_com"


def only_example_com(attempt: object) -> None:
    """An operator's pipeline step (see stint.accounts.linking)."""
