"""`stint clients create | list | rotate-secret | delete` on a fresh SQLite data folder."""

from __future__ import annotations

import asyncio
import os
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from stint.cli.main import app
from stint.protocol.clients import Client
from stint.protocol.secrets import SecretHasher
from stint.settings import Settings, read_or_create_secret
from stint.storage.client_store import SqlClientStore
from stint.storage.database import Database

PASSWORD = "a long enough passphrase"
REDIRECT = "https://app.example/callback"


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    for name in list(os.environ):
        if name.startswith("STINT_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    env = {"STINT_DATA_DIR": str(tmp_path / "data")}
    assert run(env, "migrate")[0] == 0
    return env


def run(env: dict[str, str], *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args), env=env)
    return result.exit_code, result.output


def said(out: str) -> str:
    """The output with rich's line wrapping undone."""
    return " ".join(out.split())


def field(out: str, name: str) -> str | None:
    found = re.search(rf"^{name}\s+(\S+)$", out, re.MULTILINE)
    return found.group(1) if found else None


def stored(env: dict[str, str], client_id: str) -> Client | None:
    settings = Settings(data_dir=Path(env["STINT_DATA_DIR"]))

    async def go() -> Client | None:
        db = Database(settings.effective_database_url)
        try:
            return await SqlClientStore(db, cache_seconds=0).get(client_id)
        finally:
            await db.dispose()

    return asyncio.run(go())


def secret_matches(env: dict[str, str], client_id: str, secret: str) -> bool:
    client = stored(env, client_id)
    assert client is not None and client.secret_hash is not None
    settings = Settings(data_dir=Path(env["STINT_DATA_DIR"]))
    return SecretHasher(read_or_create_secret(settings)).matches(secret, client.secret_hash)


def test_create_prints_the_id_and_the_secret_once(env: dict[str, str]) -> None:
    code, out = run(env, "clients", "create", "Web app", "--redirect-uri", REDIRECT)
    assert code == 0, out
    client_id, secret = field(out, "client_id"), field(out, "client_secret")
    assert client_id and secret
    assert out.count(secret) == 1
    assert "Store the secret now" in out
    client = stored(env, client_id)
    assert client is not None
    assert client.name == "Web app"
    assert client.redirect_uris == (REDIRECT,)
    assert client.grant_types == {"authorization_code", "refresh_token"}
    assert client.token_endpoint_auth_method == "client_secret_basic"
    assert client.secret_hash is not None and secret not in client.secret_hash
    assert secret_matches(env, client_id, secret)
    # The secret is never shown again.
    code, listed = run(env, "clients", "list")
    assert code == 0, listed
    assert client_id in listed and "Web app" in listed
    assert secret not in listed


def test_create_with_every_option(env: dict[str, str]) -> None:
    assert run(env, "users", "create", "grace", "--password", PASSWORD)[0] == 0
    code, out = run(
        env,
        "clients",
        "create",
        "Reports service",
        "--grant-type",
        "client_credentials",
        "--scope",
        "reports:read",
        "--scope",
        "profile",
        "--auth-method",
        "client_secret_post",
        "--opaque-tokens",
        "--introspect",
        "--owner",
        "Grace",
    )
    assert code == 0, out
    client_id = field(out, "client_id")
    assert client_id is not None and field(out, "client_secret")
    client = stored(env, client_id)
    assert client is not None
    assert client.grant_types == {"client_credentials"}
    assert client.scopes == {"reports:read", "profile"}
    assert client.token_endpoint_auth_method == "client_secret_post"
    assert client.opaque_access_tokens and client.may_introspect
    assert client.owner_id is not None


@pytest.mark.parametrize(
    ("uri", "options", "reason"),
    [
        ("http://app.example/cb", [], "must use https"),
        ("http://localhost:8080/cb", [], "use 127.0.0.1 rather than localhost"),
        ("https://app.example/cb#top", [], "must not contain a fragment"),
        ("https://*.app.example/cb", [], "must not contain wildcards"),
        ("javascript:alert(1)", ["--allow-http"], "may not use the javascript scheme"),
    ],
)
def test_a_bad_redirect_uri_exits_1_with_the_reason(
    env: dict[str, str], uri: str, options: list[str], reason: str
) -> None:
    code, out = run(env, "clients", "create", "Bad", "--redirect-uri", uri, *options)
    assert code == 1, out
    assert "redirect_uris" in out and reason in said(out)
    assert field(out, "client_id") is None and field(out, "client_secret") is None
    assert "Bad" not in run(env, "clients", "list")[1]


def test_a_grant_switched_off_is_refused_with_the_reason(env: dict[str, str]) -> None:
    off = {**env, "STINT_GRANT_TYPES": "client_credentials"}
    code, out = run(off, "clients", "create", "Web", "--redirect-uri", REDIRECT)
    assert code == 1
    assert "grant_types: authorization_code, refresh_token: not enabled on this server" in said(out)
    code, out = run(off, "clients", "create", "Svc", "--grant-type", "client_credentials")
    assert code == 0, out


def test_allow_http_admits_a_plain_http_redirect_uri(env: dict[str, str]) -> None:
    code, out = run(
        env, "clients", "create", "Dev", "--redirect-uri", "http://dev.example/cb", "--allow-http"
    )
    assert code == 0, out


@pytest.mark.parametrize(
    ("options", "reason"),
    [
        ([], "redirect_uris: at least one is needed"),
        (["--type", "secret"], "client_type: must be confidential or public"),
        (["--grant-type", "magic"], "grant_types: choose from"),
        (["--scope", "everything"], "scopes: choose from"),
        (["--auth-method", "none"], "token_endpoint_auth_method: public clients use none"),
        (
            ["--type", "public", "--grant-type", "client_credentials"],
            "public clients cannot use client_credentials",
        ),
    ],
)
def test_invalid_settings_exit_1_with_the_reason(
    env: dict[str, str], options: list[str], reason: str
) -> None:
    code, out = run(env, "clients", "create", "Bad", *options)
    assert code == 1, out
    assert reason in said(out)


def test_a_public_client_has_no_secret(env: dict[str, str]) -> None:
    code, out = run(
        env,
        "clients",
        "create",
        "Desktop",
        "--type",
        "public",
        "--redirect-uri",
        "http://127.0.0.1/callback",
    )
    assert code == 0, out
    client_id = field(out, "client_id")
    assert client_id is not None
    assert "client_secret" not in out and "Store the secret" not in out
    client = stored(env, client_id)
    assert client is not None
    assert client.secret_hash is None
    assert client.token_endpoint_auth_method == "none"
    assert "public" in run(env, "clients", "list")[1]
    code, out = run(env, "clients", "rotate-secret", client_id)
    assert code == 1, out
    assert "public clients have no secret" in out


def test_rotate_secret_prints_a_new_one_and_the_old_stops_matching(env: dict[str, str]) -> None:
    out = run(env, "clients", "create", "Rotating", "--redirect-uri", REDIRECT)[1]
    client_id, old = field(out, "client_id"), field(out, "client_secret")
    assert client_id and old
    code, out = run(env, "clients", "rotate-secret", client_id)
    assert code == 0, out
    new = field(out, "client_secret")
    assert new and new != old
    assert secret_matches(env, client_id, new)
    assert not secret_matches(env, client_id, old)
    code, out = run(env, "clients", "rotate-secret", "no-such-client")
    assert code == 1 and "no client 'no-such-client'" in out


def test_delete_removes_the_client(env: dict[str, str]) -> None:
    out = run(env, "clients", "create", "Doomed", "--redirect-uri", REDIRECT)[1]
    kept_out = run(env, "clients", "create", "Kept", "--redirect-uri", REDIRECT)[1]
    client_id, kept = field(out, "client_id"), field(kept_out, "client_id")
    assert client_id and kept
    code, out = run(env, "clients", "delete", client_id)
    assert code == 0, out
    assert f"deleted {client_id}" in out
    assert stored(env, client_id) is None
    listed = run(env, "clients", "list")[1]
    assert client_id not in listed and "Doomed" not in listed
    assert kept in listed
    code, out = run(env, "clients", "delete", client_id)
    assert code == 1 and "no client" in out


def test_an_unknown_owner_fails(env: dict[str, str]) -> None:
    code, out = run(
        env,
        "clients",
        "create",
        "Orphan",
        "--grant-type",
        "client_credentials",
        "--owner",
        "nobody",
    )
    assert code == 1, out
    assert "no user 'nobody'" in out
    assert "Orphan" not in run(env, "clients", "list")[1]


def test_an_unmigrated_database_is_refused_with_the_remedy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in list(os.environ):
        if name.startswith("STINT_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    fresh = {"STINT_DATA_DIR": str(tmp_path / "fresh")}
    for args in (("list",), ("create", "Early", "--redirect-uri", REDIRECT), ("delete", "x")):
        code, out = run(fresh, "clients", *args)
        assert code == 1, out
        assert "run `stint migrate` first" in said(out)


def test_an_operator_gives_a_client_the_password_grant(env: dict[str, str]) -> None:
    """RFC 9700 §2.4: the one way to the password grant, kept for migrating old clients."""
    code, out = run(env, "clients", "create", "Legacy CLI", "--grant-type", "password")
    assert code == 0, out
    client_id = field(out, "client_id")
    assert client_id
    client = stored(env, client_id)
    assert client is not None
    assert client.grant_types == {"password"}


def test_a_device_client_needs_no_redirect_uri(env: dict[str, str]) -> None:
    device = "urn:ietf:params:oauth:grant-type:device_code"  # RFC 8628 §3.4
    code, out = run(
        env, "clients", "create", "Wall clock", "--type", "public", "--grant-type", device
    )
    assert code == 0, out
    client_id = field(out, "client_id")
    assert client_id is not None
    client = stored(env, client_id)
    assert client is not None and client.grant_types == {device}
    off = {**env, "STINT_GRANT_TYPES": "authorization_code,refresh_token"}
    code, out = run(off, "clients", "create", "TV", "--type", "public", "--grant-type", device)
    assert code == 1
    assert f"grant_types: {device}: not enabled on this server" in said(out)


CIBA = "urn:openid:params:grant-type:ciba"


@pytest.mark.parametrize(
    ("mode", "endpoint"),
    [("poll", None), ("ping", "https://till.example/cb"), ("push", "https://till.example/cb")],
)
def test_create_a_ciba_client_for_each_delivery_mode(
    env: dict[str, str], mode: str, endpoint: str | None
) -> None:
    options = ["--grant-type", CIBA, "--backchannel-token-delivery-mode", mode]
    if endpoint is not None:
        options += ["--backchannel-client-notification-endpoint", endpoint]
    code, out = run(env, "clients", "create", "Till", *options)
    assert code == 0, out
    client_id = field(out, "client_id")
    assert client_id is not None
    client = stored(env, client_id)
    assert client is not None
    assert client.grant_types == {CIBA}
    assert client.meta("backchannel_token_delivery_mode") == mode
    assert client.meta("backchannel_client_notification_endpoint") == endpoint


@pytest.mark.parametrize(
    ("options", "reason"),
    [
        ([], "needs backchannel_token_delivery_mode"),
        (["--backchannel-token-delivery-mode", "ping"], "needs backchannel_client_notification"),
        (["--backchannel-token-delivery-mode", "smoke-signals"], "backchannel_token_delivery_mode"),
        (
            [
                "--backchannel-token-delivery-mode",
                "push",
                "--backchannel-client-notification-endpoint",
                "http://till.example/cb",
            ],
            "backchannel_client_notification_endpoint",
        ),
    ],
)
def test_a_ciba_client_registered_wrong_exits_1_with_the_reason(
    env: dict[str, str], options: list[str], reason: str
) -> None:
    code, out = run(env, "clients", "create", "Till", "--grant-type", CIBA, *options)
    assert code == 1, out
    assert "backchannel" in out and reason in said(out)
    assert "Till" not in run(env, "clients", "list")[1]


def test_ciba_settings_without_the_ciba_grant_are_refused(env: dict[str, str]) -> None:
    code, out = run(
        env, "clients", "create", "Web", "--redirect-uri", REDIRECT,
        "--backchannel-token-delivery-mode", "poll",
    )  # fmt: skip
    assert code == 1, out
    assert "needs the grant type" in said(out)


def test_a_ciba_client_sends_user_code_only_where_the_deployment_checks_them(
    env: dict[str, str],
) -> None:
    options = ["--grant-type", CIBA, "--backchannel-token-delivery-mode", "poll"]
    options += ["--backchannel-user-code-parameter"]
    code, out = run(env, "clients", "create", "Agent desk", *options)
    assert code == 1, out
    assert "checks no user codes" in said(out)  # STINT_CIBA_USER_CODE is off by default
    code, out = run(
        {**env, "STINT_CIBA_USER_CODE": "password"}, "clients", "create", "Agent desk", *options
    )
    assert code == 0, out
    client_id = field(out, "client_id")
    assert client_id is not None
    client = stored(env, client_id)
    assert client is not None
    assert client.meta("backchannel_user_code_parameter") is True
