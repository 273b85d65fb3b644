"""`stint social add | list | remove` on a fresh SQLite data folder."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from stint.cli.main import app

SECRET = "upstream-client-secret-value"


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    for name in list(os.environ):
        if name.startswith("STINT_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    env = {"STINT_DATA_DIR": str(tmp_path / "data"), "STINT_ISSUER": "https://stint.example"}
    assert run(env, "migrate")[0] == 0
    return env


def run(env: dict[str, str], *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args), env={"COLUMNS": "200", **env})
    return result.exit_code, result.output


def said(out: str) -> str:
    """The output with rich's line wrapping and table borders undone."""
    return " ".join(out.replace("│", " ").replace("┃", " ").split())


def _add(env: dict[str, str], name: str, *extra: str) -> tuple[int, str]:
    return run(
        env, "social", "add", name, "--client-id", "cid-1", "--client-secret", SECRET, *extra
    )


def test_an_added_provider_is_listed_with_its_redirect_uri_and_never_its_secret(
    env: dict[str, str], tmp_path: Path
) -> None:
    code, out = _add(env, "github", "--backend", "github", "--label", "GitHub")
    assert code == 0, out
    assert "https://stint.example/complete/github/" in said(out)
    code, out = run(env, "social", "list")
    assert code == 0, out
    listed = said(out)
    assert "github" in listed and "cid-1" in listed
    assert "https://stint.example/complete/github/" in out.replace("\n", "").replace(" ", "")
    assert SECRET not in out
    # At rest the secret is sealed: the database file never holds it in the clear.
    with sqlite3.connect(tmp_path / "data" / "stint.sqlite3") as conn:
        dump = "\n".join(conn.iterdump())
    assert SECRET not in dump
    assert "cid-1" in dump


def test_a_provider_is_added_with_its_issuer_scopes_and_options(env: dict[str, str]) -> None:
    code, out = _add(
        env,
        "company",
        "--backend",
        "oidc",
        "--issuer",
        "https://id.example.com/",
        "--scope",
        "groups",
        "--scope",
        "offline_access",
        "--auto-link-email",
        "--option",
        "ID_KEY=sub",
    )
    assert code == 0, out
    code, out = run(env, "social", "list")
    assert "company" in said(out) and "oidc" in said(out)


def test_removing_a_provider(env: dict[str, str]) -> None:
    assert _add(env, "gitlab", "--backend", "gitlab")[0] == 0
    code, out = run(env, "social", "remove", "gitlab")
    assert code == 0, out
    assert "gitlab" not in said(run(env, "social", "list")[1])
    code, out = run(env, "social", "remove", "gitlab")
    assert code == 1
    assert "no provider 'gitlab'" in said(out)


@pytest.mark.parametrize(
    ("name", "backend", "message"),
    [
        ("myspace", "myspace", "unknown backend 'myspace'"),
        ("mine", "nowhere.Backend", "cannot import nowhere"),
        ("Not A Name", "github", "provider name"),
        ("x", "github", ""),  # accepted: one letter is a name
    ],
)
def test_an_unusable_backend_or_name_is_refused(
    env: dict[str, str], name: str, backend: str, message: str
) -> None:
    code, out = _add(env, name, "--backend", backend)
    if not message:
        assert code == 0, out
        return
    assert code == 1
    assert message in said(out)
    assert name not in said(run(env, "social", "list")[1])


def test_a_provider_configured_in_stint_toml_is_changed_there(
    env: dict[str, str], tmp_path: Path
) -> None:
    (tmp_path / "stint.toml").write_text(
        '[social.github]\nbackend = "github"\nclient_id = "from-toml"\nclient_secret = "x"\n'
    )
    code, out = _add(env, "github", "--backend", "github")
    assert code == 1
    assert "configured in stint.toml" in said(out)
    listed = said(run(env, "social", "list")[1])
    assert "from-toml" in listed and "stint.toml" in listed
