"""Typed configuration: the only module that reads the environment.

Values come, highest precedence first, from ``STINT_*`` environment variables, then the TOML file
named by ``STINT_CONFIG`` (or ``stint.toml`` in the working directory), then the defaults below.
Unknown keys and unsafe combinations stop start-up with a message naming them.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import re
import secrets
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from stint.accounts.linking import DEFAULT_PIPELINE, resolve_step
from stint.connectors.config import ProviderConfig
from stint.connectors.registry import UnknownBackendError, backend_class
from stint.mail.smtp import parse_smtp_url
from stint.protocol.grants.registry import GRANTS

__all__ = [
    "ConfigError",
    "Settings",
    "SocialProviderSettings",
    "load_settings",
    "read_or_create_secret",
]

SECRET_FILE_NAME = "secret.key"  # noqa: S105 (a file name)
PROVIDER_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,39}")  # /login/<name>/: URL-safe as it is


class ConfigError(Exception):
    """Configuration is missing, malformed or unsafe; the message says which key and why."""


class SocialProviderSettings(BaseModel):
    """One upstream provider under ``[social.NAME]`` in stint.toml (see ProviderConfig)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    backend: str  # github|google|gitlab|microsoft|oidc|oauth2|oauth1, or a dotted class path
    client_id: str = Field(min_length=1)
    client_secret: str = Field(default="", repr=False)
    issuer: str = ""
    scope: tuple[str, ...] = ()
    label: str = ""
    auto_link_email: bool = False
    store_tokens: bool = False
    allow_sign_up: bool = True
    options: dict[str, Any] = Field(default_factory=dict, repr=False)  # may hold secrets too

    @field_validator("backend")
    @classmethod
    def _known_backend(cls, value: str) -> str:
        try:
            backend_class(value)  # fail at start, not at the first sign-in
        except UnknownBackendError as exc:
            raise ValueError(str(exc)) from None
        return value

    def to_config(self, name: str) -> ProviderConfig:
        return ProviderConfig(
            name=name,
            backend=self.backend,
            client_id=self.client_id,
            client_secret=self.client_secret,
            issuer=self.issuer.rstrip("/"),
            scope=self.scope,
            label=self.label,
            auto_link_email=self.auto_link_email,
            store_tokens=self.store_tokens,
            allow_sign_up=self.allow_sign_up,
            options=dict(self.options),
        )


class Settings(BaseSettings):
    """Every option Stint reads, with its default."""

    model_config = SettingsConfigDict(
        env_prefix="STINT_", extra="forbid", frozen=True, validate_default=True
    )

    environment: Literal["development", "production", "test"] = "development"
    data_dir: Path = Path("data")
    database_url: str = ""
    redis_url: str = ""
    issuer: str = ""
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    workers: int = Field(default=1, ge=1, le=256)
    # The proxies whose X-Forwarded-For/-Proto name the client (comma-separated addresses or
    # networks, "*" for any): behind a load balancer elsewhere, sign-in throttling and the
    # registration limit must see each client's own address, not the balancer's.
    forwarded_allow_ips: str = "127.0.0.1"
    secret_key: str = Field(default="", repr=False)
    access_token_ttl: int = Field(default=600, ge=30, le=86400)
    max_body_bytes: int = Field(default=65536, ge=1024, le=16 * 1024 * 1024)
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    basic_auth_cache_seconds: int = Field(default=60, ge=0, le=3600)
    # Sign-in attempts that failed, to one account from one address, before that pair gets 429.
    # Failures from other addresses never lock the owner out; they slow the answers (backoff).
    login_failures_per_account: int = Field(default=10, ge=1, le=10_000)
    # Failures of one account from every address per window past which each address gets one
    # attempt per window at that account: slows guessing spread over many addresses.
    login_account_failure_ceiling: int = Field(default=100, ge=1, le=1_000_000)
    login_failures_per_ip: int = Field(default=50, ge=1, le=100_000)
    login_failure_window_seconds: int = Field(default=300, ge=10, le=86400)
    login_backoff_base_seconds: float = Field(default=0.25, ge=0, le=10)
    # OAuth 2.0
    # The token endpoint's grants (comma-separated in the environment): one left out is
    # unsupported there and absent from the metadata. The password grant still needs a client
    # an operator gave it to.
    grant_types: Annotated[tuple[str, ...], NoDecode] = tuple(GRANTS)
    refresh_token_ttl: int = Field(default=30 * 86400, ge=60, le=366 * 86400)
    # RFC 9700 §4.14.2: 0, so any replay of a rotated refresh token ends its family. Above 0,
    # a replay this soon after the rotation gets the same successor (two tabs, a lost answer).
    refresh_grace_seconds: int = Field(default=0, ge=0, le=120)
    # Every refresh token of one grant stops working this long after the grant began.
    refresh_family_lifetime_seconds: int = Field(default=90 * 86400, ge=3600, le=5 * 366 * 86400)
    session_ttl_seconds: int = Field(default=12 * 3600, ge=300, le=90 * 86400)
    pkce_required: bool = True  # for every client; public clients always need it
    allow_plain_pkce: bool = False
    # RFC 9700 §2.1.2: response types that return an access token from the authorization
    # endpoint (token, id_token token, code token, code id_token token); still only for clients
    # that register them.
    implicit_enabled: bool = False
    client_cache_seconds: float = Field(default=5.0, ge=0, le=300)
    # The fallback poll of the revocation log, when no push (NOTIFY, Redis) reaches a worker.
    revocation_cache_seconds: float = Field(default=1.0, ge=0, le=60)
    password_hash_concurrency: int = Field(default=4, ge=1, le=64)
    # How stale a worker's view of "is this account disabled" may be, on the token hot path.
    account_status_cache_seconds: float = Field(default=5.0, ge=0, le=300)
    # OpenID Connect
    id_token_ttl: int = Field(default=600, ge=30, le=86400)
    # A rotated-in key is published this long before it signs (relying parties cache JWKS).
    key_publish_seconds: int = Field(default=600, ge=0, le=30 * 86400)
    key_refresh_seconds: float = Field(default=60.0, ge=1, le=3600)  # reload keys from the DB
    jwks_max_age_seconds: int = Field(default=300, ge=0, le=86400)
    registration_enabled: bool = True  # OIDC Dynamic Client Registration / RFC 7591
    # When set, registering a client needs it as a Bearer token (RFC 7591 §3, initial access).
    registration_initial_access_token: str = Field(default="", repr=False)
    # Production registers clients only with that token, unless the operator opts in to open
    # registration (RFC 9700 §4.11.2: anyone could register any redirect URI, a redirector).
    registration_open: bool = False
    registrations_per_ip: int = Field(default=20, ge=1, le=100_000)  # per window, per address
    registration_window_seconds: int = Field(default=3600, ge=10, le=86400)
    request_uri_enabled: bool = True  # RFC 9101 request objects by reference
    # The device authorization grant (RFC 8628), when grant_types names it: how long a device
    # code lives (§3.2 expires_in), how often its device may poll (§3.2 interval), and how many
    # wrong user codes /device takes from one address per window (§5.1: brute force).
    device_code_ttl_seconds: int = Field(default=600, ge=60, le=3600)
    device_poll_interval_seconds: int = Field(default=5, ge=1, le=60)
    device_user_code_failures_per_ip: int = Field(default=10, ge=1, le=10_000)
    device_user_code_window_seconds: int = Field(default=600, ge=10, le=86400)
    backchannel_logout_attempts: int = Field(default=5, ge=1, le=50)
    backchannel_logout_retry_seconds: float = Field(default=2.0, ge=0, le=3600)
    outbound_timeout_seconds: float = Field(default=5.0, gt=0, le=60)
    # Outbound calls (request_uri, sector_identifier_uri, jwks_uri, back-channel logout) may
    # reach private and loopback addresses: by default only when the issuer is itself on a
    # loopback address (a laptop instance calling local apps), whatever the environment (SSRF).
    outbound_allow_private_addresses: bool | None = None
    # CIBA (OpenID CIBA Core 1.0), when its grant type is enabled: ping and push notifications
    # to a client's backchannel_client_notification_endpoint are retried this often, backing
    # off from this many seconds (doubling), then given up (the client can still poll in ping
    # mode, §10.2).
    ciba_notification_attempts: int = Field(default=5, ge=1, le=20)
    ciba_notification_retry_seconds: float = Field(default=2.0, ge=0, le=600)
    # An operator's webhook, POSTed a JSON summary of each new CIBA request (never its
    # auth_req_id), so a company can alert the person in its own app; with a Bearer token if set.
    ciba_webhook_url: str = ""
    ciba_webhook_token: str = Field(default="", repr=False)
    # CIBA Core §7.1 user_code, for apps that register backchannel_user_code_parameter: "off",
    # or "password": the code is the person's Stint password, checked as a sign-in is.
    ciba_user_code: Literal["off", "password"] = "off"
    # Social login: upstream providers by name (``[social.github]``: /login/github/); more are
    # added at run time with `stint social add` (kept in the database).
    social: dict[str, SocialProviderSettings] = Field(default_factory=dict, repr=False)
    # The account-linking steps, in order, by dotted path (stint.accounts.linking).
    social_pipeline: tuple[str, ...] = DEFAULT_PIPELINE
    # How long a sign-in started at a provider may take to come back to /complete/<name>/.
    social_sign_in_seconds: int = Field(default=600, ge=30, le=3600)
    # Sign-up at /signup: off, the page says sign-up is closed (POST /api/users stays open, as
    # before; close it with registration through the CLI only, if need be).
    open_signup: bool = True
    signups_per_ip: int = Field(default=10, ge=1, le=100_000)  # per window, per address
    signup_window_seconds: int = Field(default=3600, ge=10, le=86400)
    # Mail (verification and password-reset links). Unset: development writes each mail to the
    # log; production says on the pages that mail is not available.
    smtp_url: str = Field(default="", repr=False)
    mail_from: str = ""  # default: Stint <no-reply@the issuer's host>
    email_verification_ttl_seconds: int = Field(default=86400, ge=300, le=30 * 86400)
    password_reset_ttl_seconds: int = Field(default=3600, ge=300, le=86400)
    # Mails asked for (reset, resend) per window: per account, and per address of the asker.
    mails_per_account: int = Field(default=5, ge=1, le=10_000)
    mails_per_ip: int = Field(default=20, ge=1, le=100_000)
    mail_window_seconds: int = Field(default=3600, ge=10, le=86400)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml_path = os.environ.get("STINT_CONFIG") or "stint.toml"
        return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls, toml_path))

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        if value and not value.startswith(("sqlite", "postgresql")):
            raise ValueError("must be a sqlite:// or postgresql:// URL")
        return value

    @field_validator("grant_types", mode="before")
    @classmethod
    def _comma_separated(cls, value: Any) -> Any:
        if isinstance(value, str):
            return tuple(name.strip() for name in value.split(",") if name.strip())
        return value

    @field_validator("grant_types")
    @classmethod
    def _known_grants(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [name for name in value if name not in GRANTS]
        if unknown:
            raise ValueError(f"unknown grant type {', '.join(unknown)}; known: {', '.join(GRANTS)}")
        if not value:
            raise ValueError(f"must name at least one of {', '.join(GRANTS)}")
        return tuple(dict.fromkeys(value))

    @field_validator("ciba_webhook_url")
    @classmethod
    def _webhook_shape(cls, value: str) -> str:
        if value and not value.startswith(("https://", "http://")):
            raise ValueError("must be an http(s) URL")
        return value

    @field_validator("social")
    @classmethod
    def _provider_names(
        cls, value: dict[str, SocialProviderSettings]
    ) -> dict[str, SocialProviderSettings]:
        for name in value:
            if not PROVIDER_NAME.fullmatch(name):
                raise ValueError(f"provider name {name!r}: use a-z, 0-9, - and _ (it is in URLs)")
        return value

    @field_validator("social_pipeline")
    @classmethod
    def _pipeline_paths(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for path in value:
            if path not in DEFAULT_PIPELINE:  # Stint's own import by construction
                resolve_step(path)  # ValueError naming the step
        return value

    @field_validator("issuer")
    @classmethod
    def _issuer_shape(cls, value: str) -> str:
        # RFC 8414 §2: the issuer is an https URL with no query or fragment.
        if value and (
            "?" in value or "#" in value or not value.startswith(("https://", "http://"))
        ):
            raise ValueError("must be an http(s) URL without query or fragment")
        return value.rstrip("/")

    @model_validator(mode="after")
    def _refresh_tokens_within_their_family(self) -> Settings:
        if self.refresh_token_ttl > self.refresh_family_lifetime_seconds:
            raise ValueError(
                "STINT_REFRESH_TOKEN_TTL must not exceed STINT_REFRESH_FAMILY_LIFETIME_SECONDS"
            )
        return self

    @field_validator("smtp_url")
    @classmethod
    def _smtp_url_shape(cls, value: str) -> str:
        if value:
            parse_smtp_url(value)  # its ValueError names what is wrong
        return value

    @model_validator(mode="after")
    def _safe_in_production(self) -> Settings:
        if self.environment == "production":
            if not self.issuer.startswith("https://"):
                raise ValueError("production needs STINT_ISSUER set to an https:// URL")
            if self.secret_key and len(self.secret_key) < 32:
                raise ValueError("STINT_SECRET_KEY must be at least 32 characters")
            if self.allow_plain_pkce:
                raise ValueError("plain PKCE is not allowed in production (RFC 9700 §2.1.1)")
            if self.ciba_webhook_url.startswith("http://"):
                raise ValueError("STINT_CIBA_WEBHOOK_URL must be https:// in production")
        return self

    @property
    def effective_database_url(self) -> str:
        """The configured URL, or the SQLite file in the data folder."""
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'stint.sqlite3').resolve()}"

    @property
    def effective_outbound_allow_private(self) -> bool:
        if self.outbound_allow_private_addresses is not None:
            return self.outbound_allow_private_addresses
        return _is_loopback_host(urlsplit(self.effective_issuer).hostname or "")

    @property
    def effective_registration_open(self) -> bool:
        """Anyone may register a client, with no initial access token (RFC 7591 §3)."""
        if self.registration_initial_access_token:
            return False
        return self.registration_open or self.environment != "production"

    @property
    def ciba_user_codes(self) -> bool:
        """CIBA apps may register backchannel_user_code_parameter (CIBA Core §4)."""
        return self.ciba_user_code != "off"

    @property
    def effective_mail_from(self) -> str:
        if self.mail_from:
            return self.mail_from
        return f"Stint <no-reply@{urlsplit(self.effective_issuer).hostname or 'localhost'}>"

    @property
    def effective_issuer(self) -> str:
        return self.issuer or f"http://{self.host}:{self.port}"


def _is_loopback_host(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def load_settings(**overrides: Any) -> Settings:
    """Read and validate the configuration, or raise ConfigError with every problem listed."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'settings'}: {err['msg']}"
            for err in exc.errors()
        )
        raise ConfigError(f"invalid configuration: {problems}") from None
    except (tomllib.TOMLDecodeError, OSError) as exc:
        raise ConfigError(f"cannot read the configuration file: {exc}") from None


def read_or_create_secret(settings: Settings) -> bytes:
    """The instance secret: from STINT_SECRET_KEY, else a 0600 file made once in the data folder.

    Creation is atomic (write a temporary file, then link it into place), so workers that start
    together all end up with the one secret that won the race.
    """
    if settings.secret_key:
        return settings.secret_key.encode()
    path = settings.data_dir / SECRET_FILE_NAME
    try:
        return _read_secret(path)
    except FileNotFoundError:
        pass
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{SECRET_FILE_NAME}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_urlsafe(48) + "\n")
        with contextlib.suppress(FileExistsError):  # another worker won; use its secret
            os.link(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return _read_secret(path)


def _read_secret(path: Path) -> bytes:
    mode = path.stat().st_mode & 0o777
    if mode & 0o077:
        raise ConfigError(f"{path} is readable by others (mode {mode:o}); chmod 600 it")
    value = path.read_text().strip()
    if len(value) < 32:
        raise ConfigError(f"{path} holds too short a secret")
    return value.encode()
