"""Which class serves a configured provider: a built-in name or a dotted path.

A dotted path may name a ``BaseAuth`` subclass of the operator's (python-social-auth's "Adding a
new backend", written for Stint) or, with ``stint[social-core]`` installed, any of
python-social-auth's own backends, used through ``stint.connectors.social_core``.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping

from stint.connectors.base import BaseAuth
from stint.connectors.config import ProviderConfig
from stint.connectors.strategy import Strategy

__all__ = ["BUILT_IN", "UnknownBackendError", "backend_class", "make_backend"]

BUILT_IN: Mapping[str, str] = {
    "github": "stint.connectors.providers.github.GitHubOAuth2",
    "gitlab": "stint.connectors.providers.gitlab.GitLabOAuth2",
    "google": "stint.connectors.providers.google.GoogleOpenIdConnect",
    "microsoft": "stint.connectors.providers.microsoft.MicrosoftOpenIdConnect",
    "oidc": "stint.connectors.open_id_connect.OpenIdConnectAuth",
    "oauth2": "stint.connectors.providers.generic.GenericOAuth2",
    "oauth1": "stint.connectors.providers.generic_oauth1.GenericOAuth1",
}


class UnknownBackendError(ValueError):
    """The backend names no built-in and no importable backend class."""


def backend_class(backend: str) -> type[BaseAuth]:
    """The class for ``backend``: a BUILT_IN name or ``package.module.Class``."""
    path = BUILT_IN.get(backend, backend)
    module_name, _, class_name = path.rpartition(".")
    if not module_name:
        raise UnknownBackendError(
            f"unknown backend {backend!r}: use one of {', '.join(BUILT_IN)} or a dotted class path"
        )
    try:
        found = getattr(importlib.import_module(module_name), class_name)
    except ImportError as exc:
        hint = " (install stint[social-core])" if module_name.startswith("social_core") else ""
        raise UnknownBackendError(f"cannot import {module_name}{hint}: {exc}") from None
    except AttributeError:
        raise UnknownBackendError(f"{module_name} has no {class_name}") from None
    if isinstance(found, type) and issubclass(found, BaseAuth):
        return found
    if module_name.startswith("social_core."):
        from stint.connectors import social_core  # only with the optional extra installed

        try:
            return social_core.adapt(found)
        except TypeError:
            raise UnknownBackendError(
                f"{path} is not a backend class (a python-social-auth backend)"
            ) from None
    raise UnknownBackendError(f"{path} is not a backend class (a subclass of BaseAuth)")


def make_backend(config: ProviderConfig, strategy: Strategy) -> BaseAuth:
    """A backend instance for one sign-in at the configured provider. Its ``name`` is the
    configured one, so two providers of one backend (two OpenID providers) stay apart."""
    if not strategy.settings:
        strategy.settings = config.backend_settings()
    backend = backend_class(config.backend)(strategy, strategy.redirect_uri)
    backend.name = config.name
    return backend
