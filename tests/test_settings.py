"""Configuration: environment and TOML, validation, and the instance secret file."""

from __future__ import annotations

import os
import stat
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from stint.settings import ConfigError, Settings, load_settings, read_or_create_secret


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.startswith("STINT_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


def test_environment_overrides_the_toml_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "stint.toml").write_text('port = 9000\nlog_level = "debug"\n')
    monkeypatch.setenv("STINT_PORT", "9100")
    settings = load_settings()
    assert settings.port == 9100
    assert settings.log_level == "debug"


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ("prot = 80\n", "prot"),
        ("port = 70000\n", "port"),
        ('database_url = "mysql://x"\n', "database_url"),
        ('environment = "production"\n', "https"),
        ("refresh_token_ttl = 8000000\n", "REFRESH_FAMILY_LIFETIME"),  # beyond 90 days
    ],
)
def test_bad_configuration_stops_start_up_naming_the_key(
    tmp_path: Path, toml: str, message: str
) -> None:
    (tmp_path / "stint.toml").write_text(toml)
    with pytest.raises(ConfigError, match=message):
        load_settings()


def test_config_file_is_chosen_by_stint_config(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    path = tmp_path / "elsewhere.toml"
    path.write_text("workers = 3\n")
    monkeypatch.setenv("STINT_CONFIG", str(path))
    assert load_settings().workers == 3


def test_default_database_is_sqlite_in_the_data_folder(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "d")
    assert settings.effective_database_url.startswith("sqlite+aiosqlite:///")
    assert settings.effective_database_url.endswith("/d/stint.sqlite3")


def test_secret_is_created_once_with_mode_0600(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    first = read_or_create_secret(settings)
    assert len(first) >= 32
    mode = stat.S_IMODE((tmp_path / "data" / "secret.key").stat().st_mode)
    assert mode == 0o600
    assert read_or_create_secret(settings) == first


def test_workers_creating_the_secret_together_share_one(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    with ThreadPoolExecutor(8) as pool:
        secrets = set(pool.map(lambda _: read_or_create_secret(settings), range(16)))
    assert len(secrets) == 1
    assert [p.name for p in (tmp_path / "data").iterdir()] == ["secret.key"]


def test_a_secret_file_others_can_read_is_refused(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    read_or_create_secret(settings)
    (tmp_path / "data" / "secret.key").chmod(0o644)
    with pytest.raises(ConfigError, match="chmod 600"):
        read_or_create_secret(settings)


def test_secret_from_the_environment_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STINT_SECRET_KEY", "s" * 40)
    assert read_or_create_secret(load_settings()) == b"s" * 40


@pytest.mark.parametrize(
    ("issuer", "environment", "allowed"),
    [
        ("", "development", True),  # http://127.0.0.1:8000: a laptop instance calls local apps
        ("http://localhost:8000", "development", True),
        ("http://[::1]:8000", "test", True),
        ("http://127.0.0.2:8000", "development", True),
        ("https://stint.example", "development", False),
        ("http://stint.internal", "test", False),
        ("http://10.0.0.5:8000", "development", False),
        ("https://stint.example", "production", False),
    ],
)
def test_the_private_address_guard_is_on_unless_the_issuer_is_a_loopback_address(
    issuer: str, environment: str, allowed: bool
) -> None:
    settings = Settings(issuer=issuer, environment=environment)
    assert settings.effective_outbound_allow_private is allowed


def test_the_operator_may_still_set_the_private_address_guard_explicitly() -> None:
    assert not Settings(outbound_allow_private_addresses=False).effective_outbound_allow_private
    lab = Settings(issuer="http://stint.lab", outbound_allow_private_addresses=True)
    assert lab.effective_outbound_allow_private


@pytest.mark.parametrize(
    ("changes", "open_to_anyone"),
    [
        ({}, False),
        ({"registration_open": True}, True),
        ({"registration_initial_access_token": "t" * 32}, False),
        ({"registration_initial_access_token": "t" * 32, "registration_open": True}, False),
    ],
)
def test_production_registers_clients_only_with_an_initial_access_token_unless_opted_in(
    changes: dict[str, object], open_to_anyone: bool
) -> None:
    settings = Settings(environment="production", issuer="https://stint.example", **changes)  # type: ignore[arg-type]
    assert settings.effective_registration_open is open_to_anyone


def test_outside_production_registration_stays_open_by_default() -> None:
    assert Settings(environment="development").effective_registration_open


def test_rfc_9700_defaults() -> None:
    settings = load_settings()
    assert settings.refresh_grace_seconds == 0  # §4.14.2: any replay ends the family
    assert settings.refresh_family_lifetime_seconds == 90 * 86400
    assert settings.implicit_enabled is False  # §2.1.2: no access token in the front channel


def test_grant_types_come_comma_separated_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert load_settings().grant_types == (
        "authorization_code",
        "refresh_token",
        "client_credentials",
        "password",
        "urn:ietf:params:oauth:grant-type:device_code",
        "urn:openid:params:grant-type:ciba",
    )
    monkeypatch.setenv("STINT_GRANT_TYPES", "authorization_code, refresh_token")
    assert load_settings().grant_types == ("authorization_code", "refresh_token")


@pytest.mark.parametrize("value", ["authorization_code,device_code", ""])
def test_an_unknown_or_no_grant_type_stops_start_up(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("STINT_GRANT_TYPES", value)
    with pytest.raises(ConfigError, match="grant_types"):
        load_settings()


@pytest.mark.parametrize(
    ("environment", "url", "problem"),
    [
        ("development", "ftp://hooks.example/ciba", r"must be an http\(s\) URL"),
        ("production", "http://hooks.example/ciba", "must be https:// in production"),
    ],
)
def test_the_ciba_webhook_is_an_http_url_and_https_in_production(
    environment: str, url: str, problem: str
) -> None:
    with pytest.raises(ConfigError, match=problem):
        load_settings(environment=environment, issuer="https://stint.example", ciba_webhook_url=url)
    assert load_settings(ciba_webhook_url="http://10.0.0.5/hook").ciba_webhook_url


def test_the_ciba_webhook_token_stays_out_of_the_settings_repr() -> None:
    settings = Settings(ciba_webhook_url="https://hooks.example/", ciba_webhook_token="s3cret")
    assert "s3cret" not in repr(settings)


def test_ciba_user_codes_are_off_unless_set_to_password() -> None:
    assert load_settings().ciba_user_codes is False
    assert load_settings(ciba_user_code="password").ciba_user_codes is True
    with pytest.raises(ConfigError, match="ciba_user_code"):
        load_settings(ciba_user_code="pin")  # no other kind of code exists
