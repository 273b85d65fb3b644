"""Stints for social login end to end: a downstream Stint that signs people in through upstream
providers (``[social.NAME]`` in its TOML file), and a second Stint as one of those upstreams.

Both are real `stint serve` processes (tests.conftest.running_server). The downstream's port is
chosen first, because the redirect URI registered upstream (``/complete/NAME/``) names it. The
upstream Stint is reached as ``localhost``, the downstream as ``127.0.0.1``: cookies do not
isolate by port (RFC 6265 §8.5), so on one host name the two Stints' session cookies would be
one cookie in the browser.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.conftest import PASSWORD, LiveServer, running_server

__all__ = [
    "Downstream",
    "UpstreamStint",
    "downstream_stint",
    "free_port",
    "social_toml",
    "upstream_stint",
]


def free_port() -> int:
    """A loopback port free now, for a server started soon after."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass(frozen=True)
class Downstream:
    """Where the downstream Stint will listen, known before it starts."""

    port: int

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def redirect_uri(self, name: str) -> str:
        """The redirect URI to register at provider ``name`` (python-social-auth's route)."""
        return f"{self.base_url}/complete/{name}/"


def social_toml(providers: Mapping[str, Mapping[str, Any]]) -> str:
    """``[social.NAME]`` tables for stint.toml (strings, booleans, lists of strings)."""
    lines: list[str] = []
    for name, options in providers.items():
        lines.append(f"[social.{name}]")
        # JSON's strings, booleans and arrays of strings are TOML's too.
        lines += [f"{key} = {json.dumps(value)}" for key, value in options.items()]
        lines.append("")
    return "\n".join(lines)


@contextmanager
def downstream_stint(
    data: Path,
    where: Downstream,
    providers: Mapping[str, Mapping[str, Any]],
    *,
    template: Path | None = None,
    **settings: str,
) -> Iterator[LiveServer]:
    """`stint serve` at ``where`` with the upstream ``providers`` in its TOML file."""
    data.mkdir(parents=True, exist_ok=True)
    config = data / "stint.toml"
    config.write_text(social_toml(providers))
    with running_server(
        data,
        access_log=False,
        bin_dir=None,
        template=template,
        port=where.port,
        STINT_CONFIG=str(config),
        **settings,
    ) as server:
        yield server


@dataclass(frozen=True)
class UpstreamStint:
    """A second Stint as an OpenID provider: one person and one client (the downstream)."""

    server: LiveServer  # its base_url is 127.0.0.1 (for the tests' own HTTP calls)
    issuer: str  # http://localhost:PORT: what browsers and the downstream use
    client_id: str
    client_secret: str
    username: str
    password: str
    email: str

    def provider(self, **options: Any) -> dict[str, Any]:
        """Its ``[social.NAME]`` table for the downstream: the ``oidc`` backend by issuer."""
        return {
            "backend": "oidc",
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "issuer": self.issuer,
            **options,
        }


@contextmanager
def upstream_stint(
    data: Path,
    redirect_uri: str,
    *,
    username: str = "ada",
    email: str = "ada@upstream.test",
    template: Path | None = None,
    auth_method: str | None = None,
) -> Iterator[UpstreamStint]:
    """A Stint whose user ``username`` has ``email`` (verified) and whose confidential client
    "Downstream Stint" may ask for openid, profile and email at ``redirect_uri``;
    ``auth_method``: its token endpoint auth method (default: `stint clients create`'s)."""
    port = free_port()
    issuer = f"http://localhost:{port}"
    with running_server(
        data,
        access_log=False,
        bin_dir=None,
        template=template,
        port=port,
        STINT_ISSUER=issuer,
    ) as server:
        server.create_user(username)
        server.stint("users", "profile", username, "--set", f"email={email}", "--verify-email")
        # openid and email are OpenID Connect scopes, open to every client; profile also
        # lets a token read /api/me.
        options = ["--redirect-uri", redirect_uri, "--scope", "profile"]
        if auth_method is not None:
            options += ["--auth-method", auth_method]
        client_id, secret = server.create_client("Downstream Stint", *options)
        assert secret is not None
        yield UpstreamStint(server, issuer, client_id, secret, username, PASSWORD, email)
