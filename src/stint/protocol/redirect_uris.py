"""The redirect URIs a client may register: one validator for the developer pages, the command
line and dynamic registration (RFC 6749 §3.1.2, RFC 8252 §7-8, RFC 9700 §2.1, OIDC
Registration §2). Requests are then matched exactly (``Client.allows_redirect_uri``)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from stint.protocol.texts import N_, Text

__all__ = ["MAX_REDIRECT_URIS", "RedirectUriRules", "redirect_uri_problem", "redirect_uris_problem"]

MAX_REDIRECT_URIS = 20
_MAX_LENGTH = 2000
_LOOPBACK_IPS = ("127.0.0.1", "::1")
_LOOPBACK_HOSTS = (*_LOOPBACK_IPS, "localhost")
_NEVER_SCHEMES = ("javascript", "data", "file", "vbscript")


@dataclass(frozen=True, slots=True)
class RedirectUriRules:
    """What a client may register besides https URLs: it depends on the client and on who
    registers it (a signed-in developer or the operator, or anyone through /o/register)."""

    # RFC 8252 §7.1, §7.3: apps on the user's device: http on a loopback IP, private-use schemes.
    device: bool = True
    # OIDC Registration §2: a web client using the implicit grant never redirects to localhost.
    localhost: bool = True
    # The operator's --allow-http: http on any host, for a development deployment.
    any_http: bool = False

    @classmethod
    def for_application(
        cls, application_type: str, grant_types: Collection[str]
    ) -> RedirectUriRules:
        """Dynamic registration: web clients use https, native apps the RFC 8252 forms too."""
        native = application_type == "native"
        return cls(device=native, localhost=native or "implicit" not in grant_types)


def redirect_uri_problem(uri: str, rules: RedirectUriRules) -> str | None:
    """Why ``uri`` cannot be registered under ``rules``, or None."""
    # No white space: a client's URIs are stored space-separated.
    if any(c.isspace() or ord(c) < 32 for c in uri):
        return Text(N_("is not a URL"))
    try:
        parts = urlsplit(uri)
        _ = parts.port  # raises for a port that is not a number from 0 to 65535
    except ValueError:
        return Text(N_("is not a URL"))
    if not parts.scheme or len(uri) > _MAX_LENGTH:
        return Text(N_("must be an absolute URL"))
    if parts.fragment or "#" in uri:
        return Text(N_("must not contain a fragment"))  # RFC 6749 §3.1.2
    if "*" in uri:
        return Text(N_("must not contain wildcards"))  # RFC 9700 §2.1: exact matching
    if parts.scheme == "https":
        if not parts.hostname:
            return Text(N_("needs a host"))
        if not rules.localhost and parts.hostname in _LOOPBACK_HOSTS:
            return Text(N_("must not be on localhost for a web client using the implicit grant"))
        return None
    if parts.scheme in _NEVER_SCHEMES:
        return Text(N_("may not use the %(scheme)s scheme"), scheme=parts.scheme)
    if not rules.device and not (rules.any_http and parts.scheme == "http"):
        return Text(N_("must use https (an app on this device registers application_type native)"))
    if parts.scheme == "http":
        if parts.hostname in _LOOPBACK_IPS or rules.any_http:
            return None
        if parts.hostname == "localhost":
            return Text(N_("use 127.0.0.1 rather than localhost (RFC 8252 §8.3)"))
        return Text(N_("must use https (http is allowed for 127.0.0.1 only)"))
    # RFC 8252 §7.1: a private-use scheme is a reverse domain name, such as com.example.app.
    if "." in parts.scheme:
        return None
    return Text(N_("private-use schemes must be reverse domain names"))


def redirect_uris_problem(
    uris: Sequence[str], rules: RedirectUriRules, *, required: bool
) -> str | None:
    """Why the list cannot be registered, or None; ``required`` for the redirecting grants."""
    if required and not uris:
        return Text(N_("at least one is needed for the authorization code and implicit grants"))
    if len(uris) > MAX_REDIRECT_URIS:
        return Text(N_("at most %(count)d"), count=MAX_REDIRECT_URIS)
    for uri in uris:
        if (problem := redirect_uri_problem(uri, rules)) is not None:
            return Text(N_("%(uri)s %(problem)s"), uri=uri, problem=problem)
    return None
